-- 0001 foundation: tenants, users, tokens, per-tenant event sequence.
-- Why: every later domain hangs off tenants and users; tenant isolation is enforced here, by
-- row-level security FORCEd on every tenant-owned table, not only by the API.
-- The daemon connects as :app_role (a non-owner role without BYPASSRLS) and sets the tenant with
-- SET LOCAL pytake.tenant_id inside each transaction. The runner substitutes :app_role.

CREATE FUNCTION current_tenant_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    -- missing_ok: no tenant set means "no tenant", so policies match no row at all.
    AS $$ SELECT nullif(current_setting('pytake.tenant_id', true), '')::uuid $$;

CREATE TABLE tenants (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
    USING (id = current_tenant_id()) WITH CHECK (id = current_tenant_id());

CREATE TABLE users (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    email         text NOT NULL CHECK (email = lower(email) AND email LIKE '%@%'),
    name          text NOT NULL,
    role          text NOT NULL CHECK (role IN ('owner', 'admin', 'supervisor', 'agent')),
    password_hash text NOT NULL,
    disabled_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id),
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, email)
);
CREATE INDEX users_email_idx ON users (email);
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
    USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

-- Login sessions and API tokens share one table: both are bearer secrets stored only as
-- SHA-256 hashes (the secrets are 256-bit random, so a fast hash is enough; argon2 is for
-- low-entropy passwords).
CREATE TABLE auth_tokens (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    user_id       uuid NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('session', 'api')),
    name          text NOT NULL,
    token_hash    bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    created_ip    inet,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX auth_tokens_tenant_user_idx ON auth_tokens (tenant_id, user_id);
ALTER TABLE auth_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON auth_tokens
    USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

-- One counter row per tenant; the WebSocket envelope's seq. Taken in its own short statement
-- (not held across a business transaction) so it never serialises a tenant's writes.
CREATE TABLE tenant_event_seq (
    tenant_id  uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    seq        bigint NOT NULL DEFAULT 0
);
ALTER TABLE tenant_event_seq ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_event_seq FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_event_seq
    USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

-- Lookups that must happen before the tenant is known. SECURITY DEFINER functions owned by the
-- migration role (which bypasses RLS) return only what a caller holding the secret may learn.

-- Bearer token → identity; only an exact 256-bit hash matches, so nothing can be enumerated.
CREATE FUNCTION auth_token_identity(p_token_hash bytea)
RETURNS TABLE (token_id uuid, tenant_id uuid, user_id uuid, kind text, expires_at timestamptz,
               revoked_at timestamptz, last_used_at timestamptz, user_disabled boolean,
               role text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
        SELECT t.id, t.tenant_id, t.user_id, t.kind, t.expires_at, t.revoked_at,
               t.last_used_at, u.disabled_at IS NOT NULL, u.role
          FROM auth_tokens t JOIN users u ON u.tenant_id = t.tenant_id AND u.id = t.user_id
         WHERE t.token_hash = p_token_hash
    $$;

-- E-mail (+ optional tenant slug) → candidate accounts for a login attempt.
CREATE FUNCTION auth_login_candidates(p_email text, p_tenant_slug text)
RETURNS TABLE (tenant_id uuid, user_id uuid, password_hash text, disabled boolean, role text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
        SELECT u.tenant_id, u.id, u.password_hash, u.disabled_at IS NOT NULL, u.role
          FROM users u JOIN tenants t ON t.id = u.tenant_id
         WHERE u.email = lower(p_email)
           AND (p_tenant_slug IS NULL OR t.slug = p_tenant_slug)
    $$;

REVOKE ALL ON FUNCTION auth_token_identity(bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION auth_login_candidates(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_token_identity(bytea) TO :app_role;
GRANT EXECUTE ON FUNCTION auth_login_candidates(text, text) TO :app_role;

GRANT SELECT, INSERT, UPDATE ON tenants TO :app_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON users, auth_tokens TO :app_role;
GRANT SELECT, INSERT, UPDATE ON tenant_event_seq TO :app_role;
