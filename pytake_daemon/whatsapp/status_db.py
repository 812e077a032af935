"""Status callbacks' SQL: record a batch's statuses, move its messages forward and number their
events in one statement (the webhook writer's tenant transaction), plus the per-wamid lock that
serialises a callback with the sender recording the same wamid.

A status callback is three of the four webhooks an automated reply causes (sent, delivered,
read), so its statement count is the message path's: it was insert, advance and event numbers,
three round trips per batch; it is one unless a wamid was not recorded yet (see
``ingest_statuses.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from pytake_daemon.db.pool import Connection
from pytake_daemon.whatsapp.ingest_db import json_texts

# Namespace of the advisory locks that serialise, per wamid, a status callback with the sender
# recording that wamid: without it each could commit unseen by the other, and the callback would
# never reach the message (READ COMMITTED shows neither transaction the other's rows). A
# callback takes the lock only for a wamid no message carried when its statuses were inserted
# (then the recording may be in flight); most callbacks come after the recording committed and
# take none, so they never wait for the acceptance writer's transaction.
WAMID_LOCK_SPACE = 7_310_001

_LOCK_WAMIDS = """
SELECT count(pg_advisory_xact_lock($2::int, h))
  FROM (SELECT DISTINCT hashtext(w) AS h FROM unnest($1::text[]) AS w ORDER BY h) AS keys
