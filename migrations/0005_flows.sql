-- 0005 flows: automation flows, their immutable versions, durable sessions with an execution log,
-- and transfer requests for the human queues.
-- Why this shape: a version is never changed once written (publishing points `flows` at
-- another one), so a session keeps running the version it started on. A session's step, its new
-- state, the messages it queues and the key of the customer message it consumed
-- (flow_processed_messages) commit in one transaction: a message is processed at most once,
-- and a crash mid-step redoes the step from the stored state. Delays and ask timeouts are
-- `jobs` rows with run_after, so they survive restarts.

CREATE TABLE flows (
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                 uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description        text NOT NULL DEFAULT '',
    latest_version     int NOT NULL DEFAULT 1,
    published_version  int,
    archived_at        timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, name)
);
-- Routing reads the published flows of a tenant on every message that starts a session.
CREATE INDEX flows_published_idx ON flows (tenant_id) WHERE published_version IS NOT NULL
    AND archived_at IS NULL;

CREATE TABLE flow_versions (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    flow_id     uuid NOT NULL,
    version     int NOT NULL CHECK (version >= 1),
    definition  jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, flow_id, version),
    FOREIGN KEY (tenant_id, flow_id) REFERENCES flows (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE flow_sessions (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    conversation_id  uuid NOT NULL,
    flow_id          uuid NOT NULL,
    flow_version     int NOT NULL,
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
    current_node     text,
    waiting          text CHECK (waiting IN ('ask', 'delay')),
    attempts         int NOT NULL DEFAULT 0,
    wait_token       int NOT NULL DEFAULT 0,
    next_seq         int NOT NULL DEFAULT 1,
    variables        jsonb NOT NULL DEFAULT '{}',
    expires_at       timestamptz NOT NULL,
    end_reason       text,
    started_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    ended_at         timestamptz,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id)
        ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, flow_id, flow_version) REFERENCES flow_versions
);
-- One active session per conversation, enforced here (a flood of messages can't start two).
CREATE UNIQUE INDEX flow_sessions_active_idx ON flow_sessions (tenant_id, conversation_id)
    WHERE status = 'active';
CREATE INDEX flow_sessions_flow_idx ON flow_sessions (tenant_id, flow_id, started_at DESC);

-- Every customer message the flow router consumed, written with the step it caused.
CREATE TABLE flow_processed_messages (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    message_id   uuid NOT NULL,
    session_id   uuid,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, message_id)
);

CREATE TABLE flow_steps (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    session_id   uuid NOT NULL,
    seq          int NOT NULL,
    node_id      text NOT NULL,
    node_type    text NOT NULL,
    input        jsonb,
    output       jsonb,
    variables    jsonb NOT NULL DEFAULT '{}',
    branch       text,
    duration_ms  double precision NOT NULL,
    error        text,
    at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, session_id, seq),
    FOREIGN KEY (tenant_id, session_id) REFERENCES flow_sessions (tenant_id, id) ON DELETE CASCADE
);

-- Requests made by action_transfer_to_queue, for the queues feature to take over. The node's
-- configuration is kept as written ({queueId, queueName, priority, message, waitTimeoutMinutes,
-- fallbackAction}).
CREATE TABLE flow_transfers (
    tenant_id             uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                    uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    conversation_id       uuid NOT NULL,
    session_id            uuid,
    queue_id              text NOT NULL,
    queue_name            text NOT NULL,
    priority              int NOT NULL CHECK (priority BETWEEN 0 AND 2),
    message               text NOT NULL DEFAULT '',
    wait_timeout_minutes  int NOT NULL,
    fallback_action       text NOT NULL,
    status                text NOT NULL DEFAULT 'requested',
    requested_at          timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id)
        ON DELETE CASCADE
);
CREATE INDEX flow_transfers_pending_idx ON flow_transfers (tenant_id, requested_at)
    WHERE status = 'requested';

-- Tags set by action_tag (until a tags feature owns them; it can read this table).
CREATE TABLE flow_tags (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    conversation_id  uuid NOT NULL,
    tag              text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, conversation_id, tag),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id)
        ON DELETE CASCADE
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['flows', 'flow_versions', 'flow_sessions', 'flow_processed_messages',
                             'flow_steps', 'flow_transfers', 'flow_tags']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_tenant_id())'
                       ' WITH CHECK (tenant_id = current_tenant_id())', t);
    END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE ON flows, flow_versions, flow_sessions, flow_transfers TO :app_role;
GRANT SELECT, INSERT ON flow_processed_messages, flow_steps TO :app_role;
GRANT SELECT, INSERT, DELETE ON flow_tags TO :app_role;
