-- 0029 invitations (issue 19, OB3): an admin invites a person by e-mail with a role (and, for
-- agents, the queues they will serve); the person joins with a single-use, expiring code.
--
-- Why, 1: the code is a bearer secret like a session token, so only its SHA-256 is stored
-- (`code_hash`, unique: the accept endpoint looks it up by it). A resend replaces the hash, so
-- the old code stops working in the same statement that makes the new one.
--
-- Why, 2: accepting is unauthenticated, so the tenant is not known when the code arrives:
-- `invitation_by_code()` (SECURITY DEFINER, like auth_token_identity) answers only which
-- tenant and invitation a hash belongs to; everything else happens under row-level security
-- in that tenant's transaction, with the row locked (single use under any concurrency).
--
-- Why, 3: `queue_ids` is a list, not a join table: queues are served by skills and department
-- (agents.skills @> queues.required_skills), so accepting copies what the queues require onto
-- the new agent; a queue deleted meanwhile is simply skipped. The service checks at invite
-- time that every queue is the tenant's.

CREATE TABLE invitations (
    tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    email             text NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
    role              text NOT NULL CHECK (role IN ('owner', 'admin', 'supervisor', 'agent')),
    queue_ids         uuid[] NOT NULL DEFAULT '{}',
    code_hash         bytea NOT NULL UNIQUE,
    invited_by        uuid,
    created_at        timestamptz NOT NULL,
    sent_at           timestamptz NOT NULL,
    expires_at        timestamptz NOT NULL,
    emailed_at        timestamptz,
    accepted_at       timestamptz,
    accepted_user_id  uuid,
    revoked_at        timestamptz,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, invited_by) REFERENCES users (tenant_id, id)
        ON DELETE SET NULL (invited_by),
    FOREIGN KEY (tenant_id, accepted_user_id) REFERENCES users (tenant_id, id)
        ON DELETE SET NULL (accepted_user_id),
    CHECK (accepted_at IS NULL OR revoked_at IS NULL),
    CHECK (expires_at > sent_at)
);
-- The admins' list, newest first.
CREATE INDEX invitations_recent_idx ON invitations (tenant_id, created_at DESC);
-- "Is there a live invitation for this e-mail already?"
CREATE INDEX invitations_open_idx ON invitations (tenant_id, email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;

ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invitations
    USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

-- A code's hash → its tenant and invitation (ids only; the state is read under RLS after).
CREATE FUNCTION invitation_by_code(p_code_hash bytea)
RETURNS TABLE (tenant_id uuid, id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT i.tenant_id, i.id FROM invitations i WHERE i.code_hash = p_code_hash $$;

REVOKE ALL ON FUNCTION invitation_by_code(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION invitation_by_code(bytea) TO :app_role;

GRANT SELECT, INSERT, UPDATE ON invitations TO :app_role;
