"""The conversation list's state, without Textual: filters, display order and live updates.

Events carry the whole :class:`ConversationOut`, so a conversation is replaced, never patched.
The order is the one an agent works in: conversations assigned to them first, then the most
recent message first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from pytake_daemon.protocol import ConversationOut, ConversationQuery, ConversationStatus

MIN_SEARCH = 2
"""The daemon refuses shorter searches (``ConversationQuery.q``)."""


class AgentFilter(StrEnum):
    """Whose conversations the list shows."""

    ANYONE = "anyone"
    ME = "me"
    NONE = "unassigned"


class Period(StrEnum):
    """How recent the last message must be."""

    ANY = "any time"
    TODAY = "today"
    WEEK = "7 days"
    MONTH = "30 days"

    def since(self, now: datetime) -> datetime | None:
        """The earliest last-message time admitted (``today`` starts at local midnight)."""
        match self:
            case Period.ANY:
                return None
            case Period.TODAY:
                local = now.astimezone()
                return local.replace(hour=0, minute=0, second=0, microsecond=0)
            case Period.WEEK:
                return now - timedelta(days=7)
            case Period.MONTH:
                return now - timedelta(days=30)


STATUS_CHOICES: tuple[ConversationStatus | None, ...] = (None, *ConversationStatus)
"""The status filter cycles through these; ``None`` shows every status."""


_T = TypeVar("_T")


def _next(choices: tuple[_T, ...], current: _T) -> _T:
    return choices[(choices.index(current) + 1) % len(choices)]


@dataclass(frozen=True, slots=True)
class ListFilters:
    """What the agent asked the list to show."""

    status: ConversationStatus | None = None
    agent: AgentFilter = AgentFilter.ANYONE
    period: Period = Period.ANY
    search: str = ""

    @property
    def searching(self) -> bool:
        return len(self.search.strip()) >= MIN_SEARCH

    def next_status(self) -> ListFilters:
        return replace(self, status=_next(STATUS_CHOICES, self.status))

    def next_agent(self) -> ListFilters:
        return replace(self, agent=_next(tuple(AgentFilter), self.agent))

    def next_period(self) -> ListFilters:
        return replace(self, period=_next(tuple(Period), self.period))

    def query(self, now: datetime, limit: int = 100) -> ConversationQuery:
        """The REST query for these filters."""
        agent = {AgentFilter.ANYONE: None, AgentFilter.ME: "me", AgentFilter.NONE: "none"}
        return ConversationQuery(
            status=self.status,
            agent=agent[self.agent],
            since=self.period.since(now),
            q=self.search.strip() if self.searching else None,
            limit=limit,
        )

    def admits(self, conversation: ConversationOut, me: uuid.UUID, now: datetime) -> bool:
        """Whether a conversation seen on the stream belongs in the list.

        A text search can't be judged here (it covers message text the event doesn't carry),
        so while searching only conversations already listed are updated.
        """
        if self.searching:
            return False
        if self.status is not None and conversation.status is not self.status:
            return False
        assigned = conversation.assigned_user_id
        if self.agent is AgentFilter.ME and assigned != me:
            return False
        if self.agent is AgentFilter.NONE and assigned is not None:
            return False
        since = self.period.since(now)
        last = conversation.last_message_at
        return since is None or (last is not None and last >= since)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Inbox:
    """The listed conversations by id, in a display order that holds still.

    A fresh REST page is sorted (:meth:`sorted_now`); after that, live events never move a row:
    a conversation with news keeps its place and is marked (:attr:`fresh`), and one new to the
    list goes on top. Re-sorting under the agent's cursor made Down+Enter open another
    customer than the one they were looking at.
    """

    def __init__(self, me: uuid.UUID) -> None:
        self.me = me
        self._by_id: dict[uuid.UUID, ConversationOut] = {}
        self._order: list[uuid.UUID] = []
        self.fresh: set[uuid.UUID] = set()
        """Conversations with a message since the list was last sorted."""

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, conversation_id: object) -> bool:
        return conversation_id in self._by_id

    def get(self, conversation_id: uuid.UUID) -> ConversationOut | None:
        return self._by_id.get(conversation_id)

    def replace_all(self, conversations: list[ConversationOut]) -> None:
        """A fresh page from REST replaces what was shown, sorted."""
        self._by_id = {c.id: c for c in conversations}
        self._order = [c.id for c in self.sorted_now()]
        self.fresh.clear()

    def upsert(self, conversation: ConversationOut) -> ConversationOut | None:
        """Store the newer state of a conversation; returns the one it replaced.

        An event older than what is shown (``updated_at``) is ignored: REST reads and stream
        events can cross.
        """
        previous = self._by_id.get(conversation.id)
        if previous is not None and conversation.updated_at < previous.updated_at:
            return previous
        self._by_id[conversation.id] = conversation
        if previous is None:
            self._order.insert(0, conversation.id)
            self.fresh.add(conversation.id)
        elif _later(conversation.last_message_at, previous.last_message_at):
            self.fresh.add(conversation.id)
        return previous

    def seen(self, conversation_id: uuid.UUID) -> None:
        """The agent opened it: its news is no longer new."""
        self.fresh.discard(conversation_id)

    def remove(self, conversation_id: uuid.UUID) -> None:
        if self._by_id.pop(conversation_id, None) is not None:
            self._order.remove(conversation_id)
        self.fresh.discard(conversation_id)

    def ordered(self) -> list[ConversationOut]:
        """The rows in display order: as sorted at the last load, news marked in place."""
        return [self._by_id[i] for i in self._order]

    def sorted_now(self) -> list[ConversationOut]:
        """Assigned to me first, then most recent message first (ties by id, for stability)."""
        return sorted(
            self._by_id.values(),
            key=lambda c: (
                c.assigned_user_id != self.me,
                -(c.last_message_at or _EPOCH).timestamp(),
                str(c.id),
            ),
        )

    def resort(self) -> None:
        """Sort again, on the agent's request; the marks go."""
        self._order = [c.id for c in self.sorted_now()]
        self.fresh.clear()


def _later(new: datetime | None, old: datetime | None) -> bool:
    return new is not None and (old is None or new > old)
