"""Small dialogs of the flow editor: pick one of a list (type to filter), name something,
confirm."""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from pytake_tui.i18n import N_, _


class ChoiceDialog(ModalScreen[str | None]):
    """Dismisses with the id of the chosen option, or None."""

    CSS_PATH = "flow_dialogs.tcss"
    BINDINGS = [Binding("escape", "dismiss(None)", N_("Cancel"))]

    def __init__(self, title: str, options: list[tuple[str, str]]) -> None:
        super().__init__()
        self._title = title
        self._options = options
        """(id, what the line says)"""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self._title, classes="dialog-title")
            yield Input(placeholder=_("type to filter"), id="filter")
            yield OptionList(id="choices")

    def on_mount(self) -> None:
        self._fill("")

    def _fill(self, text: str) -> None:
        choices = self.query_one("#choices", OptionList)
        choices.clear_options()
        wanted = text.strip().lower()
        choices.add_options(
            Option(label, id=key)
            for key, label in self._options
            if not wanted or wanted in label.lower()
        )
        if choices.option_count:
            choices.highlighted = 0

    @on(Input.Changed, "#filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#filter")
    def _pick_highlighted(self) -> None:
        choices = self.query_one("#choices", OptionList)
        if choices.highlighted is not None:
            self.dismiss(choices.get_option_at_index(choices.highlighted).id)

    def on_key(self, event: events.Key) -> None:
        # The filter keeps the focus; up and down move through the choices under it.
        if event.key not in ("down", "up") or self.focused is not self.query_one("#filter"):
            return
        choices = self.query_one("#choices", OptionList)
        if event.key == "down":
            choices.action_cursor_down()
        else:
            choices.action_cursor_up()
        event.stop()

    @on(OptionList.OptionSelected, "#choices")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class PromptDialog(ModalScreen[str | None]):
    """Dismisses with the text typed (never blank), or None."""

    CSS_PATH = "flow_dialogs.tcss"
    BINDINGS = [Binding("escape", "dismiss(None)", N_("Cancel"))]

    def __init__(self, title: str, placeholder: str = "") -> None:
        super().__init__()
        self._title = title
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self._title, classes="dialog-title")
            yield Input(placeholder=self._placeholder, id="answer")

    @on(Input.Submitted, "#answer")
    def _answered(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())


class ConfirmDialog(ModalScreen[bool]):
    """Dismisses with True on ``y``/enter/OK."""

    CSS_PATH = "flow_dialogs.tcss"
    BINDINGS = [
        Binding("escape,n", "dismiss(False)", N_("No")),
        Binding("y", "dismiss(True)", N_("Yes")),
    ]

    def __init__(self, question: str, yes: str | None = None) -> None:
        super().__init__()
        self._question = question
        self._yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self._question, classes="dialog-title")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self._yes or _("Yes"), id="yes", variant="primary")
                yield Button(_("Cancel"), id="no")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")
