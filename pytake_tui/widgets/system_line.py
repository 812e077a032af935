"""A thread's system lines: what happened to the conversation (queued, assigned, transferred,
closed, reopened, rated, a note added, timed out), one dim centred line each among the messages.

The sentence is built in one place, :func:`system_text`, so the thread, its tests and any other
view of a conversation's life say it the same way.
"""

from __future__ import annotations

from textual.widgets import Static

from pytake_daemon.protocol import ConversationOut
from pytake_daemon.protocol.conversations import ConversationEventOut, TimelineKind
from pytake_tui.message_view import clock
from pytake_tui.widgets.thread import ThreadEntry


def _stars(rating: object) -> str:
    value = rating if isinstance(rating, int) and 1 <= rating <= 5 else 0
    return "★" * value or "?"


def _what(event: ConversationEventOut) -> str:
    actor = event.actor.name if event.actor is not None else None
    agent = event.agent.name if event.agent is not None else None
    queue = event.queue.name if event.queue is not None else None
    from_queue = f" from {queue}" if queue else ""
    past = ", past capacity" if event.detail.get("override_capacity") else ""
    match event.kind:
        case TimelineKind.QUEUED:
            return f"queued in {queue}" if queue else "queued"
        case TimelineKind.ASSIGNED:
            if actor is not None and event.actor == event.agent:
                return f"{actor} took it{from_queue}{past}"
            if actor is not None:
                return f"{actor} assigned it to {agent or 'an agent'}{past}"
            return f"assigned to {agent or 'an agent'}{from_queue}{past}"
        case TimelineKind.TRANSFERRED:
            # To an agent the line names the agent; to a queue, the queue.
            target = agent or queue or "another queue"
            if actor is not None:
                return f"{actor} transferred it to {target}{past}"
            return f"transferred to {target}{past}"
        case TimelineKind.TIMED_OUT:
            return f"timed out waiting in {queue}" if queue else "timed out waiting"
        case TimelineKind.CLOSED:
            if actor is not None:
                return f"closed by {actor}"
            reason = event.detail.get("reason")
            return f"closed ({reason})" if isinstance(reason, str) and reason else "closed"
        case TimelineKind.REOPENED:
            back = f", back to {queue}" if queue else ""
            by = f" by {actor}" if actor is not None else ""
            return f"reopened{back}{by}"
        case TimelineKind.RATED:
            rated = f" for {agent}" if agent else ""
            return f"rated {_stars(event.detail.get('rating'))}{rated}"
        case TimelineKind.NOTE_ADDED:
            return f"note added by {actor}" if actor else "note added"


def system_text(event: ConversationEventOut) -> str:
    """``── Bruno took it from Support · 09:21 ──``."""
    return f"── {_what(event)} · {clock(event.at)} ──"


class SystemLine(Static):
    """One system line, centred and dim."""

    DEFAULT_CSS = """
    SystemLine {
        width: auto; max-width: 100%; height: auto; text-align: center; color: $text-muted;
    }
    """

    def __init__(self, event: ConversationEventOut) -> None:
        super().__init__(system_text(event), markup=False)
        self.event = event


def system_entry(event: ConversationEventOut) -> ThreadEntry:
    """A system line as a thread entry (once per event id, however often it arrives)."""
    return ThreadEntry(key=f"event:{event.id}", at=event.at, widget=SystemLine(event))


def assignment_label(conversation: ConversationOut) -> str | None:
    """``→ Bruno · Support`` (who attends it, from which queue); None when neither."""
    agent, queue = conversation.assignee, conversation.queue
    if agent is None and queue is None:
        return None
    who = f"→ {agent.name}" if agent is not None else "→ waiting"
    return f"{who} · {queue.name}" if queue is not None else who
