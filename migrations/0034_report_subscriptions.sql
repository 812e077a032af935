-- 0034 scheduled e-mail reports (issue 21, item 4): subscriptions and the runs that sent them.
--
-- Why, 1: a subscription is a person's (audience 'user': the report goes to its owner) or the
-- team's (audience 'team': to every supervisor, admin and owner of the tenant at send time, so
-- someone who joins or leaves the team is followed without editing anything). It names the
-- report tables wanted (each attached as a CSV), how often (daily: yesterday; weekly: the seven
-- days before the send day; monthly: the previous calendar month), and the local hour, weekday
-- or day of the month in an IANA zone: the send instants are computed in that zone by zoneinfo,
-- so they follow DST (docs/reports.md).
--
-- Why, 2: once across replicas. Every daemon runs the pass; it takes an advisory lock and a
-- process that doesn't get it skips. As a second guard a subscription's slot is claimed by
-- moving `next_at` forward with a compare-and-set in the same transaction that inserts its
-- run, under a unique (subscription, slot): a pass that fires the same slot after another
-- finished finds it taken.
--
-- Why, 3: indexes. report_subscriptions_due_idx serves the pass's "due now" read (all tenants,
-- through report_mail_due(), SECURITY DEFINER, ids only); report_subscriptions_tenant_idx the
-- list; report_mail_runs_slot_key the claim; report_mail_runs_subscription_idx the list's last
-- run per subscription.

CREATE TABLE report_subscriptions (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    audience    text NOT NULL CHECK (audience IN ('user', 'team')),
    -- The owner: the recipient of a 'user' subscription; who created a 'team' one (NULL when
    -- the CLI did).
    user_id     uuid,
    frequency   text NOT NULL CHECK (frequency IN ('daily', 'weekly', 'monthly')),
    datasets    text[] NOT NULL CHECK (cardinality(datasets) BETWEEN 1 AND 7),
    tz          text NOT NULL CHECK (length(tz) BETWEEN 1 AND 64),
    hour        int NOT NULL CHECK (hour BETWEEN 0 AND 23),
    weekday     int NOT NULL DEFAULT 0 CHECK (weekday BETWEEN 0 AND 6),
    month_day   int NOT NULL DEFAULT 1 CHECK (month_day BETWEEN 1 AND 28),
    queue_id    uuid,
    next_at     timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    CHECK (audience = 'team' OR user_id IS NOT NULL),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, queue_id) REFERENCES queues (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX report_subscriptions_due_idx ON report_subscriptions (next_at);
CREATE INDEX report_subscriptions_tenant_idx ON report_subscriptions (tenant_id, created_at);

CREATE TABLE report_mail_runs (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    subscription_id  uuid NOT NULL,
    slot             timestamptz NOT NULL,
    status           text NOT NULL DEFAULT 'sending'
                     CHECK (status IN ('sending', 'sent', 'failed', 'skipped')),
    recipients       int NOT NULL DEFAULT 0,
    detail           text NOT NULL DEFAULT '' CHECK (length(detail) <= 500),
    started_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    CONSTRAINT report_mail_runs_slot_key UNIQUE (tenant_id, subscription_id, slot),
    FOREIGN KEY (tenant_id, subscription_id)
        REFERENCES report_subscriptions (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX report_mail_runs_subscription_idx
    ON report_mail_runs (tenant_id, subscription_id, slot DESC);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['report_subscriptions', 'report_mail_runs']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_tenant_id())'
                       ' WITH CHECK (tenant_id = current_tenant_id())', t);
    END LOOP;
END $$;

-- Which subscriptions are due, across tenants, for the pass (ids only).
CREATE FUNCTION report_mail_due(at timestamptz)
RETURNS TABLE (tenant_id uuid, id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT s.tenant_id, s.id FROM report_subscriptions s WHERE s.next_at <= at
          ORDER BY s.next_at $$;
REVOKE ALL ON FUNCTION report_mail_due(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION report_mail_due(timestamptz) TO :app_role;

GRANT SELECT, INSERT, UPDATE, DELETE ON report_subscriptions, report_mail_runs TO :app_role;
