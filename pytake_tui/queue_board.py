"""The queue monitor's state, without Textual: every active item by column, the latest ended
ones, each waiting item's place in its queue, and what the AI says about the conversations.

REST fills it (:meth:`QueueBoard.load`); stream events keep it current (:meth:`QueueBoard.apply`
and friends), each returning what changed so the screen touches only those rows.
"""

from __future__ import annotations

import uuid
from bisect import bisect_left, insort
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pytake_daemon.protocol.ai import AlertOut, SentimentLabel
from pytake_daemon.protocol.queues import (
    AgentLoad,
    Dashboard,
    ItemStatus,
    QueueItemOut,
    QueueOut,
    QueueSummary,
)

HISTORY_ROWS = 100
"""Ended items kept in the history column, newest first."""
ALERTS_KEPT = 50


class Column(StrEnum):
    WAITING = "waiting"
    ACTIVE = "active"
    HISTORY = "history"


def column_of(item: QueueItemOut) -> Column:
    match item.status:
        case ItemStatus.WAITING:
            return Column.WAITING
        case ItemStatus.ASSIGNED:
            return Column.ACTIVE
        case _:
            return Column.HISTORY


SortKey = tuple[int, datetime, str]


def serving_key(item: QueueItemOut) -> SortKey:
    """The daemon's serving order: urgent first, then the longest waiting (ties by id)."""
    return (-int(item.priority), item.entered_at, str(item.id))


@dataclass(frozen=True, slots=True)
class Change:
    """One item moved: where it was shown before (None: new) and where it is now (None: gone,
    e.g. pushed out of the history)."""

    item: QueueItemOut
    before: Column | None
    after: Column | None


@dataclass
class Metrics:
    """The header's figures (for one queue or all of them)."""

    waiting: int
    avg_wait_seconds: float | None
    agents_online: int
    agents_busy: int
    abandonment: float | None
    """Abandoned or timed out today among those that ended today."""


