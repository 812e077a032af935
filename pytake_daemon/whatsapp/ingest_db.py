"""The webhook writer's SQL: set-based statements over arrays, so one statement per table writes
a whole batch of notifications of one tenant (the transaction is scoped to that tenant).
Contacts are resolved in ``ingest_contacts.py`` (BSUID, phone, links and conflicts).

Every statement is idempotent under Meta's redeliveries: contacts and conversations are upserts,
messages and statuses are ``ON CONFLICT DO NOTHING`` on their unique keys, and only the rows that
are new drive counters, status changes and follow-up work.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from pytake_daemon.db.pool import Connection


def json_texts(values: Sequence[Any]) -> list[str | None]:
    # JSON goes in as text[] and is cast in SQL: asyncpg would read a list value inside a
    # jsonb[] parameter as another array dimension.
    return [None if v is None else orjson.dumps(v).decode() for v in values]


# The batch's existing conversations are locked here, in id order: the messages' insert updates
# their counters next, and the fan-out's flow steps lock conversations in id order too, so a
# writer and a fan-out that share conversations wait for each other instead of deadlocking.
_ENSURE_CONVERSATIONS = """
WITH input AS (SELECT * FROM unnest($1::uuid[], $2::uuid[]) AS u(number_id, contact_id)),
existing AS (
    SELECT c.id, c.number_id, c.contact_id FROM conversations c
      JOIN input i ON i.number_id = c.number_id AND i.contact_id = c.contact_id
     WHERE c.tenant_id = current_tenant_id()
     ORDER BY c.id
       FOR NO KEY UPDATE OF c),
added AS (
    INSERT INTO conversations (tenant_id, number_id, contact_id)
    SELECT current_tenant_id(), i.number_id, i.contact_id FROM input i
     WHERE NOT EXISTS (SELECT 1 FROM existing e
                        WHERE e.number_id = i.number_id AND e.contact_id = i.contact_id)
    ON CONFLICT (tenant_id, number_id, contact_id) DO NOTHING
    RETURNING id, number_id, contact_id)
SELECT * FROM existing UNION ALL SELECT * FROM added
"""

_CONVERSATION_IDS = """
SELECT c.id, c.number_id, c.contact_id
  FROM conversations c
  JOIN unnest($1::uuid[], $2::uuid[]) AS u(number_id, contact_id)
    ON u.number_id = c.number_id AND u.contact_id = c.contact_id
 WHERE c.tenant_id = current_tenant_id()
"""


async def ensure_conversations(
    conn: Connection, number_ids: Sequence[uuid.UUID], contact_ids: Sequence[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID]:
    rows = await conn.fetch(_ENSURE_CONVERSATIONS, list(number_ids), list(contact_ids))
    found = {(row["number_id"], row["contact_id"]): row["id"] for row in rows}
    missing = [p for p in zip(number_ids, contact_ids, strict=True) if p not in found]
    if missing:
        again = await conn.fetch(
            _CONVERSATION_IDS, [p[0] for p in missing], [p[1] for p in missing]
        )
        found.update({(r["number_id"], r["contact_id"]): r["id"] for r in again})
    return found


# One round trip for the heart of the write: new messages only (a redelivered wamid inserts
# nothing) and their conversations' counters, window and preview.
_INSERT_MESSAGES = """
WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::text[], $8::text[], $9::text[], $10::timestamptz[], $11::text[],
                         $12::boolean[])
           AS u(conversation_id, wa_message_id, type, content, text, raw, context, referral,
                errors, wa_timestamp, preview, unread)),
added AS (
    INSERT INTO messages (tenant_id, conversation_id, direction, wa_message_id, type, content,
                          text, raw, context, referral, errors, status, wa_timestamp)
    SELECT current_tenant_id(), i.conversation_id, 'in', i.wa_message_id, i.type,
           i.content::jsonb, i.text, i.raw::jsonb, i.context::jsonb, i.referral::jsonb,
           i.errors::jsonb, 'received', i.wa_timestamp
      FROM input i
    ON CONFLICT (tenant_id, wa_message_id) WHERE wa_message_id IS NOT NULL DO NOTHING
    RETURNING id, conversation_id, wa_message_id),
