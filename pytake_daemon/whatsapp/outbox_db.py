"""SQL of outbound messages: queueing them (message row + ``outbox`` row in one transaction)
and recording what the Graph API said."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from pytake_daemon.conversations.db import CONVERSATION_COLUMNS, MESSAGE_COLUMNS
from pytake_daemon.db.pool import Connection
from pytake_daemon.whatsapp.status_db import lock_wamids

_BY_IDEMPOTENCY = """
SELECT id, conversation_id, content, context FROM messages
 WHERE tenant_id = current_tenant_id() AND idempotency_key = $1
"""


async def find_by_idempotency_key(conn: Connection, key: str) -> asyncpg.Record | None:
    return await conn.fetchrow(_BY_IDEMPOTENCY, key)


_CONVERSATION = """
SELECT c.id, c.number_id, c.last_inbound_at, n.waba_id, n.removed_at, ct.wa_id, ct.bsuid
  FROM conversations c
  JOIN whatsapp_numbers n ON n.tenant_id = c.tenant_id AND n.id = c.number_id
  JOIN contacts ct ON ct.tenant_id = c.tenant_id AND ct.id = c.contact_id
 WHERE c.tenant_id = current_tenant_id() AND c.id = $1
"""


async def conversation_for_send(
    conn: Connection, conversation_id: uuid.UUID
) -> asyncpg.Record | None:
    return await conn.fetchrow(_CONVERSATION, conversation_id)


_WAMID = """
SELECT wa_message_id FROM messages
 WHERE tenant_id = current_tenant_id() AND id = $1 AND conversation_id = $2
"""


async def message_wamid(
    conn: Connection, message_id: uuid.UUID, conversation_id: uuid.UUID
) -> tuple[bool, str | None]:
    """(found, wamid) of a message of this conversation."""
    row = await conn.fetchrow(_WAMID, message_id, conversation_id)
    if row is None:
        return False, None
    return True, row["wa_message_id"]


# The message, its outbox row and the conversation's preview in one round trip (three
# statements before). The outbox row references a message inserted by the same statement: the
# foreign key is checked at the statement's end, when the message exists. Nothing is queued or
# touched when the idempotency key was taken meanwhile (no row from ``m``). With $10 false the
# preview is left to ``touch_previews`` at the end of the caller's transaction.
_QUEUE = f"""
WITH m AS (
    INSERT INTO messages (tenant_id, conversation_id, direction, type, content, text, context,
                          status, sent_by, idempotency_key)
    VALUES (current_tenant_id(), $1, 'out', $2, $3, $4, $5, 'pending', $6, $7)
    ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING *
), queued AS (
    INSERT INTO outbox (tenant_id, message_id, number_id, conversation_id)
    SELECT current_tenant_id(), m.id, $8, $1 FROM m
), touched AS (
    UPDATE conversations
       SET last_message_at = now(), last_message_preview = $9, updated_at = now()
     WHERE tenant_id = current_tenant_id() AND id = $1 AND $10 AND EXISTS (SELECT FROM m)
)
SELECT {MESSAGE_COLUMNS} FROM m
"""


async def queue_outbound(
    conn: Connection,
    *,
    conversation_id: uuid.UUID,
    number_id: uuid.UUID,
    type: str,
    content: dict[str, Any],
    text: str,
    preview: str,
    context: dict[str, Any] | None,
    sent_by: uuid.UUID | None,
    idempotency_key: str | None,
    touch_conversation: bool = True,
) -> asyncpg.Record | None:
    """Store a pending message and queue it (it leaves after every message queued earlier in
    its conversation); the new message as ``conversations.db.get_messages`` reads it (no read
    back), or None when the idempotency key was taken meanwhile (then nothing was written).
    ``touch_conversation=False`` leaves the conversation's preview to :func:`touch_previews`."""
    return await conn.fetchrow(
        _QUEUE,
        conversation_id,
        type,
        content,
        text,
        context,
        sent_by,
        idempotency_key,
        number_id,
        preview,
        touch_conversation,
    )


# A round of the fan-out's flow steps' replies in one statement (send_service.queue_prepared):
# messages, then their outbox rows in the input's order (ORDER BY ord: the sequence that orders
# a conversation's sends is taken in that order). Previews are left to ``touch_previews``.
_QUEUE_MANY = f"""
WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[])
           WITH ORDINALITY AS u(conversation_id, number_id, type, content, text, key, ord)),
m AS (
    INSERT INTO messages (tenant_id, conversation_id, direction, type, content, text, status,
                          idempotency_key)
    SELECT current_tenant_id(), i.conversation_id, 'out', i.type, i.content::jsonb, i.text,
           'pending', i.key
      FROM input i ORDER BY i.ord
    ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING *
), queued AS (
    INSERT INTO outbox (tenant_id, message_id, number_id, conversation_id)
    SELECT current_tenant_id(), m.id, i.number_id, m.conversation_id
      FROM m JOIN input i ON i.key = m.idempotency_key
     ORDER BY i.ord
)
SELECT {MESSAGE_COLUMNS}, m.idempotency_key FROM m
"""


