-- 0025 notifications (issue 18): the notification center, per user and tenant.
--
-- Why, 1: notifications are data, not toasts: a row per user for what concerns them (assigned,
-- transferred, customer replied, @mention, SLA, AI alert, security, backup, goal, system), read
-- and unread, kept until the tenant's retention prunes it. Written by the daemon's fan-out
-- after the causing transaction committed (docs/notifications.md says why), never on the
-- message path itself.
--
-- Why, 2: grouping. A burst of customer messages in one conversation is one unread row whose
-- `group_count` grows, not a row per message: the partial unique index on
-- (tenant, user, group_key) among the unread rows lets one INSERT … ON CONFLICT do it, under
-- any concurrency. Once read, the next happening starts a new row.
--
-- Why, 3: indexes, each named by the statement it serves (pytake_daemon/notifications/db.py):
--   notifications_user_recent_idx  the list, newest first, keyset paged; the per-minute cap's
--                                  count of the user's last minute;
--   notifications_unread_idx       unread counts by category, mark all read;
--   notifications_group_idx        the grouping upsert (ON CONFLICT arbiter);
--   notifications_created_idx      retention (oldest first per tenant);
--   notifications_email_idx        e-mails waiting to be sent (immediate and digests).
--
-- Why, 4: preferences are per user (a JSON document validated by the API, read whole), tenant
-- defaults and retention in `notification_settings`, SMTP settings per tenant with the password
-- encrypted by the same secret box as the numbers' tokens (bytea, never returned).

CREATE TABLE notifications (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    user_id       uuid NOT NULL,
    category      text NOT NULL CHECK (category IN ('assignment', 'transfer', 'message', 'mention',
                      'sla', 'ai_alert', 'security', 'backup', 'goal', 'system')),
    severity      text NOT NULL CHECK (severity IN ('info', 'warning', 'urgent')),
    title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body          text NOT NULL DEFAULT '' CHECK (length(body) <= 2000),
    link_kind     text CHECK (link_kind IN ('conversation', 'queue', 'security_alert', 'backup',
                      'goal')),
    link_id       uuid,
    group_key     text CHECK (length(group_key) <= 200),
    group_count   int NOT NULL DEFAULT 1 CHECK (group_count >= 1),
    created_at    timestamptz NOT NULL DEFAULT now(),
    read_at       timestamptz,
    -- none: no e-mail; pending: to send (now or in the next digest); sending: claimed by a
    -- mailer since email_claimed_at; sent; failed: every try failed (admins were told).
    email_status  text NOT NULL DEFAULT 'none'
                  CHECK (email_status IN ('none', 'pending', 'sending', 'sent', 'failed')),
    email_digest  boolean NOT NULL DEFAULT false,
    email_claimed_at timestamptz,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    CHECK ((link_kind IS NULL) = (link_id IS NULL))
);
CREATE INDEX notifications_user_recent_idx
    ON notifications (tenant_id, user_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread_idx
    ON notifications (tenant_id, user_id, category) WHERE read_at IS NULL;
CREATE UNIQUE INDEX notifications_group_idx
    ON notifications (tenant_id, user_id, group_key) WHERE read_at IS NULL AND group_key IS NOT NULL;
CREATE INDEX notifications_created_idx ON notifications (tenant_id, created_at);
CREATE INDEX notifications_email_idx ON notifications (tenant_id, user_id, created_at)
    WHERE email_status IN ('pending', 'sending');

CREATE TABLE notification_preferences (
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL,
    preferences     jsonb CHECK (preferences IS NULL OR jsonb_typeof(preferences) = 'object'),
    last_digest_at  timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE notification_settings (
    tenant_id          uuid NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    defaults           jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(defaults) = 'object'),
    retention_days     int NOT NULL DEFAULT 90 CHECK (retention_days BETWEEN 1 AND 3650),
    smtp_host          text,
    smtp_port          int CHECK (smtp_port BETWEEN 1 AND 65535),
    smtp_security      text CHECK (smtp_security IN ('tls', 'starttls', 'none')),
    smtp_username      text,
    smtp_password_enc  bytea,
    smtp_from          text,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['notifications', 'notification_preferences', 'notification_settings']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_tenant_id())'
                       ' WITH CHECK (tenant_id = current_tenant_id())', t);
    END LOOP;
END $$;

-- Cross-tenant lookups for the mailer and the retention sweep (SECURITY DEFINER, ids only):
-- which tenants have e-mails waiting, and every tenant with notifications.
CREATE FUNCTION notification_mail_tenants()
RETURNS TABLE (tenant_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT DISTINCT n.tenant_id FROM notifications n
           WHERE n.email_status IN ('pending', 'sending') $$;

CREATE FUNCTION notification_tenants()
RETURNS TABLE (tenant_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT t.id FROM tenants t
           WHERE EXISTS (SELECT 1 FROM notifications n WHERE n.tenant_id = t.id) $$;

REVOKE ALL ON FUNCTION notification_mail_tenants() FROM PUBLIC;
REVOKE ALL ON FUNCTION notification_tenants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION notification_mail_tenants() TO :app_role;
GRANT EXECUTE ON FUNCTION notification_tenants() TO :app_role;

GRANT SELECT, INSERT, UPDATE, DELETE ON notifications TO :app_role;
GRANT SELECT, INSERT, UPDATE ON notification_preferences, notification_settings TO :app_role;
