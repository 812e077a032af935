"""The console's question before a destructive change (disable, revoke, deactivate, remove).

``confirm_then`` is the one way a screen asks it: the dialog is pushed and, on yes, the action
runs (the action's own worker says how it went). A screen never writes the ``answered``
callback itself, so the question, its keys and its buttons read the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from pytake_tui.i18n import N_, _


class ConfirmChange(ModalScreen[bool]):
    """Dismisses True on ``y`` or the action's button; ``n``/escape (the focused default) keep."""

    CSS_PATH = "admin_confirm.tcss"
    BINDINGS = [
        Binding("escape,n", "dismiss(False)", N_("Keep")),
        Binding("y", "dismiss(True)", N_("Confirm")),
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
                yield Button(
                    _("{action} (y)").format(action=self._action), id="confirm-yes", variant="error"
                )
                yield Button(_("Keep (n)"), id="confirm-no")

    def on_mount(self) -> None:
        # The safe answer has the focus: an enter typed ahead keeps things as they are.
        self.query_one("#confirm-no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")


def confirm_then(
    host: DOMNode, question: str, consequence: str, action: str, act: Callable[[], object]
) -> None:
    """Ask ``question`` (its ``consequence`` below, ``action`` on the yes button); run ``act``
    only on yes. Texts arrive translated; ``act`` usually starts the worker that toasts."""

    def answered(yes: bool | None) -> None:
        if yes:
            act()

    host.app.push_screen(ConfirmChange(question, consequence, action), answered)
