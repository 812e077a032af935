"""The queue monitor's actions on an item: assign, transfer (to a queue or an agent) and
priority, each a picker and a call.

A widget with nothing to draw, like the chat's :class:`ConversationActions`: the screen's keys
call it with the selected item, and it posts :class:`ItemsChanged` with what the daemon
answered so the screen shows it at once (the events follow and change nothing more).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from textual import work
from textual.message import Message
from textual.widget import Widget

from pytake_daemon.protocol.agents import AgentStatus
from pytake_daemon.protocol.conversations import AssignmentRequest
from pytake_daemon.protocol.queues import (
    ItemStatus,
    Priority,
    QueueItemChanged,
    QueueItemOut,
    Transition,
)
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _
from pytake_tui.queue_board import QueueBoard
from pytake_tui.screens.capacity_override import (
    ConfirmOverride,
    capacity_question,
    capacity_refused,
)
from pytake_tui.screens.queue_dialogs import ChoicePicker
from pytake_tui.vocabulary import agent_status
from pytake_tui.widgets.queue_columns import contact_label


def _agent_status(status: str) -> str:
    try:
        return agent_status(AgentStatus(status))
    except ValueError:
        return status


PRIORITY_NAMES = {
    Priority.NORMAL: N_("Normal"),
    Priority.HIGH: N_("High"),
    Priority.URGENT: N_("Urgent"),
}
_QUEUE, _AGENT = "q", "a"


class QueueItemActions(Widget):
    """Assign, transfer and reprioritize queue items (supervisors)."""

    DEFAULT_CSS = "QueueItemActions { display: none; }"

    class ItemsChanged(Message):
        """The daemon changed these items (as events would say)."""

        def __init__(self, changes: list[QueueItemChanged]) -> None:
            super().__init__()
            self.changes = changes

    def __init__(
        self, *, client: DaemonClient, board: QueueBoard, clock: Callable[[], datetime]
    ) -> None:
        super().__init__()
        self._client = client
        self._board = board
        self._clock = clock

    def _agent_choices(self, item: QueueItemOut) -> list[tuple[str, str]]:
        agents = sorted(
            (a for a in self._board.agents.values() if a.status != "offline"),
            key=lambda a: a.name.lower(),
        )
        return [
            (
                f"{_AGENT}:{a.agent_id}",
                f"{a.name} — {_agent_status(a.status)}, {a.active}/{a.capacity}",
            )
            for a in agents
            if a.agent_id != item.agent_id
        ]

    def assign(self, item: QueueItemOut) -> None:
        """Assign the item to an agent who is not offline (or reassign it)."""
        title = _("Assign {contact} to…").format(contact=contact_label(item))
        self.app.push_screen(ChoicePicker(title, self._agent_choices(item)), self._chosen(item))

    def transfer(self, item: QueueItemOut) -> None:
        """Move the item to another queue, or hand it to an agent."""
        queues = [
            (f"{_QUEUE}:{queue_id}", f"⇢ {name}")
            for queue_id, name in sorted(self._board.queues.items(), key=lambda q: q[1].lower())
            if queue_id != item.queue_id
        ]
        agents = [(key, f"☺ {label}") for key, label in self._agent_choices(item)]
        title = _("Transfer {contact} to a queue (⇢) or an agent (☺)…").format(
            contact=contact_label(item)
        )
        self.app.push_screen(ChoicePicker(title, queues + agents), self._chosen(item))

    def _chosen(self, item: QueueItemOut) -> Callable[[str | None], None]:
        def chosen(choice: str | None) -> None:
            if choice is None:
                return
            kind, _sep, raw = choice.partition(":")
            if kind == _AGENT:
                self._assign(item, uuid.UUID(raw))
            else:
                self._transfer(item, uuid.UUID(raw))

        return chosen

    @work(exit_on_error=False, group="actions")
    async def _assign(self, item: QueueItemOut, agent_id: uuid.UUID) -> None:
        override = False
        while True:
            try:
                result = await self._client.assign_item(
                    item.queue_id, item.id, agent_id, override_capacity=override
                )
                break
            except DaemonError as error:
                if override or not capacity_refused(error):
                    self.notify(error.message, title=_("Not assigned"), severity="error")
                    return
            # The board's load may lag the daemon's by an event; the 409 is the authority.
            agent = self._board.agents.get(agent_id)
            question = capacity_question(
                self._board.agent_name(agent_id),
                agent.active if agent is not None else None,
                agent.capacity if agent is not None else None,
            )
            if not await self.app.push_screen_wait(ConfirmOverride(question)):
                return
            override = True
        changes = [QueueItemChanged(transition=Transition.ASSIGNED, item=i) for i in result.items]
        self.post_message(self.ItemsChanged(changes))
        self.notify(
            _("{contact} assigned to {agent}").format(
                contact=contact_label(item), agent=self._board.agent_name(agent_id)
            )
        )

    @work(exit_on_error=False, group="actions")
    async def _transfer(self, item: QueueItemOut, to_queue: uuid.UUID) -> None:
        try:
            result = await self._client.transfer_item(item.queue_id, item.id, to_queue)
        except DaemonError as error:
            self.notify(error.message, title=_("Not transferred"), severity="error")
            return
        # The old item ends as transferred (its event follows; show it now).
        ended = item.model_copy(
            update={"status": ItemStatus.TRANSFERRED, "ended_at": self._clock(), "position": None}
        )
        changes = [QueueItemChanged(transition=Transition.TRANSFERRED, item=ended)]
        changes += [QueueItemChanged(transition=Transition.ENTERED, item=i) for i in result.items]
        self.post_message(self.ItemsChanged(changes))
        self.notify(
            _("{contact} moved to {queue}").format(
                contact=contact_label(item), queue=self._board.queue_name(to_queue)
            )
        )

    @work(exit_on_error=False, group="actions")
    async def take(self, item: QueueItemOut) -> None:
        """Attend the item's conversation yourself (the queue events then move it)."""
        request = AssignmentRequest(take=True)
        while True:
            try:
                await self._client.assign(item.conversation_id, request)
                break
            except DaemonError as error:
                if request.override_capacity or not capacity_refused(error):
                    self.notify(error.message, title=_("Not taken"), severity="error")
                    return
            question = _("You are at capacity. Take it anyway?")
            if not await self.app.push_screen_wait(ConfirmOverride(question)):
                return
            request = AssignmentRequest(take=True, override_capacity=True)
        self.notify(
            _("You attend {contact} now").format(contact=contact_label(item)), title=_("Taken")
        )

    def change_priority(self, item: QueueItemOut) -> None:
        """Change a waiting item's priority."""
        if item.status is not ItemStatus.WAITING:
            self.notify(_("Only a waiting item's priority can change"), severity="warning")
            return
        choices = [
            (
                str(int(p)),
                _("{priority} (now)").format(priority=_(name)) if p == item.priority else _(name),
            )
            for p, name in PRIORITY_NAMES.items()
        ]

        def chosen(priority: str | None) -> None:
            if priority is not None and int(priority) != item.priority:
                self._set_priority(item, Priority(int(priority)))

        title = _("Priority of {contact}").format(contact=contact_label(item))
        self.app.push_screen(ChoicePicker(title, choices), chosen)

    @work(exit_on_error=False, group="actions")
    async def _set_priority(self, item: QueueItemOut, priority: Priority) -> None:
        try:
            changed = await self._client.set_item_priority(item.queue_id, item.id, priority)
        except DaemonError as error:
            self.notify(error.message, title=_("Priority not changed"), severity="error")
            return
        change = QueueItemChanged(transition=Transition.REPRIORITIZED, item=changed)
        self.post_message(self.ItemsChanged([change]))
        self.notify(
            _("{contact}: priority {priority}").format(
                contact=contact_label(item), priority=_(PRIORITY_NAMES[priority]).lower()
            )
        )
