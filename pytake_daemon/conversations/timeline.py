"""A thread's system lines as events: write them in the caller's transaction and get the
``conversation_event_added`` events to publish (or number with a batch) after it."""

from __future__ import annotations

from collections.abc import Sequence

from pytake_daemon.conversations import timeline_db
from pytake_daemon.conversations.timeline_db import Line
from pytake_daemon.conversations.views import event_out
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol.events import ConversationEventAdded

__all__ = ["Line", "record"]


async def record(conn: Connection, lines: Sequence[Line]) -> list[ConversationEventAdded]:
    """Write the lines (one statement) and return their events, in the thread's order."""
    rows = await timeline_db.add_lines(conn, lines)
    return [ConversationEventAdded(event=event_out(r)) for r in rows]