@dataclass
class QueueBoard:
    waiting: dict[uuid.UUID, QueueItemOut] = field(default_factory=dict)
    active: dict[uuid.UUID, QueueItemOut] = field(default_factory=dict)
    history: OrderedDict[uuid.UUID, QueueItemOut] = field(default_factory=OrderedDict)
    """Newest last (the table shows it first)."""
    queues: dict[uuid.UUID, str] = field(default_factory=dict)
    summaries: dict[uuid.UUID, QueueSummary] = field(default_factory=dict)
    agents: dict[uuid.UUID, AgentLoad] = field(default_factory=dict)
    moods: dict[uuid.UUID, SentimentLabel] = field(default_factory=dict)
    """By conversation."""
    alerts: OrderedDict[uuid.UUID, AlertOut] = field(default_factory=OrderedDict)
    """The latest alert of each conversation, newest last."""
    last_messages: dict[uuid.UUID, str] = field(default_factory=dict)
    """By conversation."""
    ratings: dict[uuid.UUID, int] = field(default_factory=dict)
    """By item (history) or conversation (a rating arriving for an ended item)."""
    _lines: dict[uuid.UUID, list[SortKey]] = field(default_factory=dict)
    """Per queue, the sorted keys of its waiting items: a position is one bisection."""
    _by_conversation: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    """The item shown for each conversation (the latest one)."""

    # Loading

    def load(
        self,
        queues: list[QueueOut],
        dashboard: Dashboard,
        items: list[QueueItemOut],
        alerts: list[AlertOut],
    ) -> None:
        """Start over from REST answers (on open and after a resync)."""
        self.waiting.clear()
        self.active.clear()
        self.history.clear()
        self._lines.clear()
        self._by_conversation.clear()
        self.queues = {q.id: q.name for q in queues}
        self.set_dashboard(dashboard)
        for item in items:
            if item.sentiment is not None:
                self.moods[item.conversation_id] = item.sentiment
            if item.last_message:
                self.last_messages[item.conversation_id] = item.last_message
            if item.rating is not None:
                self.ratings[item.id] = item.rating
        ended = sorted(
            (i for i in items if column_of(i) is Column.HISTORY),
            key=lambda i: i.ended_at or i.entered_at,
        )
        for item in [i for i in items if column_of(i) is not Column.HISTORY] + ended:
            self.apply(item)
        self.alerts.clear()
        for alert in reversed(alerts):  # the API gives newest first
            self.add_alert(alert)

    def set_dashboard(self, dashboard: Dashboard) -> None:
        self.summaries = {s.queue_id: s for s in dashboard.queues}
        for summary in dashboard.queues:
            self.queues.setdefault(summary.queue_id, summary.name)
        self.agents = {a.agent_id: a for a in dashboard.agents}

    # Events

    def apply(self, item: QueueItemOut) -> list[Change]:
        """An item's new state; returns the changes (possibly an old one leaving the history)."""
        before = self.where(item.id)
        if before is Column.WAITING:
            self._leave_line(self.waiting.pop(item.id))
        elif before is Column.ACTIVE:
            del self.active[item.id]
        elif before is Column.HISTORY:
            del self.history[item.id]
        after = column_of(item)
        changes = [Change(item, before, after)]
        if after is Column.WAITING:
            self.waiting[item.id] = item
            insort(self._lines.setdefault(item.queue_id, []), serving_key(item))
        elif after is Column.ACTIVE:
            self.active[item.id] = item
        else:
            self.history[item.id] = item
            while len(self.history) > HISTORY_ROWS:
                _, dropped = self.history.popitem(last=False)
                changes.append(Change(dropped, Column.HISTORY, None))
        self._by_conversation[item.conversation_id] = item.id
        return changes

    def _leave_line(self, item: QueueItemOut) -> None:
        line = self._lines[item.queue_id]
        del line[bisect_left(line, serving_key(item))]

    def waiting_count(self, queue_id: uuid.UUID | None) -> int:
        return len(self.waiting if queue_id is None else self._lines.get(queue_id, []))

    def where(self, item_id: uuid.UUID) -> Column | None:
        if item_id in self.waiting:
            return Column.WAITING
        if item_id in self.active:
            return Column.ACTIVE
        if item_id in self.history:
            return Column.HISTORY
        return None

    def item(self, item_id: uuid.UUID) -> QueueItemOut | None:
        return self.waiting.get(item_id) or self.active.get(item_id) or self.history.get(item_id)

    def item_of(self, conversation_id: uuid.UUID) -> QueueItemOut | None:
        """The item shown for a conversation, if any."""
        item_id = self._by_conversation.get(conversation_id)
        return None if item_id is None else self.item(item_id)

    def position(self, item: QueueItemOut) -> int | None:
        """1-based place among its queue's waiting items, as the daemon counts it."""
        if item.id not in self.waiting:
            return None
        return bisect_left(self._lines[item.queue_id], serving_key(item)) + 1

    def set_mood(self, conversation_id: uuid.UUID, label: SentimentLabel) -> bool:
        """True when the label changed."""
        changed = self.moods.get(conversation_id) != label
        self.moods[conversation_id] = label
        return changed

    def add_alert(self, alert: AlertOut) -> None:
        self.alerts.pop(alert.conversation_id, None)
        self.alerts[alert.conversation_id] = alert
        while len(self.alerts) > ALERTS_KEPT:
            self.alerts.popitem(last=False)

    def set_agent(self, agent_id: uuid.UUID, status: str, active: int, capacity: int) -> None:
        known = self.agents.get(agent_id)
        name = known.name if known is not None else str(agent_id)[:8]
        self.agents[agent_id] = AgentLoad(
            agent_id=agent_id, name=name, status=status, active=active, capacity=capacity
        )

    # Reading

    def agent_name(self, agent_id: uuid.UUID | None) -> str:
        if agent_id is None:
            return "—"
        agent = self.agents.get(agent_id)
        return agent.name if agent is not None else str(agent_id)[:8]

    def queue_name(self, queue_id: uuid.UUID) -> str:
        return self.queues.get(queue_id, str(queue_id)[:8])

    def metrics(self, queue_id: uuid.UUID | None = None) -> Metrics:
        summaries = [
            s for s in self.summaries.values() if queue_id is None or s.queue_id == queue_id
        ]
        waiting = self.waiting_count(queue_id)
        # Weighted by the attendances each queue started today (assigned now or ended today).
        weighted = [
            (s.avg_wait_seconds_today, s.assigned + s.completed_today)
            for s in summaries
            if s.avg_wait_seconds_today is not None
        ]
        weight = sum(w for _, w in weighted)
        if weight:
            avg: float | None = sum(v * w for v, w in weighted) / weight
        elif weighted:
            avg = sum(v for v, _ in weighted) / len(weighted)
        else:
            avg = None
        ended = sum(s.completed_today + s.abandoned_today for s in summaries)
        abandoned = sum(s.abandoned_today for s in summaries)
        statuses = [a.status for a in self.agents.values()]
        return Metrics(
            waiting=waiting,
            avg_wait_seconds=avg,
            agents_online=sum(1 for s in statuses if s in ("online", "busy")),
            agents_busy=sum(1 for s in statuses if s == "busy"),
            abandonment=abandoned / ended if ended else None,
        )


def duration(seconds: float) -> str:
    """``42s``, ``3m05s``, ``2h07m`` — short enough for a narrow column."""
    total = max(0, int(seconds))
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
