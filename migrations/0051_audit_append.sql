-- 0051 an audit entry is chained in one statement (issue #16: assignments per second).
--
-- Why: each tenant's entries form a hash chain, so appends are serial: the appender holds a
-- per-tenant advisory lock until its transaction ends. The daemon took it in three round trips
-- (the lock, the head, the INSERT with a hash computed in Python), and every one of them, with
-- the wait for a busy event loop to send the next, was time the other writers of the tenant
-- queued for the lock (bench/assign.py: 12 distributors, one audit entry per batch, ran at
-- 1,200/s with the entries and 2,000/s without). This function takes the lock, reads the head
-- and inserts the chained entry in one call, so the lock is held from here to the commit only.
--
-- The hash stays what docs/audit.md says, SHA-256(prev_hash || canonical). The daemon sends the
-- canonical JSON in four pieces around the three values only known under the lock, in sorted
-- key order: "at" (taken here, after the lock, so time still follows seq), "seq" and
-- "tenant_id" (pytake_daemon/audit/entries.py). `pytake audit verify` checks it in Python.
--
-- VOLATILE (the default for plpgsql): each statement takes a new snapshot under READ
-- COMMITTED, so the head is read after the lock, as the previous holder committed it.
-- SECURITY INVOKER: the caller's row-level security applies to the head and the INSERT.
CREATE FUNCTION audit_append(
    p_id uuid, p_actor_type text, p_actor_id uuid, p_actor_label text, p_actor_role text,
    p_action text, p_target_type text, p_target_id text, p_outcome text, p_ip text,
    p_user_agent text, p_request_id text, p_method text, p_route text, p_status integer,
    p_diff jsonb, p_canonical bytea[]
) RETURNS TABLE (tenant_id uuid, seq bigint, at timestamptz, prev_hash bytea, hash bytea)
    LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    v_tenant uuid := current_tenant_id();
    v_seq bigint;
    v_prev bytea;
    v_at timestamptz;
    v_hash bytea;
BEGIN
    IF v_tenant IS NULL THEN
        RAISE EXCEPTION 'audit entries need a tenant transaction';
    END IF;
    IF array_length(p_canonical, 1) IS DISTINCT FROM 4 THEN
        RAISE EXCEPTION 'audit_append needs the canonical form in four pieces';
    END IF;
    -- The same key as before this migration (0x61756474, "audt"), so old and new daemons
    -- (a rolling restart) still exclude each other.
    PERFORM pg_advisory_xact_lock(1635083380, hashtext(v_tenant::text));
    SELECT h.seq, h.hash INTO v_seq, v_prev
      FROM ((SELECT e.seq, e.hash FROM audit_entries e
              WHERE e.tenant_id = v_tenant ORDER BY e.seq DESC LIMIT 1)
            UNION ALL
            (SELECT a.last_seq, a.last_hash FROM audit_archives a
              WHERE a.tenant_id = v_tenant ORDER BY a.last_seq DESC LIMIT 1)
            ORDER BY 1 DESC LIMIT 1) AS h;
    v_seq := coalesce(v_seq, 0) + 1;
    v_prev := coalesce(v_prev, decode(repeat('00', 32), 'hex'));
    v_at := clock_timestamp();
    v_hash := sha256(
        v_prev
        || p_canonical[1]
        || convert_to(to_char(v_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'UTF8')
        || p_canonical[2]
        || convert_to(v_seq::text, 'UTF8')
        || p_canonical[3]
        || convert_to(v_tenant::text, 'UTF8')
        || p_canonical[4]);
    INSERT INTO audit_entries AS e (
        tenant_id, seq, id, at, actor_type, actor_id, actor_label, actor_role, action,
        target_type, target_id, outcome, ip, user_agent, request_id, method, route, status,
        diff, prev_hash, hash)
    VALUES (v_tenant, v_seq, p_id, v_at, p_actor_type, p_actor_id, p_actor_label, p_actor_role,
            p_action, p_target_type, p_target_id, p_outcome, p_ip, p_user_agent, p_request_id,
            p_method, p_route, p_status, p_diff, v_prev, v_hash);
    RETURN QUERY SELECT v_tenant, v_seq, v_at, v_prev, v_hash;
END
$$;

REVOKE ALL ON FUNCTION audit_append(uuid, text, uuid, text, text, text, text, text, text, text,
                                    text, text, text, text, integer, jsonb, bytea[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_append(uuid, text, uuid, text, text, text, text, text, text,
                                       text, text, text, text, text, integer, jsonb, bytea[])
    TO :app_role;
