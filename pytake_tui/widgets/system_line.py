"""A thread's system lines: what happened to the conversation (queued, assigned, transferred,
closed, reopened, rated, a note added, timed out), one dim centred line each among the messages.

The sentence is built in one place, :func:`system_text`, so the thread, its tests and any other
view of a conversation's life say it the same way.
"""

from __future__ import annotations

from textual.widgets import Static

from pytake_daemon.protocol import ConversationOut
from pytake_daemon.protocol.conversations import ConversationEventOut, TimelineKind
from pytake_tui.i18n import _, pgettext
from pytake_tui.message_view import clock
from pytake_tui.widgets.thread import ThreadEntry


def _stars(rating: object) -> str:
    value = rating if isinstance(rating, int) and 1 <= rating <= 5 else 0
    return "★" * value or "?"


def _what(event: ConversationEventOut) -> str:
    # Whole sentences per case, so a translation may reorder them; only ", past capacity" is
    # a suffix (it qualifies any assignment the same way).
    actor = event.actor.name if event.actor is not None else None
    agent = event.agent.name if event.agent is not None else None
    queue = event.queue.name if event.queue is not None else None
    past = _(", past capacity") if event.detail.get("override_capacity") else ""
    match event.kind:
        case TimelineKind.QUEUED:
            return _("queued in {queue}").format(queue=queue) if queue else _("queued")
        case TimelineKind.ASSIGNED:
            someone = agent or _("an agent")
            if actor is not None and event.actor == event.agent:
                took = _("{actor} took it from {queue}") if queue else _("{actor} took it")
                return took.format(actor=actor, queue=queue) + past
            if actor is not None:
                text = _("{actor} assigned it to {agent}").format(actor=actor, agent=someone)
                return text + past
            assigned = _("assigned to {agent} from {queue}") if queue else _("assigned to {agent}")
            return assigned.format(agent=someone, queue=queue) + past
        case TimelineKind.TRANSFERRED:
            # To an agent the line names the agent; to a queue, the queue.
            target = agent or queue or _("another queue")
            if actor is not None:
                text = _("{actor} transferred it to {target}")
                return text.format(actor=actor, target=target) + past
            return _("transferred to {target}").format(target=target) + past
        case TimelineKind.TIMED_OUT:
            if queue:
                return _("timed out waiting in {queue}").format(queue=queue)
            return _("timed out waiting")
        case TimelineKind.CLOSED:
            if actor is not None:
                return _("closed by {actor}").format(actor=actor)
            reason = event.detail.get("reason")
            if isinstance(reason, str) and reason:
                return _("closed ({reason})").format(reason=reason)
            return _("closed")
        case TimelineKind.REOPENED:
            reopened = {
                (True, True): _("reopened, back to {queue} by {actor}"),
                (True, False): _("reopened, back to {queue}"),
                (False, True): _("reopened by {actor}"),
                (False, False): _("reopened"),
            }[(bool(queue), actor is not None)]
            return reopened.format(queue=queue, actor=actor)
        case TimelineKind.RATED:
            stars = _stars(event.detail.get("rating"))
            if agent:
                return _("rated {stars} for {agent}").format(stars=stars, agent=agent)
            return _("rated {stars}").format(stars=stars)
        case TimelineKind.NOTE_ADDED:
            return _("note added by {actor}").format(actor=actor) if actor else _("note added")


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
    who = f"→ {agent.name}" if agent is not None else "→ " + pgettext("queue item", "waiting")
    return f"{who} · {queue.name}" if queue is not None else who
