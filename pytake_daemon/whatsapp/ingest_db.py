"""The webhook writer's SQL: set-based statements over arrays, so one statement per table writes
a whole batch of notifications of one tenant (the transaction is scoped to that tenant).

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


def _json_texts(values: Sequence[Any]) -> list[str | None]:
    # JSON goes in as text[] and is cast in SQL: asyncpg would read a list value inside a
    # jsonb[] parameter as another array dimension.
    return [None if v is None else orjson.dumps(v).decode() for v in values]


_UPSERT_CONTACTS = """
INSERT INTO contacts (tenant_id, wa_id, profile_name)
SELECT current_tenant_id(), u.wa_id, u.name
  FROM unnest($1::text[], $2::text[]) AS u(wa_id, name)
ON CONFLICT (tenant_id, wa_id) DO UPDATE
   SET profile_name = coalesce(EXCLUDED.profile_name, contacts.profile_name),
       updated_at = CASE WHEN EXCLUDED.profile_name IS DISTINCT FROM contacts.profile_name
                         AND EXCLUDED.profile_name IS NOT NULL
                         THEN now() ELSE contacts.updated_at END
RETURNING id, wa_id
"""


async def upsert_contacts(
    conn: Connection, wa_ids: Sequence[str], names: Sequence[str | None]
) -> dict[str, uuid.UUID]:
    rows = await conn.fetch(_UPSERT_CONTACTS, list(wa_ids), list(names))
    return {row["wa_id"]: row["id"] for row in rows}


_UPSERT_CONVERSATIONS = """
INSERT INTO conversations (tenant_id, number_id, contact_id)
SELECT current_tenant_id(), u.number_id, u.contact_id
  FROM unnest($1::uuid[], $2::uuid[]) AS u(number_id, contact_id)
ON CONFLICT (tenant_id, number_id, contact_id) DO UPDATE SET number_id = EXCLUDED.number_id
RETURNING id, number_id, contact_id
"""


async def upsert_conversations(
    conn: Connection, number_ids: Sequence[uuid.UUID], contact_ids: Sequence[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID]:
    rows = await conn.fetch(_UPSERT_CONVERSATIONS, list(number_ids), list(contact_ids))
    return {(row["number_id"], row["contact_id"]): row["id"] for row in rows}


_INSERT_MESSAGES = """
INSERT INTO messages (tenant_id, conversation_id, direction, wa_message_id, type, content, text,
                      raw, context, referral, errors, status, wa_timestamp)
SELECT current_tenant_id(), u.conversation_id, 'in', u.wa_message_id, u.type, u.content::jsonb,
       u.text, u.raw::jsonb, u.context::jsonb, u.referral::jsonb, u.errors::jsonb, 'received',
       u.wa_timestamp
  FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
              $7::text[], $8::text[], $9::text[], $10::timestamptz[])
       AS u(conversation_id, wa_message_id, type, content, text, raw, context, referral, errors,
            wa_timestamp)
ON CONFLICT (tenant_id, wa_message_id) WHERE wa_message_id IS NOT NULL DO NOTHING
RETURNING id, conversation_id, wa_message_id
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
) -> list[asyncpg.Record]:
    """Insert what is new; a redelivered message id returns no row."""
    return await conn.fetch(
        _INSERT_MESSAGES,
        list(conversation_ids),
        list(wa_message_ids),
        list(types),
        _json_texts(contents),
        list(texts),
        _json_texts(raws),
        _json_texts(contexts),
        _json_texts(referrals),
        _json_texts(errors),
        list(wa_timestamps),
    )


_TOUCH_CONVERSATIONS = """
UPDATE conversations c
   SET unread_count = c.unread_count + u.unread,
       last_inbound_at = greatest(c.last_inbound_at, u.last_at),
       last_message_preview = CASE WHEN c.last_message_at IS NULL OR u.last_at >= c.last_message_at
                                   THEN u.preview ELSE c.last_message_preview END,
       last_message_at = greatest(c.last_message_at, u.last_at),
       status = CASE WHEN c.status IN ('resolved', 'snoozed') THEN 'open' ELSE c.status END,
       updated_at = now()
  FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::text[])
       AS u(id, unread, last_at, preview)
 WHERE c.tenant_id = current_tenant_id() AND c.id = u.id
"""


async def touch_conversations(
    conn: Connection,
    ids: Sequence[uuid.UUID],
    unread: Sequence[int],
    last_at: Sequence[datetime],
    previews: Sequence[str],
) -> None:
    """Count new inbound messages, move the window, reopen resolved conversations."""
    await conn.execute(_TOUCH_CONVERSATIONS, list(ids), list(unread), list(last_at), list(previews))


