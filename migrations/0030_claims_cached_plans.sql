-- The claim functions as PL/pgSQL, so their statement's plan is cached per session.
--
-- claim_jobs() and claim_outbox() were LANGUAGE sql functions that can't be inlined (SECURITY
-- DEFINER, a SET clause, an UPDATE): PostgreSQL parses and plans such a body again at every
-- call. Planning `run_after <= now()` / `next_attempt_at <= now()` looks up the actual
-- extreme value in the index (get_actual_variable_range), and in a queue table that is mostly
-- dead rows that lookup steps over them: measured under bench/echo.py at 30/s, the claim's
-- UPDATE executed in 0.09 ms and 28 buffers while the call took 8.5 ms and 386 buffers, and
-- claim_outbox_sends() averaged 1,721 buffers a call. A PL/pgSQL body's statements are
-- prepared once per session and reused (a generic plan after five custom ones), so a claim
-- costs what its statement does. Same statements, same results, same grants.

CREATE OR REPLACE FUNCTION claim_jobs(p_kinds text[], p_limit int, p_lease_seconds double precision)
RETURNS SETOF jobs
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN QUERY
        UPDATE jobs j
           SET locked_until = now() + make_interval(secs => p_lease_seconds),
               attempts = j.attempts + 1
         WHERE j.id = ANY (ARRAY(
                   SELECT d.id
                     FROM unnest(p_kinds) AS k (kind),
                          LATERAL (SELECT jobs.id FROM jobs
                                    WHERE jobs.kind = k.kind AND jobs.run_after <= now()
                                      AND (jobs.locked_until IS NULL
                                           OR jobs.locked_until < now())
                                    ORDER BY jobs.id
                                    LIMIT p_limit
                                    FOR UPDATE SKIP LOCKED) AS d
                    ORDER BY d.id
                    LIMIT p_limit))
        RETURNING j.*;
END
$$;

CREATE OR REPLACE FUNCTION claim_outbox(p_limit int, p_lease_seconds double precision)
RETURNS SETOF outbox
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
BEGIN
    RETURN QUERY
        UPDATE outbox o
           SET locked_until = now() + make_interval(secs => p_lease_seconds),
               attempts = o.attempts + 1
         WHERE o.message_id = ANY (ARRAY(
                   SELECT h.message_id FROM outbox h
                    WHERE h.next_attempt_at <= now()
                      AND (h.locked_until IS NULL OR h.locked_until < now())
                      -- Only the oldest unsent row of a conversation (0015): a correlated
                      -- subquery, one probe per candidate.
                      AND h.seq = (SELECT min(e.seq) FROM outbox e
                                    WHERE e.conversation_id = h.conversation_id)
                    ORDER BY h.next_attempt_at, h.seq
                    LIMIT p_limit))
           -- Re-checked on the latest row version: two claimers racing for one head row
           -- can't both lease it.
           AND (o.locked_until IS NULL OR o.locked_until < now())
        RETURNING o.*;
END
$$;
