"""``message_sent`` events for messages queued by the daemon itself (a queue's welcome and
places, the closing text, the rating request), so every open thread shows them as they are
queued, as it does an agent's reply or a flow's answer."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from pytake_daemon.conversations import db
from pytake_daemon.conversations.views import conversation_out, message_out
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol import MessageSent


async def message_sent_events(
    conn: Connection, message_ids: Sequence[uuid.UUID], *, now: datetime
) -> list[MessageSent]:
    """The events of ``message_ids`` (queued in this transaction), in the order given: two
    reads whatever their number (messages, then their conversations, by primary key)."""
    if not message_ids:
        return []
    return await sent_events_of(conn, await db.get_messages(conn, list(message_ids)), now=now)


async def sent_events_of(
    conn: Connection, rows: Sequence[asyncpg.Record], *, now: datetime
) -> list[MessageSent]:
    """The events of messages already read (``MESSAGE_COLUMNS``: as their insert returned
    them), in the order given; their conversations are read once, by primary key."""
    if not rows:
        return []
    conversations = {
        c["id"]: conversation_out(c, now=now)
        for c in await db.get_conversations(conn, sorted({r["conversation_id"] for r in rows}))
    }
    return [
        MessageSent(conversation=conversations[r["conversation_id"]], message=message_out(r))
        for r in rows
        if r["conversation_id"] in conversations
    ]
