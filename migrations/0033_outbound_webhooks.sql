-- 0033 outbound webhooks (issue 21, R3): admins register HTTPS endpoints of other systems and the
-- event types they want; every event becomes one durable, signed delivery per endpoint.
--
-- Why, 1: deliveries are rows, written in batches by a listener on the event bus after the
-- causing transaction committed (pytake_daemon/outbound_webhooks/collector.py), never inside the
-- webhook's or a flow's transaction: the message path gains nothing. The body is stored as the
-- exact text sent, so a retry or a replay signs and sends the same bytes.
--
-- Why, 2: the signing secrets are encrypted by the same secret box as the numbers' tokens
-- (bytea, never returned). Rotation keeps the previous secret valid until
-- `previous_secret_until`: both signatures are sent meanwhile.
--
-- Why, 3: once across replicas. `claim_webhook_deliveries()` (SECURITY DEFINER: the claim spans
-- tenants) takes due rows with FOR UPDATE SKIP LOCKED under a lease, only the head of each
-- (endpoint, conversation) lane: a later delivery for a conversation waits for the earlier.
-- Indexes, each named by the statement it serves (outbound_webhooks/db.py):
--   webhook_deliveries_due_idx     the claim: pending rows by next attempt, then seq;
--   webhook_deliveries_lane_idx    the claim's head-of-lane probe (endpoint, conversation, seq);
--   webhook_deliveries_recent_idx  an endpoint's deliveries, newest first (console, CLI);
--   webhook_deliveries_dead_idx    the dead letters, newest first;
--   webhook_endpoints_tenant_idx   a tenant's endpoints (list; the subscriptions' refresh).

CREATE TABLE webhook_endpoints (
    tenant_id              uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                     uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    url                    text NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
    description            text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
    event_types            text[] NOT NULL CHECK (cardinality(event_types) >= 1),
    enabled                boolean NOT NULL DEFAULT true,
    disabled_reason        text CHECK (length(disabled_reason) <= 500),
    secret_enc             bytea NOT NULL,
    previous_secret_enc    bytea,
    previous_secret_until  timestamptz,
    created_by             uuid,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id)
        ON DELETE SET NULL (created_by),
    CHECK ((previous_secret_enc IS NULL) = (previous_secret_until IS NULL))
);
CREATE INDEX webhook_endpoints_tenant_idx ON webhook_endpoints (tenant_id, created_at);

CREATE TABLE webhook_deliveries (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    seq              bigint GENERATED ALWAYS AS IDENTITY,
    endpoint_id      uuid NOT NULL,
    event_id         uuid NOT NULL,
    event_type       text NOT NULL CHECK (length(event_type) <= 64),
    conversation_id  uuid,
    body             text NOT NULL,
    -- pending: to send (or being sent under a lease); delivered: a 2xx came back; dead: every
    -- try failed for the retry period, or the endpoint answered 410 / was disabled.
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts         int NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    locked_until     timestamptz,
    created_at       timestamptz NOT NULL,
    last_attempt_at  timestamptz,
    last_status      int,
    last_error       text CHECK (length(last_error) <= 500),
    delivered_at     timestamptz,
    dead_at          timestamptz,
    replay_of        uuid,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id)
        ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, seq)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_lane_idx ON webhook_deliveries (endpoint_id, conversation_id, seq)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_recent_idx
    ON webhook_deliveries (tenant_id, endpoint_id, created_at DESC, seq DESC);
CREATE INDEX webhook_deliveries_dead_idx ON webhook_deliveries (tenant_id, dead_at DESC)
    WHERE state = 'dead';

-- Inserted, leased and finished at event rate, like jobs and outbox (0019).
ALTER TABLE webhook_deliveries SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_cost_delay = 0);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['webhook_endpoints', 'webhook_deliveries']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_tenant_id())'
                       ' WITH CHECK (tenant_id = current_tenant_id())', t);
    END LOOP;
END $$;

-- Every enabled endpoint's tenant and event types (no URL, no secret): what the bus listener
-- keeps in memory to know which events to gather, refreshed every few seconds.
CREATE FUNCTION webhook_subscriptions()
RETURNS TABLE (tenant_id uuid, endpoint_id uuid, event_types text[])
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT e.tenant_id, e.id, e.event_types FROM webhook_endpoints e WHERE e.enabled $$;

-- The due heads of the lanes, leased; `p_busy` lists endpoints this process already has at its
-- per-endpoint limit, so a slow receiver never takes every slot. The clock is the caller's
-- (tests pin it).
CREATE FUNCTION claim_webhook_deliveries(
    p_now timestamptz, p_limit int, p_lease_seconds double precision, p_busy uuid[]
)
RETURNS TABLE (id uuid, tenant_id uuid, endpoint_id uuid, event_id uuid, event_type text,
               conversation_id uuid, body text, attempts int, created_at timestamptz,
               url text, secret_enc bytea, previous_secret_enc bytea,
               previous_secret_until timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
        WITH claimed AS (
            UPDATE webhook_deliveries d
               SET locked_until = p_now + make_interval(secs => p_lease_seconds),
                   attempts = d.attempts + 1
             WHERE d.id = ANY (ARRAY(
                       SELECT h.id FROM webhook_deliveries h
                        WHERE h.state = 'pending' AND h.next_attempt_at <= p_now
                          AND (h.locked_until IS NULL OR h.locked_until < p_now)
                          AND NOT (h.endpoint_id = ANY (p_busy))
                          AND (h.conversation_id IS NULL OR NOT EXISTS (
                                SELECT 1 FROM webhook_deliveries e
                                 WHERE e.endpoint_id = h.endpoint_id
                                   AND e.conversation_id = h.conversation_id
                                   AND e.state = 'pending' AND e.seq < h.seq))
                        ORDER BY h.next_attempt_at, h.seq
                        LIMIT p_limit
                        FOR UPDATE SKIP LOCKED))
            RETURNING d.*)
        SELECT c.id, c.tenant_id, c.endpoint_id, c.event_id, c.event_type, c.conversation_id,
               c.body, c.attempts, c.created_at, w.url, w.secret_enc, w.previous_secret_enc,
               w.previous_secret_until
          FROM claimed c JOIN webhook_endpoints w ON w.id = c.endpoint_id
         ORDER BY c.seq;
END
$$;

REVOKE ALL ON FUNCTION webhook_subscriptions() FROM PUBLIC;
REVOKE ALL ON FUNCTION claim_webhook_deliveries(timestamptz, int, double precision, uuid[])
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhook_subscriptions() TO :app_role;
GRANT EXECUTE ON FUNCTION claim_webhook_deliveries(timestamptz, int, double precision, uuid[])
    TO :app_role;

GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_endpoints, webhook_deliveries TO :app_role;
