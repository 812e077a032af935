-- 0002 whatsapp: business numbers, contacts, conversations, messages and their statuses,
-- recorded webhook changes, templates, the durable work queue and the outbound outbox.
-- Why this shape: a webhook is acknowledged only after one transaction has written what it
-- carries, and Meta's at-least-once delivery is absorbed by unique keys inside that transaction
-- (message id; message id + status). The heavy work after the commit is driven by `jobs` rows,
-- so a crash between the 200 and the work loses nothing.

-- pg_trgm: substring search ("%ana%") over names, phones and message text stays an index scan
-- at millions of messages; full-text search would miss partial words and phone digits.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Delivery states of a message in one total order. Callbacks arrive in any order, so a stored
-- status only ever moves to a higher rank: `failed` beats pending/accepted/sent, but a
-- `delivered`/`read` (multi-device users) proves the message arrived after all. Unknown
-- statuses (`played`, `deleted`…) rank lowest and never replace anything.
-- Mirrored by pytake_daemon.whatsapp.status_rank (a test keeps both in step).
CREATE FUNCTION message_status_rank(p_status text) RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE p_status
                   WHEN 'pending' THEN 0 WHEN 'accepted' THEN 1 WHEN 'sent' THEN 2
                   WHEN 'failed' THEN 3 WHEN 'delivered' THEN 4 WHEN 'read' THEN 5
                   ELSE -1 END $$;

CREATE TABLE whatsapp_numbers (
    tenant_id             uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                    uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    phone_number_id       text NOT NULL CHECK (phone_number_id ~ '^[0-9]{1,32}$'),
    waba_id               text NOT NULL CHECK (waba_id ~ '^[0-9]{1,32}$'),
    display_phone_number  text NOT NULL DEFAULT '',
    label                 text NOT NULL DEFAULT '',
    -- Secrets are Fernet tokens (AES-128-CBC + HMAC) made with the key from config: a database
    -- dump alone reveals none of them.
    access_token_enc      bytea NOT NULL,
    app_secret_enc        bytea NOT NULL,
    verify_token_enc      bytea NOT NULL,
    throughput_mps        int NOT NULL DEFAULT 80 CHECK (throughput_mps BETWEEN 20 AND 1000),
    created_at            timestamptz NOT NULL DEFAULT now(),
    removed_at            timestamptz,
    UNIQUE (tenant_id, id)
);
-- A live number routes to exactly one tenant; removed numbers keep their history.
CREATE UNIQUE INDEX whatsapp_numbers_route_idx ON whatsapp_numbers (phone_number_id)
    WHERE removed_at IS NULL;
CREATE INDEX whatsapp_numbers_tenant_idx ON whatsapp_numbers (tenant_id);

CREATE TABLE contacts (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    wa_id         text NOT NULL CHECK (wa_id ~ '^[0-9]{1,32}$'),
    profile_name  text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, wa_id)
);
CREATE INDEX contacts_search_idx ON contacts
    USING gin ((coalesce(profile_name, '') || ' ' || wa_id) gin_trgm_ops);

