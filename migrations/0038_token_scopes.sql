-- 0038 API token scopes and per-token rate limits (issue #21 item 6, docs/users.md "API tokens").
--
-- `scopes` is what an API token may do on top of its user's role (effective rights = role ∩
-- scopes); login sessions keep NULL and are checked by role only. The names are the Scope enum
-- of pytake_daemon/protocol/auth.py. Tokens made before this migration get every scope, so the
-- scripts that use them keep working; new ones get what their creator asks for (`read` if
-- nothing). An api token whose scopes are NULL is granted nothing (pytake_daemon/auth/service.py).
ALTER TABLE auth_tokens
    ADD COLUMN scopes text[]
        CHECK (scopes <@ ARRAY['read', 'messages:send', 'conversations:write', 'flows:write',
                               'admin']::text[]),
    ADD COLUMN rate_limit_per_minute integer CHECK (rate_limit_per_minute > 0),
    ADD CONSTRAINT auth_tokens_scopes_only_api CHECK (kind = 'api' OR scopes IS NULL);

UPDATE auth_tokens
   SET scopes = ARRAY['read', 'messages:send', 'conversations:write', 'flows:write', 'admin']
 WHERE kind = 'api';

-- The bearer lookup also returns the token's scopes and its own limit (NULL: the daemon's
-- default). A function's result type can't be altered in place, hence drop and create.
DROP FUNCTION auth_token_identity(bytea);
CREATE FUNCTION auth_token_identity(p_token_hash bytea)
RETURNS TABLE (token_id uuid, tenant_id uuid, user_id uuid, kind text, expires_at timestamptz,
               revoked_at timestamptz, last_used_at timestamptz, user_disabled boolean,
               role text, scopes text[], rate_limit_per_minute integer)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
        SELECT t.id, t.tenant_id, t.user_id, t.kind, t.expires_at, t.revoked_at,
               t.last_used_at, u.disabled_at IS NOT NULL, u.role, t.scopes,
               t.rate_limit_per_minute
          FROM auth_tokens t JOIN users u ON u.tenant_id = t.tenant_id AND u.id = t.user_id
         WHERE t.token_hash = p_token_hash
    $$;
REVOKE ALL ON FUNCTION auth_token_identity(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_token_identity(bytea) TO :app_role;
