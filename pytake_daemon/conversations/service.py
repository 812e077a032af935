"""Agents' actions on a conversation's own record: internal notes.

Functions work in the caller's tenant transaction. Handing a conversation to a queue or an agent
is the attendance domain's (``attendance.handover``), which sits above this one.
"""

from __future__ import annotations

import uuid

from pytake_daemon.conversations import db, notes_db, timeline
from pytake_daemon.db.pool import Connection
from pytake_daemon.effects import Effects
from pytake_daemon.errors import NotFound
from pytake_daemon.protocol.conversations import NoteOut, TimelineKind

NOT_FOUND = "no such conversation"
NOTES_SHOWN = 500
"""The latest notes a conversation's note list returns."""
LINES_SHOWN = 500
"""The most system lines one page of a thread carries (between two of its messages)."""


async def add_note(
    conn: Connection,
    conversation_id: uuid.UUID,
    author_id: uuid.UUID,
    body: str,
    effects: Effects | None = None,
) -> NoteOut:
    """Write an internal note. It goes to ``conversation_notes`` only: nothing that sends or
    lists ``messages`` ever sees it; the thread gets a ``note_added`` line (its event goes to
    ``effects``)."""
    if not await db.conversation_exists(conn, conversation_id):
        raise NotFound(NOT_FOUND)
    row = await notes_db.insert_note(conn, conversation_id, author_id, body)
    line = timeline.Line(
        conversation_id,
        TimelineKind.NOTE_ADDED.value,
        actor_id=author_id,
        detail={"note_id": str(row.id)},
    )
    added = await timeline.record(conn, [line])
    if effects is not None:
        effects.events.extend(added)
    return row
