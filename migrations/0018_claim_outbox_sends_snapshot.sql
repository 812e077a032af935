-- 0018 claim_outbox_sends() reads what it claimed with a fresh snapshot.
-- Why: 0017 claimed through claim_outbox() inside one SQL statement and joined the claimed rows
-- to messages in that same statement. A VOLATILE function takes a new snapshot for each query it
-- runs, so claim_outbox()'s UPDATE could lease an outbox row committed after the outer
-- statement's snapshot was taken, while the outer join, reading with the older snapshot, did
-- not see the row's message (queued in the same transaction): the row was leased, never returned
-- to the sender, and left only when its 60 s lease ran out (bench/echo.py: 1–35 echoes per phase
-- late by a minute). Here the claim is one statement and the read a second one, whose snapshot
-- is taken after the claim and so sees every message whose outbox row it leased.

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
          JOIN messages m ON m.tenant_id = o.tenant_id AND m.id = o.message_id
          JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
          JOIN whatsapp_numbers n ON n.tenant_id = c.tenant_id AND n.id = c.number_id
          JOIN contacts ct ON ct.tenant_id = c.tenant_id AND ct.id = c.contact_id
         WHERE o.message_id = ANY (claimed)
         ORDER BY o.next_attempt_at, o.seq;
END
$$;