async def queue_many(
    conn: Connection,
    *,
    conversation_ids: Sequence[uuid.UUID],
    number_ids: Sequence[uuid.UUID],
    types: Sequence[str],
    contents: Sequence[dict[str, Any]],
    texts: Sequence[str],
    keys: Sequence[str],
) -> list[asyncpg.Record]:
    """Store pending messages and queue them, as :func:`queue_outbound` does one (without
    context, sender or preview); the new ones as ``get_messages`` reads them, with their
    ``idempotency_key``."""
    return await conn.fetch(
        _QUEUE_MANY,
        list(conversation_ids),
        list(number_ids),
        list(types),
        [orjson.dumps(c).decode() for c in contents],
        list(texts),
        list(keys),
    )


# The ingest fan-out's automated replies set their conversations' previews here, in its last
# statement, instead of in each reply's insert: a preview written mid-batch held the
# conversation's row until the batch committed, and the webhook writer, which counts the next
# customer message into that row, waited for it (277 ms a webhook batch at 40 echoes/s). Rows
# are locked in id order first (the CTE), as the writer locks them, so the two never deadlock;
# the conversations come back whole, for the events of the replies (the fan-out's steps don't
# read them again).
_TOUCH_PREVIEWS = f"""
WITH locked AS (
    SELECT id FROM conversations
     WHERE tenant_id = current_tenant_id() AND id = ANY($1::uuid[])
     ORDER BY id FOR NO KEY UPDATE),
c AS (
    UPDATE conversations c
       SET last_message_at = now(), last_message_preview = u.preview, updated_at = now()
      FROM unnest($1::uuid[], $2::text[]) AS u(id, preview)
     WHERE c.tenant_id = current_tenant_id() AND c.id = u.id
       AND c.id IN (SELECT id FROM locked)
    RETURNING c.*)
SELECT {CONVERSATION_COLUMNS}
  FROM c JOIN contacts ct ON ct.tenant_id = c.tenant_id AND ct.id = c.contact_id
"""


async def touch_previews(
    conn: Connection, previews: dict[uuid.UUID, str]
) -> dict[uuid.UUID, asyncpg.Record]:
    """Set each conversation's preview to its last queued reply; the conversations as
    ``conversations.db.CONVERSATION_COLUMNS`` reads them, after it (one statement)."""
    if not previews:
        return {}
    ids = sorted(previews)
    rows = await conn.fetch(_TOUCH_PREVIEWS, ids, [previews[i] for i in ids])
    return {r["id"]: r for r in rows}


# ---- the sender -------------------------------------------------------------------------------

_CLAIM = "SELECT * FROM claim_outbox_sends($1, $2, $3)"


async def claim(
    conn: Connection, limit: int, lease_seconds: float, claimer: str | None = None
) -> list[asyncpg.Record]:
    """Lease up to ``limit`` due rows (the oldest unsent one of each conversation) across tenants,
    each with its message, its number and the customer's address (phone and BSUID): the send
    path makes no other read (migrations/0017). ``claimer`` as in ``jobs.db.claim``."""
    return await conn.fetch(_CLAIM, limit, lease_seconds, claimer)


async def release_claims(conn: Connection, instance: str, current: str) -> int:
    """``jobs.db.release_claims`` for sends: theirs are sent again (their outcome is unknown)."""
    released: int = await conn.fetchval("SELECT release_send_claims($1, $2)", instance, current)
    return released


# The sends' whole bookkeeping in one round trip for a batch of acceptances (the acceptance
# writer commits every send that finished meanwhile together): Meta's ids on the messages, their
# outbox rows gone, and for each the best status a callback left for its id before it was known
# here (the callbacks' writer holds the same wamid locks, taken in the statement before, so none
# is missed).
_ACCEPTED = """
WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[])
           AS u(message_id, wamid, conversation_id)),
accepted AS (
    UPDATE messages m SET wa_message_id = i.wamid, status = 'accepted', status_at = now()
      FROM input i
     WHERE m.tenant_id = current_tenant_id() AND m.id = i.message_id AND m.status = 'pending'
    RETURNING m.id),
done AS (
    DELETE FROM outbox o
     WHERE o.tenant_id = current_tenant_id() AND o.message_id = ANY ($1::uuid[])
    RETURNING o.message_id)
SELECT i.message_id, s.status, s.occurred_at, s.errors, behind.more IS NOT NULL AS more
  FROM input i
  -- The statement's snapshot still sees the rows it deletes: anything else of the conversation
  -- is a message waiting behind this one. A lateral probe per row, by the conversation's index
  -- (an EXISTS here became a hashed subplan reading the whole outbox).
  LEFT JOIN LATERAL (
      SELECT true AS more FROM outbox o
       WHERE o.tenant_id = current_tenant_id() AND o.conversation_id = i.conversation_id
         AND o.message_id <> ALL ($1::uuid[])
       LIMIT 1) AS behind ON true
  LEFT JOIN LATERAL (
      SELECT status, occurred_at, errors FROM message_statuses
       WHERE tenant_id = current_tenant_id() AND wa_message_id = i.wamid
       ORDER BY message_status_rank(status) DESC LIMIT 1) AS s ON true
"""


