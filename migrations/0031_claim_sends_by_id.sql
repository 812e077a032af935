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
