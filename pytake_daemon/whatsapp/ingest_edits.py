"""Customers' edits and deletions of their own messages (numbers shared with the WhatsApp
Business app: an edit within 15 minutes, a deletion within 2 days).

They are notices about a message, not messages: each is recorded once in ``webhook_events``
(by digest, so Meta's redeliveries change nothing) and, the first time, applied to the
original. An edit replaces the content and keeps the replaced version in ``messages.edits``;
a deletion sets ``revoked_at`` and leaves the content in place for audit (the API and the
console stop showing it). Either one also refreshes the conversation's preview when the
message is its latest. A notice whose original we never stored is only recorded.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

import orjson

from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol.message_preview import Preview, PreviewKind, english, tag
from pytake_daemon.whatsapp import ingest_db
from pytake_daemon.whatsapp.render import describe, stored_preview
from pytake_daemon.whatsapp.webhook import EditContent, InboundMessage, RevokeContent

DELETED_PREVIEW = tag(Preview(PreviewKind.DELETED))

_APPLY_EDITS = """
WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[],
                         $6::text[])
           AS u(original, content, text, edited_at, edit_id, preview)),
edited AS (
    UPDATE messages m
       SET edits = m.edits || jsonb_build_array(jsonb_build_object(
               'text', m.text, 'content', m.content, 'replaced_at', i.edited_at,
               'edit_id', i.edit_id)),
           content = i.content::jsonb, text = i.text, edited_at = i.edited_at
      FROM input i
     WHERE m.tenant_id = current_tenant_id() AND m.wa_message_id = i.original
       AND m.direction = 'in' AND m.revoked_at IS NULL
    RETURNING m.id, m.conversation_id, m.wa_timestamp, i.preview),
latest AS (
    UPDATE conversations c SET last_message_preview = e.preview, updated_at = now()
      FROM edited e
     WHERE c.tenant_id = current_tenant_id() AND c.id = e.conversation_id
       AND c.last_message_at = e.wa_timestamp)
SELECT id FROM edited
"""

_APPLY_REVOKES = """
WITH revoked AS (
    UPDATE messages m SET revoked_at = u.revoked_at
      FROM unnest($1::text[], $2::timestamptz[]) AS u(original, revoked_at)
     WHERE m.tenant_id = current_tenant_id() AND m.wa_message_id = u.original
       AND m.direction = 'in' AND m.revoked_at IS NULL
    RETURNING m.id, m.conversation_id, m.wa_timestamp),
latest AS (
    UPDATE conversations c SET last_message_preview = $3, updated_at = now()
      FROM revoked r
     WHERE c.tenant_id = current_tenant_id() AND c.id = r.conversation_id
       AND c.last_message_at = r.wa_timestamp)
SELECT id FROM revoked
"""


def _digest(item: InboundMessage) -> bytes:
    payload = [item.type, "messages", item.waba_id, item.phone_number_id, item.raw]
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).digest()


async def apply_edits(conn: Connection, items: Sequence[InboundMessage]) -> list[uuid.UUID]:
    """Record edit and revoke notices; apply the new ones. Returns the messages changed."""
    unique = {_digest(i): i for i in items}
    digests = sorted(unique)
    new = await ingest_db.insert_webhook_events(
        conn,
        kinds=[unique[d].type for d in digests],
        fields=["messages"] * len(digests),
        waba_ids=[unique[d].waba_id for d in digests],
        phone_number_ids=[unique[d].phone_number_id for d in digests],
        digests=digests,
        payloads=[unique[d].raw for d in digests],
        reasons=[None] * len(digests),
    )
    fresh = [unique[bytes(row["digest"])] for row in new]
    changed: list[uuid.UUID] = []
    revokes = [i for i in fresh if isinstance(i.content, RevokeContent)]
    edits = sorted(
        (i for i in fresh if isinstance(i.content, EditContent)), key=lambda i: i.timestamp
    )
    # One UPDATE applies at most one edit per message: several edits of one message in a batch
    # go in rounds, oldest first, so the history keeps every version.
    rounds: dict[int, list[InboundMessage]] = defaultdict(list)
    seen: dict[str, int] = defaultdict(int)
    for item in edits:
        assert isinstance(item.content, EditContent)
        original = item.content.original_message_id
        rounds[seen[original]].append(item)
        seen[original] += 1
    for n in sorted(rounds):
        changed += await _edit(conn, rounds[n])
    if revokes:
        changed += await _revoke(conn, revokes)
    return list(dict.fromkeys(changed))


async def _edit(conn: Connection, items: list[InboundMessage]) -> list[uuid.UUID]:
    originals: list[str] = []
    contents: list[str] = []
    texts: list[str] = []
    times: list[datetime] = []
    ids: list[str] = []
    previews: list[str] = []
    for item in items:
        edit = item.content
        assert isinstance(edit, EditContent)
        new_type = edit.message.get("type")
        if edit.content is None or not isinstance(new_type, str):
            continue  # an edit we can't read keeps the original as it was (the notice is kept)
        described = describe(new_type, edit.content)
        text = english(described)
        originals.append(edit.original_message_id)
        dumped = edit.content.model_dump(mode="json", by_alias=True, exclude_none=True)
        contents.append(orjson.dumps(dumped).decode())
        texts.append(text)
        times.append(item.timestamp)
        ids.append(item.message_id)
        previews.append(stored_preview(described))
    if not originals:
        return []
    rows = await conn.fetch(_APPLY_EDITS, originals, contents, texts, times, ids, previews)
    return [row["id"] for row in rows]


async def _revoke(conn: Connection, items: list[InboundMessage]) -> list[uuid.UUID]:
    by_original: dict[str, datetime] = {}
    for item in items:
        assert isinstance(item.content, RevokeContent)
        by_original.setdefault(item.content.original_message_id, item.timestamp)
    originals = sorted(by_original)
    rows = await conn.fetch(
        _APPLY_REVOKES, originals, [by_original[o] for o in originals], DELETED_PREVIEW
    )
    return [row["id"] for row in rows]