-- One thread per (business number, customer), reopened when the customer writes again: what a
-- WhatsApp inbox shows, and where the 24-hour window lives (`last_inbound_at`).
CREATE TABLE conversations (
    tenant_id             uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                    uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    number_id             uuid NOT NULL,
    contact_id            uuid NOT NULL,
    status                text NOT NULL DEFAULT 'open'
                          CHECK (status IN ('open', 'pending', 'snoozed', 'resolved')),
    assigned_user_id      uuid,
    unread_count          int NOT NULL DEFAULT 0 CHECK (unread_count >= 0),
    last_message_at       timestamptz,
    last_message_preview  text NOT NULL DEFAULT '',
    last_inbound_at       timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, number_id, contact_id),
    FOREIGN KEY (tenant_id, number_id) REFERENCES whatsapp_numbers (tenant_id, id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, assigned_user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX conversations_list_idx ON conversations (tenant_id, last_message_at DESC, id);
CREATE INDEX conversations_status_idx ON conversations (tenant_id, status, last_message_at DESC);
CREATE INDEX conversations_agent_idx ON conversations (tenant_id, assigned_user_id)
    WHERE assigned_user_id IS NOT NULL;

CREATE TABLE messages (
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                 uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    conversation_id    uuid NOT NULL,
    direction          text NOT NULL CHECK (direction IN ('in', 'out')),
    -- NULL until Meta accepts an outbound message and gives it an id.
    wa_message_id      text,
    type               text NOT NULL,
    -- The normalised content (see whatsapp.webhook / protocol.outgoing) and, for inbound
    -- messages, Meta's JSON exactly as received.
    content            jsonb NOT NULL,
    text               text NOT NULL DEFAULT '',
    raw                jsonb,
    context            jsonb,
    referral           jsonb,
    errors             jsonb NOT NULL DEFAULT '[]',
    status             text NOT NULL,
    status_at          timestamptz NOT NULL DEFAULT now(),
    error_code         int,
    error_title        text,
    error_explanation  text,
    sent_by            uuid,
    idempotency_key    text,
    wa_timestamp       timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id)
        ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, sent_by) REFERENCES users (tenant_id, id)
);
-- The idempotency of Meta's deliveries and of our own double submits, enforced here.
CREATE UNIQUE INDEX messages_wa_id_idx ON messages (tenant_id, wa_message_id)
    WHERE wa_message_id IS NOT NULL;
CREATE UNIQUE INDEX messages_idempotency_idx ON messages (tenant_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX messages_thread_idx ON messages (tenant_id, conversation_id, created_at DESC, id DESC);
CREATE INDEX messages_text_idx ON messages USING gin (text gin_trgm_ops);

-- Every status callback as received, once per (message, status).
CREATE TABLE message_statuses (
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    wa_message_id  text NOT NULL,
    status         text NOT NULL,
    occurred_at    timestamptz NOT NULL,
    recipient_id   text,
    errors         jsonb NOT NULL DEFAULT '[]',
    pricing        jsonb,
    conversation   jsonb,
    raw            jsonb NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, wa_message_id, status)
);

-- Webhook changes that are not messages or statuses (value-level errors, template and quality
-- updates, account events, fields Meta adds later): recorded once each, by content digest.
CREATE TABLE webhook_events (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               bigserial PRIMARY KEY,
    kind             text NOT NULL,
    field            text NOT NULL,
    waba_id          text NOT NULL,
    phone_number_id  text,
    digest           bytea NOT NULL CHECK (length(digest) = 32),
    payload          jsonb NOT NULL,
    received_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, digest)
);
CREATE INDEX webhook_events_recent_idx ON webhook_events (tenant_id, received_at DESC);

CREATE TABLE templates (
    tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    waba_id           text NOT NULL,
    meta_id           text,
    name              text NOT NULL,
    language          text NOT NULL,
    status            text NOT NULL,
    category          text NOT NULL,
    parameter_format  text NOT NULL DEFAULT 'POSITIONAL',
    components        jsonb NOT NULL DEFAULT '[]',
    reason            text,
    synced_at         timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, waba_id, name, language)
);
CREATE INDEX templates_meta_id_idx ON templates (tenant_id, meta_id);

-- Work to do after a commit (fan-out, flows, AI, template sync…). Claimed with SKIP LOCKED
-- under a lease, so several workers and daemon processes share it and a crashed worker's jobs
-- come back when the lease runs out.
CREATE TABLE jobs (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            bigserial PRIMARY KEY,
    kind          text NOT NULL,
    payload       jsonb NOT NULL,
    attempts      int NOT NULL DEFAULT 0,
    run_after     timestamptz NOT NULL DEFAULT now(),
    locked_until  timestamptz,
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_due_idx ON jobs (kind, run_after, id);

-- Outbound messages waiting for the Graph API: the message row is written first (pending),
-- then sent by a worker, retried with backoff on transient failures only.
CREATE TABLE outbox (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    message_id    uuid NOT NULL PRIMARY KEY,
    number_id     uuid NOT NULL,
    attempts      int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    locked_until  timestamptz,
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, message_id) REFERENCES messages (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at, created_at);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['whatsapp_numbers', 'contacts', 'conversations', 'messages',
                             'message_statuses', 'webhook_events', 'templates', 'jobs', 'outbox']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_tenant_id())'
                       ' WITH CHECK (tenant_id = current_tenant_id())', t);
    END LOOP;
