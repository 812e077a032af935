-- 0006 audit: the tamper-evident audit log, its archives and checkpoints, and security alerts.
-- Why: every state change must leave a record that nobody (not even the daemon) can quietly
-- rewrite. The daemon's role may only SELECT and INSERT; a trigger refuses UPDATE, DELETE and
-- TRUNCATE for everyone; each tenant's entries form a SHA-256 hash chain (computed by the
-- daemon, see pytake_daemon/audit/chain.py), so an owner who bypasses the trigger is still
-- caught by `pytake audit verify`.

CREATE TABLE audit_entries (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq          bigint NOT NULL CHECK (seq >= 1),
    id           uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    at           timestamptz NOT NULL,
    actor_type   text NOT NULL,
    actor_id     uuid,
    actor_label  text,
    actor_role   text,
    action       text NOT NULL,
    target_type  text,
    target_id    text,
    outcome      text NOT NULL,
    ip           text,
    user_agent   text,
    request_id   text,
    method       text,
    route        text,
    status       integer,
    diff         jsonb,
    prev_hash    bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash         bytea NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX audit_entries_at_idx ON audit_entries (tenant_id, at DESC, seq DESC);
CREATE INDEX audit_entries_action_idx ON audit_entries (tenant_id, action, at);
CREATE INDEX audit_entries_actor_idx ON audit_entries (tenant_id, actor_id, at);
CREATE INDEX audit_entries_ip_idx ON audit_entries (tenant_id, ip, at);
ALTER TABLE audit_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_entries
    USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

-- Append-only for every role. Retention (`pytake audit archive`, owner role only: the daemon
-- has no DELETE grant) deletes archived entries after setting pytake.audit_archiving locally.
CREATE FUNCTION audit_entries_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND current_setting('pytake.audit_archiving', true) = 'on' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_entries is append-only (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$;
CREATE TRIGGER audit_entries_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only();
CREATE TRIGGER audit_entries_no_truncate
    BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only();

-- Where a tenant's online chain starts after retention removed older entries: the last archived
-- entry's seq and hash, so verification and the next append continue the same chain.
CREATE TABLE audit_archives (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    archived_at  timestamptz NOT NULL DEFAULT now(),
    first_seq    bigint NOT NULL,
    last_seq     bigint NOT NULL,
    last_hash    bytea NOT NULL CHECK (length(last_hash) = 32),
    file_name    text NOT NULL,
    file_sha256  text NOT NULL,
    UNIQUE (tenant_id, last_seq)
);
ALTER TABLE audit_archives ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_archives FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_archives
    USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

-- Signed statements "entry seq N of this tenant had hash H": kept elsewhere too, they catch a
-- truncated tail or a chain rebuilt from scratch, which a hash chain alone cannot.
CREATE TABLE audit_checkpoints (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq          bigint NOT NULL,
    hash         bytea NOT NULL CHECK (length(hash) = 32),
    signed_at    timestamptz NOT NULL,
    public_key   bytea NOT NULL CHECK (length(public_key) = 32),
    signature    bytea NOT NULL CHECK (length(signature) = 64),
    PRIMARY KEY (tenant_id, seq)
);
ALTER TABLE audit_checkpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_checkpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_checkpoints
    USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

-- Alerts raised by the rules in pytake_daemon/audit/alerts.py; entry_ids link the evidence.
-- dedupe_key makes one burst raise one alert (e.g. brute force per user per window).
CREATE TABLE security_alerts (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    kind         text NOT NULL,
    severity     text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    subject      text NOT NULL,
    summary      text NOT NULL,
    entry_ids    uuid[] NOT NULL,
    dedupe_key   text NOT NULL,
    UNIQUE (tenant_id, dedupe_key)
);
CREATE INDEX security_alerts_at_idx ON security_alerts (tenant_id, at DESC);
ALTER TABLE security_alerts ENABLE ROW LEVEL SECURITY;
ALTER TABLE security_alerts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON security_alerts
    USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

GRANT SELECT, INSERT ON audit_entries, audit_checkpoints, security_alerts TO :app_role;
GRANT SELECT ON audit_archives TO :app_role;
