"""The five statuses as chips; the current one is highlighted, a click (or its key) asks for it."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static

from pytake_daemon.protocol.agents import AgentStatus
from pytake_tui.dashboard_view import STATUS_KEYS, STATUS_ORDER
from pytake_tui.i18n import _
from pytake_tui.vocabulary import agent_status


class StatusChip(Static):
    """``o online``; clicking it asks for that status."""

    def __init__(self, status: AgentStatus) -> None:
        super().__init__(
            Content.assemble((STATUS_KEYS[status], "bold underline"), f" {agent_status(status)}"),
            id=f"status-{status.value}",
            classes=f"status-{status.value}",
        )
        self.status = status

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.post_message(StatusSwitcher.Chosen(self.status))


class StatusSwitcher(Horizontal):
    """The shown agent's status; ``pending`` marks the one asked for until the daemon answers."""

    current: reactive[AgentStatus | None] = reactive(None)
    pending: reactive[AgentStatus | None] = reactive(None)

    class Chosen(Message):
        def __init__(self, status: AgentStatus) -> None:
            super().__init__()
            self.status = status

    def compose(self) -> ComposeResult:
        yield Static(_("Status"), id="status-label")
        for status in STATUS_ORDER:
            yield StatusChip(status)

    def watch_current(self) -> None:
        self._mark()

    def watch_pending(self) -> None:
        self._mark()

    def _mark(self) -> None:
        for chip in self.query(StatusChip):
            chip.set_class(chip.status is self.current, "-current")
            chip.set_class(chip.status is self.pending, "-pending")