END $$;

-- Pre-tenant lookups (SECURITY DEFINER, owned by the migration role).

-- Webhook routing: every live number with its (encrypted) secrets. The daemon caches this and
-- picks the app secret that verifies a POST's signature before it parses anything.
CREATE FUNCTION whatsapp_routes()
RETURNS TABLE (tenant_id uuid, number_id uuid, phone_number_id text, waba_id text,
               app_secret_enc bytea, verify_token_enc bytea)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
        SELECT n.tenant_id, n.id, n.phone_number_id, n.waba_id, n.app_secret_enc,
               n.verify_token_enc
          FROM whatsapp_numbers n WHERE n.removed_at IS NULL
    $$;

-- Claim due jobs of some kinds, across tenants, under a lease.
CREATE FUNCTION claim_jobs(p_kinds text[], p_limit int, p_lease_seconds double precision)
RETURNS SETOF jobs
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
        UPDATE jobs j
           SET locked_until = now() + make_interval(secs => p_lease_seconds),
               attempts = j.attempts + 1
         WHERE j.id IN (SELECT id FROM jobs
                         WHERE kind = ANY (p_kinds) AND run_after <= now()
                           AND (locked_until IS NULL OR locked_until < now())
                         ORDER BY id
                         LIMIT p_limit
                         FOR UPDATE SKIP LOCKED)
        RETURNING j.*
    $$;

-- Claim outbox rows that are due, across tenants, under a lease.
CREATE FUNCTION claim_outbox(p_limit int, p_lease_seconds double precision)
RETURNS SETOF outbox
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
        UPDATE outbox o
           SET locked_until = now() + make_interval(secs => p_lease_seconds),
               attempts = o.attempts + 1
         WHERE o.message_id IN (SELECT message_id FROM outbox
                                 WHERE next_attempt_at <= now()
                                   AND (locked_until IS NULL OR locked_until < now())
                                 ORDER BY next_attempt_at, created_at
                                 LIMIT p_limit
                                 FOR UPDATE SKIP LOCKED)
        RETURNING o.*
    $$;

-- When the next job or outbox row becomes due (workers sleep until then, or until woken).
CREATE FUNCTION next_work_due()
RETURNS TABLE (next_job timestamptz, next_send timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
        SELECT (SELECT min(greatest(run_after, coalesce(locked_until, run_after))) FROM jobs),
               (SELECT min(greatest(next_attempt_at, coalesce(locked_until, next_attempt_at)))
                  FROM outbox)
    $$;

REVOKE ALL ON FUNCTION whatsapp_routes() FROM PUBLIC;
REVOKE ALL ON FUNCTION claim_jobs(text[], int, double precision) FROM PUBLIC;
REVOKE ALL ON FUNCTION claim_outbox(int, double precision) FROM PUBLIC;
REVOKE ALL ON FUNCTION next_work_due() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION whatsapp_routes() TO :app_role;
GRANT EXECUTE ON FUNCTION claim_jobs(text[], int, double precision) TO :app_role;
GRANT EXECUTE ON FUNCTION claim_outbox(int, double precision) TO :app_role;
GRANT EXECUTE ON FUNCTION next_work_due() TO :app_role;

GRANT SELECT, INSERT, UPDATE ON whatsapp_numbers, contacts, conversations, messages,
    message_statuses, templates TO :app_role;
GRANT SELECT, INSERT ON webhook_events TO :app_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON jobs, outbox TO :app_role;
GRANT USAGE ON SEQUENCE webhook_events_id_seq, jobs_id_seq TO :app_role;
