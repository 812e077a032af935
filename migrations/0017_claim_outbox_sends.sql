-- 0017 claiming an outbox row returns everything its send needs.
-- Why: the sender claimed rows with claim_outbox() and then, for every row, opened a tenant
-- transaction only to read the message, its number and the customer's address (BEGIN, SET, one
-- SELECT, COMMIT per send). claim_outbox_sends() claims exactly as claim_outbox() does (same
-- order, same lease) and reads those in the same statement, so a send makes no read of its own.
-- The address is the phone (`wa_id`) and, since 0016, the BSUID: the sender puts the phone in
-- `to` when there is one and the BSUID in `recipient` otherwise. claim_outbox() stays for
-- callers that only need the rows.

CREATE FUNCTION claim_outbox_sends(p_limit int, p_lease_seconds double precision)
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
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
        WITH claimed AS (SELECT * FROM claim_outbox(p_limit, p_lease_seconds))
        SELECT o.tenant_id, o.message_id, o.attempts,
               m.id, m.conversation_id, m.type, m.content, m.context, m.status,
               n.id, n.phone_number_id, n.access_token_enc, n.throughput_mps, n.removed_at,
               ct.wa_id, ct.bsuid
          FROM claimed o
          JOIN messages m ON m.tenant_id = o.tenant_id AND m.id = o.message_id
          JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
          JOIN whatsapp_numbers n ON n.tenant_id = c.tenant_id AND n.id = c.number_id
          JOIN contacts ct ON ct.tenant_id = c.tenant_id AND ct.id = c.contact_id
         ORDER BY o.next_attempt_at, o.seq
    $$;

REVOKE ALL ON FUNCTION claim_outbox_sends(int, double precision) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION claim_outbox_sends(int, double precision) TO :app_role;