@dataclass(frozen=True, slots=True)
class Acceptance:
    known: asyncpg.Record | None
    """The best status callback that arrived before the wamid was recorded, if any."""
    more: bool
    """The conversation has messages queued behind this one (only now claimable)."""


async def mark_accepted(
    conn: Connection,
    message_ids: Sequence[uuid.UUID],
    wamids: Sequence[str],
    conversation_ids: Sequence[uuid.UUID],
) -> dict[uuid.UUID, Acceptance]:
    """Record Meta's ids and take the messages off the outbox (two statements per batch)."""
    await lock_wamids(conn, wamids)
    rows = await conn.fetch(_ACCEPTED, list(message_ids), list(wamids), list(conversation_ids))
    return {
        r["message_id"]: Acceptance(r if r["status"] is not None else None, r["more"]) for r in rows
    }


_ADVANCE = """
UPDATE messages
   SET status = $2, status_at = $3,
       error_code = coalesce($4, error_code), error_title = coalesce($5, error_title),
       error_explanation = coalesce($6, error_explanation)
 WHERE tenant_id = current_tenant_id() AND id = $1
   AND message_status_rank($2) > message_status_rank(status)
"""


async def advance(
    conn: Connection,
    message_id: uuid.UUID,
    status: str,
    at: datetime,
    *,
    error_code: int | None = None,
    error_title: str | None = None,
    explanation: str | None = None,
) -> None:
    await conn.execute(_ADVANCE, message_id, status, at, error_code, error_title, explanation)


_DONE = "DELETE FROM outbox WHERE tenant_id = current_tenant_id() AND message_id = $1"


async def dequeue(conn: Connection, message_id: uuid.UUID) -> None:
    await conn.execute(_DONE, message_id)


_RESCHEDULE = """
UPDATE outbox SET next_attempt_at = $2, locked_until = NULL, last_error = $3
 WHERE tenant_id = current_tenant_id() AND message_id = $1
"""


async def reschedule(
    conn: Connection, message_id: uuid.UUID, at: datetime, error: str | None
) -> None:
    await conn.execute(_RESCHEDULE, message_id, at, error)


_GIVE_BACK = """
UPDATE outbox SET next_attempt_at = $2, locked_until = NULL, attempts = attempts - 1
 WHERE tenant_id = current_tenant_id() AND message_id = $1
"""


async def give_back(conn: Connection, message_id: uuid.UUID, at: datetime) -> None:
    """Return a claimed row untried (throttled before the call): not counted as an attempt."""
    await conn.execute(_GIVE_BACK, message_id, at)


_LAST_INBOUND = """
SELECT m.wa_message_id, n.phone_number_id, n.access_token_enc
  FROM messages m
  JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
  JOIN whatsapp_numbers n ON n.tenant_id = c.tenant_id AND n.id = c.number_id
 WHERE m.tenant_id = current_tenant_id() AND m.conversation_id = $1 AND m.direction = 'in'
   AND n.removed_at IS NULL
 ORDER BY m.created_at DESC LIMIT 1
"""


async def last_inbound(conn: Connection, conversation_id: uuid.UUID) -> asyncpg.Record | None:
    """The customer's latest message with what it takes to mark it read."""
    return await conn.fetchrow(_LAST_INBOUND, conversation_id)


_MEDIA = """
SELECT m.type, m.content->>'id' AS media_id, m.content->>'filename' AS filename,
       n.phone_number_id, n.access_token_enc
  FROM messages m
  JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
  JOIN whatsapp_numbers n ON n.tenant_id = c.tenant_id AND n.id = c.number_id
 WHERE m.tenant_id = current_tenant_id() AND m.conversation_id = $1 AND m.id = $2
   AND m.direction = 'in'
"""


async def media_of(
    conn: Connection, conversation_id: uuid.UUID, message_id: uuid.UUID
) -> asyncpg.Record | None:
    """An inbound message's media id, and the number's token to fetch it with."""
    return await conn.fetchrow(_MEDIA, conversation_id, message_id)
