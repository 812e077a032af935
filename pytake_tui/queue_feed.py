"""What feeds the queue monitor's board, without Textual: the REST read that fills it and the
batch of stream events that keeps it current.

:func:`absorb` applies a frame's events to the board and says which rows changed, so the screen
touches only those (a burst that moves one item ten times moves its row once).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from pytake_daemon.protocol import MessageReceived, MessageSent, ServerEvent
from pytake_daemon.protocol.agents import AgentStatusChanged, SatisfactionReceived
from pytake_daemon.protocol.ai import AlertOut, AlertQuery, AlertRaised, MessageAnalyzed
from pytake_daemon.protocol.queues import (
    Dashboard,
    ItemQuery,
    QueueItemChanged,
    QueueItemOut,
    QueueOut,
)
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.queue_board import HISTORY_ROWS, Column, QueueBoard

ACTIVE_LIMIT = 10_000
LIVE_EVENTS = (
    QueueItemChanged,
    MessageAnalyzed,
    AlertRaised,
    AgentStatusChanged,
    SatisfactionReceived,
    MessageReceived,
    MessageSent,
)
"""The events that change what the monitor shows."""


@dataclass(frozen=True, slots=True)
class BoardSnapshot:
    queues: list[QueueOut]
    dashboard: Dashboard
    items: list[QueueItemOut]
    alerts: list[AlertOut]


async def read_snapshot(client: DaemonClient) -> BoardSnapshot:
    """The queues, the dashboard, every queue's active and latest ended items, the alerts."""
    queues = (await client.queues()).items
    dashboard = await client.queue_dashboard()
    pages = await asyncio.gather(
        *(
            client.queue_items(q.id, ItemQuery(status=status, limit=limit))
            for q in queues
            for status, limit in (("active", ACTIVE_LIMIT), ("ended", HISTORY_ROWS))
        )
    )
    items = [item for page in pages for item in page.items]
    return BoardSnapshot(queues, dashboard, items, await _alerts(client))


async def _alerts(client: DaemonClient) -> list[AlertOut]:
    try:
        return (await client.ai_alerts(AlertQuery(limit=50))).items
    except DaemonError as error:
        if error.status in (403, 404):  # AI features off, or a role that may not read them
            return []
        raise


Moved = dict[uuid.UUID, tuple[Column | None, Column | None, QueueItemOut]]
"""Per item: the column it was shown in before the batch, the one it belongs in after."""


@dataclass
class Absorbed:
    """What a batch changed: rows to move, conversations to restyle, the header."""

    moved: Moved = field(default_factory=dict)
    restyle: set[uuid.UUID] = field(default_factory=set)
    header: bool = False


def absorb(board: QueueBoard, events: Iterable[ServerEvent]) -> Absorbed:
    """Apply the events to ``board`` in order; return what the tables must show anew."""
    out = Absorbed()
    for event in events:
        match event:
            case QueueItemChanged(item=item):
                for change in board.apply(item):
                    first = out.moved.get(change.item.id)
                    before = first[0] if first is not None else change.before
                    out.moved[change.item.id] = (before, change.after, change.item)
                out.header = True
            case MessageAnalyzed(mood=mood):
                if board.set_mood(mood.conversation_id, mood.label):
                    out.restyle.add(mood.conversation_id)
            case AlertRaised(alert=alert):
                board.add_alert(alert)
                out.restyle.add(alert.conversation_id)
                out.header = True
            case MessageReceived(message=sent) | MessageSent(message=sent):
                board.last_messages[sent.conversation_id] = sent.text
                out.restyle.add(sent.conversation_id)
            case AgentStatusChanged(agent_id=agent_id, active=active, capacity=capacity):
                board.set_agent(agent_id, event.status.value, active, capacity)
                out.header = True
            case SatisfactionReceived():
                shown = board.item_of(event.conversation_id)
                if shown is not None:
                    board.ratings[shown.id] = event.rating
                    out.restyle.add(event.conversation_id)
            case _:
                pass
    return out