fresh AS (
    SELECT a.conversation_id,
           count(*) FILTER (WHERE i.unread) AS unread,
           max(i.wa_timestamp) AS last_at,
           (array_agg(i.preview ORDER BY i.wa_timestamp DESC, i.wa_message_id DESC))[1]
               AS preview
      FROM added a JOIN input i ON i.wa_message_id = a.wa_message_id
     GROUP BY a.conversation_id),
touched AS (
    UPDATE conversations c
       SET unread_count = c.unread_count + f.unread,
           last_inbound_at = greatest(c.last_inbound_at, f.last_at),
           last_message_preview = CASE WHEN c.last_message_at IS NULL
                                         OR f.last_at >= c.last_message_at
                                       THEN f.preview ELSE c.last_message_preview END,
           last_message_at = greatest(c.last_message_at, f.last_at),
           status = CASE WHEN c.status IN ('resolved', 'snoozed') THEN 'open' ELSE c.status END,
           updated_at = now()
      FROM fresh f
     WHERE c.tenant_id = current_tenant_id() AND c.id = f.conversation_id
    RETURNING c.id)
SELECT a.id, a.conversation_id, a.wa_message_id,
       (SELECT count(*) FROM touched) AS conversations_touched
  FROM added a
"""


async def insert_inbound_messages(
    conn: Connection,
    *,
    conversation_ids: Sequence[uuid.UUID],
    wa_message_ids: Sequence[str],
    types: Sequence[str],
    contents: Sequence[Any],
    texts: Sequence[str],
    raws: Sequence[Any],
    contexts: Sequence[Any],
    referrals: Sequence[Any],
    errors: Sequence[Any],
    wa_timestamps: Sequence[datetime],
    previews: Sequence[str],
    unread: Sequence[bool],
) -> list[asyncpg.Record]:
    """Insert what is new (wamids must be distinct) and count it into its conversations; a
    redelivered wamid returns no row and changes nothing."""
    # Records, not db.rows models: the message path reads a few columns of each row once, at
    # 0.2 µs for six against 1.1-1.9 µs to build a model (bench in db/rows.py's docstring).
    return await conn.fetch(
        _INSERT_MESSAGES,
        list(conversation_ids),
        list(wa_message_ids),
        list(types),
        json_texts(contents),
        list(texts),
        json_texts(raws),
        json_texts(contexts),
        json_texts(referrals),
        json_texts(errors),
        list(wa_timestamps),
        list(previews),
        list(unread),
    )


_INSERT_EVENTS = """
INSERT INTO webhook_events (tenant_id, kind, field, waba_id, phone_number_id, digest, payload,
                            reason)
SELECT current_tenant_id(), u.kind, u.field, u.waba_id, u.phone_number_id, u.digest,
       u.payload::jsonb, u.reason
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::text[], $7::text[])
       AS u(kind, field, waba_id, phone_number_id, digest, payload, reason)
ON CONFLICT (tenant_id, digest) DO NOTHING
RETURNING id, kind, payload, digest
"""


async def insert_webhook_events(
    conn: Connection,
    *,
    kinds: Sequence[str],
    fields: Sequence[str],
    waba_ids: Sequence[str],
    phone_number_ids: Sequence[str | None],
    digests: Sequence[bytes],
    payloads: Sequence[Any],
    reasons: Sequence[str | None],
) -> list[asyncpg.Record]:
    """Record other changes once each (by digest; ``reason`` says why an item was not
    understood); returns the new ones."""
    return await conn.fetch(
        _INSERT_EVENTS,
        list(kinds),
        list(fields),
        list(waba_ids),
        list(phone_number_ids),
        list(digests),
        # Every payload is JSON, even ``null`` (an item Meta sent as null is kept as such).
        [orjson.dumps(p).decode() for p in payloads],
        list(reasons),
    )
