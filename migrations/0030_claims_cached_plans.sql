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

-- claim_outbox_sends() (0018) reads the claimed rows' messages, conversations, numbers and
-- contacts by primary key alone. Its joins carried tenant_id too (redundant: the composite
-- foreign keys already tie each row to its tenant), which let the planner reach a table by
-- tenant_id and filter the id afterwards whenever the statistics didn't yet describe a
-- tenant's rows: a new tenant's first backlog before autovacuum's next ANALYZE (bench/echo.py
-- on a fresh database: 7,290 buffers a call for one row; an xdist run of the plan test:
-- 5.5 million). By id alone every join is a primary-key probe whatever the statistics say.
CREATE OR REPLACE FUNCTION claim_outbox_sends(p_limit int, p_lease_seconds double precision)
RETURNS TABLE (
    tenant_id uuid,
    message_id uuid,
    attempts int,
    id uuid,
    conversation_id uuid,
    type text,
    content jsonb,
    context jsonb,
    status text,
    number_id uuid,
    phone_number_id text,
    access_token_enc bytea,
    throughput_mps int,
    removed_at timestamptz,
    wa_id text,
    bsuid text
)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
    SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off
    AS $$
#variable_conflict use_column
DECLARE
    claimed uuid[];
BEGIN
    SELECT array_agg(c.message_id) INTO claimed FROM claim_outbox(p_limit, p_lease_seconds) c;
    IF claimed IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
        SELECT o.tenant_id, o.message_id, o.attempts,
               m.id, m.conversation_id, m.type, m.content, m.context, m.status,
               n.id, n.phone_number_id, n.access_token_enc, n.throughput_mps, n.removed_at,
               ct.wa_id, ct.bsuid
          FROM outbox o
          JOIN messages m ON m.id = o.message_id
          JOIN conversations c ON c.id = m.conversation_id
          JOIN whatsapp_numbers n ON n.id = c.number_id
          JOIN contacts ct ON ct.id = c.contact_id
         WHERE o.message_id = ANY (claimed)
         ORDER BY o.next_attempt_at, o.seq;
END
$$;
