-- 0052 a restarted daemon takes back at once the jobs and sends its killed run had claimed.
--
-- Why: a claim is a lease (60 s). A daemon killed outright (kill -9, the OOM killer, a crash)
-- leaves its claimed rows to the lease, so after systemd restarted it, the customers whose
-- messages that run was storing, and the replies it was sending, waited up to a minute
-- (tests/whatsapp/test_durability.py spent most of its 75 s waiting for leases).
--
-- Each claim now records who took it, `claimed_by` = '<host>:<port>#<run>' (jobs/claimer.py):
-- the machine and port name the daemon (a second process can't listen on that port while the
-- first one does), the run is new at each start. Once a daemon listens on its port it calls
-- these functions: rows claimed under its own name by another run go back to everyone at
-- once. Not if that run still has a connection open (its pool's application_name is
-- 'pytake#<run>'): a daemon stopping gracefully closes its port before it finishes its work.
-- A replica that died for good still leaves its claims to the lease, as before.
--
-- A send whose claim is taken back was in flight when its process died: its outcome is
-- unknown, and it is sent again, as the lease would have done (docs/whatsapp.md).

ALTER TABLE jobs ADD COLUMN claimed_by text;
ALTER TABLE outbox ADD COLUMN claimed_by text;

DROP FUNCTION claim_jobs(text[], int, double precision);
CREATE FUNCTION claim_jobs(p_kinds text[], p_limit int, p_lease_seconds double precision,
                           p_claimer text DEFAULT NULL)
RETURNS SETOF jobs
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
    SET plan_cache_mode = force_generic_plan
    AS $$
BEGIN
    RETURN QUERY
        UPDATE jobs j
           SET locked_until = now() + make_interval(secs => p_lease_seconds),
               attempts = j.attempts + 1,
               claimed_by = p_claimer
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
REVOKE ALL ON FUNCTION claim_jobs(text[], int, double precision, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION claim_jobs(text[], int, double precision, text) TO :app_role;

-- claim_outbox_sends() calls claim_outbox() by name: both are replaced.
DROP FUNCTION claim_outbox_sends(int, double precision);
DROP FUNCTION claim_outbox(int, double precision);
CREATE FUNCTION claim_outbox(p_limit int, p_lease_seconds double precision,
                             p_claimer text DEFAULT NULL)
RETURNS SETOF outbox
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
    SET plan_cache_mode = force_generic_plan
    AS $$
BEGIN
    RETURN QUERY
        UPDATE outbox o
           SET locked_until = now() + make_interval(secs => p_lease_seconds),
               attempts = o.attempts + 1,
               claimed_by = p_claimer
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
REVOKE ALL ON FUNCTION claim_outbox(int, double precision, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION claim_outbox(int, double precision, text) TO :app_role;

CREATE FUNCTION claim_outbox_sends(p_limit int, p_lease_seconds double precision,
                                   p_claimer text DEFAULT NULL)
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
    SET plan_cache_mode = force_generic_plan
    AS $$
#variable_conflict use_column
DECLARE
    claimed uuid[];
BEGIN
    SELECT array_agg(c.message_id) INTO claimed
      FROM claim_outbox(p_limit, p_lease_seconds, p_claimer) c;
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
REVOKE ALL ON FUNCTION claim_outbox_sends(int, double precision, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION claim_outbox_sends(int, double precision, text) TO :app_role;

-- The release: a startup's single pass over the claimed rows (a queue table holds its live
-- rows and dead ones; no index is worth keeping for a statement run once per start).
CREATE FUNCTION release_job_claims(p_instance text, p_self text) RETURNS int
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
DECLARE
    released int;
BEGIN
    UPDATE jobs SET locked_until = NULL
     WHERE locked_until > now()
       AND split_part(claimed_by, '#', 1) = p_instance
       AND claimed_by <> p_self
       AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                        WHERE a.application_name = 'pytake#' || split_part(claimed_by, '#', 2));
    GET DIAGNOSTICS released = ROW_COUNT;
    RETURN released;
END
$$;
REVOKE ALL ON FUNCTION release_job_claims(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION release_job_claims(text, text) TO :app_role;

CREATE FUNCTION release_send_claims(p_instance text, p_self text) RETURNS int
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
DECLARE
    released int;
BEGIN
    UPDATE outbox SET locked_until = NULL
     WHERE locked_until > now()
       AND split_part(claimed_by, '#', 1) = p_instance
       AND claimed_by <> p_self
       AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                        WHERE a.application_name = 'pytake#' || split_part(claimed_by, '#', 2));
    GET DIAGNOSTICS released = ROW_COUNT;
    RETURN released;
END
$$;
REVOKE ALL ON FUNCTION release_send_claims(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION release_send_claims(text, text) TO :app_role;