"""


async def lock_wamids(conn: Connection, wamids: Sequence[str]) -> None:
    """Take the per-wamid locks (in hash order, so concurrent batches can't deadlock)."""
    await conn.execute(_LOCK_WAMIDS, list(wamids), WAMID_LOCK_SPACE)


# Only our own messages have a delivery status: a callback whose wamid names a customer's
# message (a forged or confused one) must not turn it "read". The same statement learns a
# customer's BSUID from the first statuses of our messages to them (Meta names the recipient by
# phone and BSUID): the contact we wrote to gets it if it has none and no other contact does, so
# their later BSUID-only messages find the same conversation.
_SET_STATUS = """
UPDATE messages m
   SET status = u.status, status_at = u.occurred_at,
       error_code = CASE WHEN u.status = 'failed' THEN u.error_code ELSE m.error_code END,
       error_title = CASE WHEN u.status = 'failed' THEN u.error_title ELSE m.error_title END,
       error_explanation = CASE WHEN u.status = 'failed' THEN u.explanation
                                ELSE m.error_explanation END
  FROM {best}
 WHERE m.tenant_id = current_tenant_id() AND m.wa_message_id = u.wa_message_id
   AND m.direction = 'out'
   AND message_status_rank(u.status) > message_status_rank(m.status)
RETURNING m.id, m.conversation_id, m.wa_message_id, m.status, m.error_code, m.error_title,
          m.error_explanation
"""
_LEARN_BSUID = """
UPDATE contacts ct SET bsuid = l.bsuid, updated_at = now()
  FROM (SELECT DISTINCT ON (c.contact_id) c.contact_id, k.bsuid
          FROM {learn}
          JOIN messages m ON m.tenant_id = current_tenant_id()
                         AND m.wa_message_id = k.wa_message_id AND m.direction = 'out'
          JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
         ORDER BY c.contact_id, k.bsuid) AS l
 WHERE ct.tenant_id = current_tenant_id() AND ct.id = l.contact_id AND ct.bsuid IS NULL
   AND NOT EXISTS (SELECT 1 FROM contacts o
                    WHERE o.tenant_id = current_tenant_id() AND o.bsuid = l.bsuid)
RETURNING ct.id
"""

# Each message's statuses seen for the first time fold to the highest rank (arrival order never
# matters: the UPDATE compares with the stored one); a status without a rank (unknown to us) is
# recorded but moves nothing. Rows come back in three parts: 'changed' (the messages whose
# status moved: what their events say), 'numbers' (one row: the event numbers of the changed
# ones, in their order) and 'unseen' (new statuses of wamids none of our messages carried when
# the statement began: their send's recording may be committing now; the caller locks them and
# applies these with _ADVANCE_STATUSES, a new snapshot).
_RECORD_STATUSES = f"""
WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[],
                         $6::text[], $7::text[], $8::text[], $9::text[], $10::int[],
                         $11::text[], $12::text[])
           AS u(wa_message_id, status, occurred_at, recipient_id, recipient_user_id, errors,
                pricing, conversation, raw, error_code, error_title, explanation)),
added AS (
    INSERT INTO message_statuses (tenant_id, wa_message_id, status, occurred_at, recipient_id,
                                  errors, pricing, conversation, raw, recipient_user_id)
    SELECT current_tenant_id(), i.wa_message_id, i.status, i.occurred_at, i.recipient_id,
           i.errors::jsonb, i.pricing::jsonb, i.conversation::jsonb, i.raw::jsonb,
           i.recipient_user_id
      FROM input i
    ON CONFLICT (tenant_id, wa_message_id, status) DO NOTHING
    RETURNING wa_message_id, status),
new AS (
    SELECT DISTINCT ON (i.wa_message_id, i.status) i.*,
           EXISTS (SELECT 1 FROM messages m
                    WHERE m.tenant_id = current_tenant_id()
                      AND m.wa_message_id = i.wa_message_id AND m.direction = 'out') AS known
      FROM input i
      JOIN added a ON a.wa_message_id = i.wa_message_id AND a.status = i.status
     ORDER BY i.wa_message_id, i.status),
best AS (
    SELECT DISTINCT ON (n.wa_message_id) n.*
      FROM new n
     WHERE n.known AND message_status_rank(n.status) >= 0
     ORDER BY n.wa_message_id, message_status_rank(n.status) DESC, n.status),
learn AS (
    SELECT DISTINCT ON (n.wa_message_id) n.wa_message_id, n.recipient_user_id AS bsuid
      FROM new n
     WHERE n.known AND n.recipient_user_id IS NOT NULL
     ORDER BY n.wa_message_id, n.status),
changed AS ({_SET_STATUS.format(best="best AS u")}),
learned AS ({_LEARN_BSUID.format(learn="learn AS k")}),
numbered AS (
    SELECT CASE WHEN count(*) > 0 THEN take_event_numbers(count(*)::int) END AS seqs
      FROM changed)
SELECT 'changed' AS part, c.id, c.conversation_id, c.wa_message_id, c.status, c.error_code,
       c.error_title, c.error_explanation, NULL::timestamptz AS occurred_at,
       NULL::text AS recipient_user_id, NULL::bigint[] AS seqs
  FROM changed c
UNION ALL
SELECT 'numbers', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, n.seqs
  FROM numbered n WHERE n.seqs IS NOT NULL
UNION ALL
SELECT 'unseen', NULL, NULL, n.wa_message_id, n.status, n.error_code, n.error_title,
       n.explanation, n.occurred_at, n.recipient_user_id, NULL
  FROM new n WHERE NOT n.known
"""


async def record_statuses(
    conn: Connection,
    *,
    wa_message_ids: Sequence[str],
    statuses: Sequence[str],
    occurred_at: Sequence[datetime],
    recipient_ids: Sequence[str | None],
    recipient_user_ids: Sequence[str | None],
    errors: Sequence[Any],
    pricing: Sequence[Any],
    conversations: Sequence[Any],
    raws: Sequence[Any],
    error_codes: Sequence[int | None],
    error_titles: Sequence[str | None],
    explanations: Sequence[str | None],
) -> list[asyncpg.Record]:
    """Record raw statuses (give them sorted: two batches then insert the same pairs in one
    order) and apply the new ones; rows in the parts described at ``_RECORD_STATUSES``."""
    # Records, not db.rows models: the message path reads a few columns of each row once, at
    # 0.2 µs for six against 1.1-1.9 µs to build a model (bench in db/rows.py's docstring).
    return await conn.fetch(
        _RECORD_STATUSES,
        list(wa_message_ids),
        list(statuses),
        list(occurred_at),
        list(recipient_ids),
        list(recipient_user_ids),
        json_texts(errors),
        json_texts(pricing),
        json_texts(conversations),
        json_texts(raws),
        list(error_codes),
        list(error_titles),
        list(explanations),
    )


# The unseen statuses after their wamids' locks: the caller folds them (one row per message).
_ADVANCE_STATUSES = f"""
WITH changed AS ({
    _SET_STATUS.format(
        best="unnest($1::text[], $2::text[], $3::timestamptz[], $4::int[], $5::text[], $6::text[])"
        " AS u(wa_message_id, status, occurred_at, error_code, error_title, explanation)"
    )
}),
learned AS ({
    _LEARN_BSUID.format(learn="unnest($7::text[], $8::text[]) AS k(wa_message_id, bsuid)")
})
SELECT * FROM changed
"""


async def advance_statuses(
    conn: Connection,
    *,
    wa_message_ids: Sequence[str],
    statuses: Sequence[str],
    occurred_at: Sequence[datetime],
    error_codes: Sequence[int | None],
    error_titles: Sequence[str | None],
    explanations: Sequence[str | None],
    learn_wamids: Sequence[str] = (),
    learn_bsuids: Sequence[str] = (),
) -> list[asyncpg.Record]:
    """Move messages' status forward by rank only; returns the messages that changed (id,
    conversation, wamid, status and error: what their event says).

    Each message id must appear once (the caller folds to each message's best status).
    ``learn_*``: (wamid, recipient BSUID) pairs of first-seen statuses, to link the BSUID to the
    contact the message went to when it has none.
    """
    # Records, not db.rows models: the message path reads a few columns of each row once, at
    # 0.2 µs for six against 1.1-1.9 µs to build a model (bench in db/rows.py's docstring).
    return await conn.fetch(
        _ADVANCE_STATUSES,
        list(wa_message_ids),
        list(statuses),
        list(occurred_at),
        list(error_codes),
        list(error_titles),
        list(explanations),
        list(learn_wamids),
        list(learn_bsuids),
    )
