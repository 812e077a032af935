-- 0048 queue a tenant's jobs in one statement that scopes itself (issue #16: the webhook's
-- acknowledgement).
--
-- Why: a webhook's 200 waits for its share to be committed as an `ingest` job, and the writer
-- committed each batch in three round trips (BEGIN with the tenant's set_config, the INSERT,
-- COMMIT), each a wait for a PostgreSQL backend that, under a burst, shares the cores with the
-- inbound stage. Called outside a transaction, this is one statement: PostgreSQL runs it in a
-- transaction of its own and commits it before it answers, so the 200 still follows a commit.
--
-- SECURITY INVOKER (the default): the caller's row-level security applies, as to its own
-- INSERT; the tenant is set for this statement's transaction only (set_config's is_local), as
-- the daemon's SET LOCAL does.
CREATE FUNCTION enqueue_jobs(p_tenant uuid, p_kind text, p_payloads text[]) RETURNS void
    LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp
    AS $$
BEGIN
    PERFORM set_config('pytake.tenant_id', p_tenant::text, true);
    INSERT INTO jobs (tenant_id, kind, payload)
    SELECT current_tenant_id(), p_kind, p::jsonb FROM unnest(p_payloads) AS p;
END
$$;

REVOKE ALL ON FUNCTION enqueue_jobs(uuid, text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enqueue_jobs(uuid, text, text[]) TO :app_role;
