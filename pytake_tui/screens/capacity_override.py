"""The question a supervisor answers when the daemon refuses an assignment because the agent is
at capacity: "Bruno is at capacity (3/3). Assign anyway?" — yes retries with
``override_capacity`` (the daemon audits it), anything else leaves it unassigned.

The chat's transfer and take, and the monitor's assign and transfer, all ask it the same way.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from pytake_tui.client import DaemonError
from pytake_tui.i18n import N_, _


def capacity_refused(error: DaemonError) -> bool:
    """The daemon's 409 for an agent at capacity (not a full queue or another conflict)."""
    return error.status == 409 and "capacity" in (error.detail or error.title or "")


def capacity_question(name: str, active: int | None, capacity: int | None) -> str:
    """``Bruno is at capacity (3/3). Assign anyway?``; without the load, just the name."""
    if active is not None and capacity is not None:
        return _("{name} is at capacity ({active}/{capacity}). Assign anyway?").format(
            name=name, active=active, capacity=capacity
        )
    return _("{name} is at capacity. Assign anyway?").format(name=name)


class ConfirmOverride(ModalScreen[bool]):
    """Yes (``y``) assigns past the agent's capacity; ``n`` or escape does not."""

    CSS_PATH = "capacity_override.tcss"
    BINDINGS = [
        Binding("escape,n", "dismiss(False)", N_("No")),
        Binding("y", "dismiss(True)", N_("Assign anyway")),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="override-dialog"):
            yield Static(self.question, id="override-question")
            yield Static(_("The assignment is audited as an override."), classes="override-hint")
            with Horizontal(id="override-buttons"):
                yield Button(_("Assign anyway (y)"), id="override-yes", variant="warning")
                yield Button(_("No (n)"), id="override-no")

    def on_mount(self) -> None:
        self.query_one("#override-no", Button).focus()

    @on(Button.Pressed, "#override-yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#override-no")
    def _no(self) -> None:
        self.dismiss(False)