# Namespace of the advisory locks that serialise, per wamid, a status callback with the sender
# recording that wamid: without it each could commit unseen by the other, and the callback would
# never reach the message (READ COMMITTED shows neither transaction the other's rows).
WAMID_LOCK_SPACE = 7_310_001

_LOCK_WAMIDS = """
SELECT count(pg_advisory_xact_lock($2::int, h))
  FROM (SELECT DISTINCT hashtext(w) AS h FROM unnest($1::text[]) AS w ORDER BY h) AS keys
"""


async def lock_wamids(conn: Connection, wamids: Sequence[str]) -> None:
    """Take the per-wamid locks (in hash order, so concurrent batches can't deadlock)."""
    await conn.execute(_LOCK_WAMIDS, list(wamids), WAMID_LOCK_SPACE)


_INSERT_STATUSES = """
INSERT INTO message_statuses (tenant_id, wa_message_id, status, occurred_at, recipient_id, errors,
                              pricing, conversation, raw)
SELECT current_tenant_id(), u.wa_message_id, u.status, u.occurred_at, u.recipient_id,
       u.errors::jsonb, u.pricing::jsonb, u.conversation::jsonb, u.raw::jsonb
  FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[],
              $7::text[], $8::text[])
       AS u(wa_message_id, status, occurred_at, recipient_id, errors, pricing, conversation, raw)
ON CONFLICT (tenant_id, wa_message_id, status) DO NOTHING
RETURNING wa_message_id, status
"""


async def insert_statuses(
    conn: Connection,
    *,
    wa_message_ids: Sequence[str],
    statuses: Sequence[str],
    occurred_at: Sequence[datetime],
    recipient_ids: Sequence[str | None],
    errors: Sequence[Any],
    pricing: Sequence[Any],
    conversations: Sequence[Any],
    raws: Sequence[Any],
) -> set[tuple[str, str]]:
    """Record raw statuses; returns the (message id, status) pairs seen for the first time."""
    rows = await conn.fetch(
        _INSERT_STATUSES,
        list(wa_message_ids),
        list(statuses),
        list(occurred_at),
        list(recipient_ids),
        _json_texts(errors),
        _json_texts(pricing),
        _json_texts(conversations),
        _json_texts(raws),
    )
    return {(row["wa_message_id"], row["status"]) for row in rows}


_ADVANCE_STATUSES = """
UPDATE messages m
   SET status = u.status, status_at = u.occurred_at,
       error_code = CASE WHEN u.status = 'failed' THEN u.error_code ELSE m.error_code END,
       error_title = CASE WHEN u.status = 'failed' THEN u.error_title ELSE m.error_title END,
       error_explanation = CASE WHEN u.status = 'failed' THEN u.explanation
                                ELSE m.error_explanation END
  FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::int[], $5::text[], $6::text[])
       AS u(wa_message_id, status, occurred_at, error_code, error_title, explanation)
 WHERE m.tenant_id = current_tenant_id() AND m.wa_message_id = u.wa_message_id
   AND message_status_rank(u.status) > message_status_rank(m.status)
RETURNING m.id
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
) -> list[uuid.UUID]:
    """Move messages' status forward by rank only; returns the messages that changed.

    Each message id must appear once (the caller folds a batch to each message's best status).
    """
    rows = await conn.fetch(
        _ADVANCE_STATUSES,
        list(wa_message_ids),
        list(statuses),
        list(occurred_at),
        list(error_codes),
        list(error_titles),
        list(explanations),
    )
    return [row["id"] for row in rows]


_INSERT_EVENTS = """
INSERT INTO webhook_events (tenant_id, kind, field, waba_id, phone_number_id, digest, payload)
SELECT current_tenant_id(), u.kind, u.field, u.waba_id, u.phone_number_id, u.digest,
       u.payload::jsonb
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::text[])
       AS u(kind, field, waba_id, phone_number_id, digest, payload)
ON CONFLICT (tenant_id, digest) DO NOTHING
RETURNING id, kind, payload
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
) -> list[asyncpg.Record]:
    """Record other changes once each (by digest); returns the new ones."""
    return await conn.fetch(
        _INSERT_EVENTS,
        list(kinds),
        list(fields),
        list(waba_ids),
        list(phone_number_ids),
        list(digests),
        _json_texts(payloads),
    )
