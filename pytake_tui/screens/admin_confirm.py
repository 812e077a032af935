"""The admin area's question before a destructive change (disable, revoke, deactivate)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmChange(ModalScreen[bool]):
    """Dismisses True on ``y`` or the action's button; ``n``/escape (the focused default) keep."""

    CSS_PATH = "admin_confirm.tcss"
    BINDINGS = [
        Binding("escape,n", "dismiss(False)", "Keep"),
        Binding("y", "dismiss(True)", "Confirm"),
    ]

    def __init__(self, question: str, consequence: str, action: str) -> None:
        super().__init__()
        self._question = question
        self._consequence = consequence
        self._action = action

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(self._question, classes="confirm-title")
            yield Static(self._consequence, classes="confirm-hint")
            with Horizontal(classes="confirm-buttons"):
                yield Button(f"{self._action} (y)", id="confirm-yes", variant="error")
                yield Button("Keep (n)", id="confirm-no")

    def on_mount(self) -> None:
        # The safe answer has the focus: an enter typed ahead keeps things as they are.
        self.query_one("#confirm-no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")
