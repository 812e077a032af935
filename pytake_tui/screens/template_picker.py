"""Pick an approved template and fill its parameters; dismisses with the content to send."""

from __future__ import annotations

from pydantic import ValidationError
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from pytake_daemon.protocol import TemplateOut
from pytake_daemon.protocol.whatsapp import MessageTemplateOut
from pytake_tui.i18n import N_, _
from pytake_tui.template_form import (
    TemplateUnsupportedError,
    build_template,
    preview,
    template_fields,
)
from pytake_tui.validation_words import validation_sentence


def _first_error(error: ValidationError) -> str:
    first = error.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    why = validation_sentence(first)
    return f"{where}: {why}" if where else why


class TemplatePicker(ModalScreen[TemplateOut | None]):
    """Templates on the left; the chosen one's parameters and preview on the right."""

    CSS_PATH = "template_picker.tcss"
    BINDINGS = [
        Binding("escape", "dismiss(None)", N_("Cancel")),
        Binding("ctrl+s", "send", N_("Send template")),
    ]

    def __init__(self, templates: list[MessageTemplateOut], contact: str) -> None:
        super().__init__()
        self._templates = templates
        self._contact = contact
        self._chosen: MessageTemplateOut | None = None
        self._field_keys: dict[str, str] = {}
        """The form's input ids → the template field each one fills."""

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static(
                _("Send a template to {contact}").format(contact=self._contact), id="picker-title"
            )
            with Horizontal(id="picker-body"):
                yield OptionList(
                    *(
                        Option(f"{t.name} · {t.language}", id=str(index))
                        for index, t in enumerate(self._templates)
                    ),
                    id="templates",
                )
                with VerticalScroll(id="form"):
                    yield Static(id="preview")
                    yield Vertical(id="fields")
            yield Static(id="picker-status")
            with Horizontal(id="picker-buttons"):
                yield Button(_("Send"), id="send", variant="primary")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        if not self._templates:
            self._status(
                _("No approved templates: an admin syncs them with `pytake templates sync`")
            )
            self.query_one("#send", Button).disabled = True
            return
        self.query_one("#templates", OptionList).highlighted = 0

    @on(OptionList.OptionHighlighted, "#templates")
    async def _choose(self, event: OptionList.OptionHighlighted) -> None:
        assert event.option.id is not None
        template = self._templates[int(event.option.id)]
        self._chosen = template
        fields_box = self.query_one("#fields", Vertical)
        await fields_box.remove_children()
        send = self.query_one("#send", Button)
        try:
            fields = template_fields(template)
        except TemplateUnsupportedError as error:
            self._status(
                _("{name} can't be sent from the console: {reason}").format(
                    name=template.name, reason=error
                )
            )
            send.disabled = True
            self._show_preview()
            return
        send.disabled = False
        self._status("")
        inputs = []
        self._field_keys = {}
        for number, field in enumerate(fields):
            # Ids differ per template so a removed input's id is never reused while it lingers.
            input_id = f"field-{template.id.hex[:8]}-{number}"
            box = Input(placeholder=field.example or field.label, id=input_id)
            box.border_title = field.label
            self._field_keys[input_id] = field.key
            inputs.append(box)
        await fields_box.mount_all(inputs)
        if not inputs:
            fields_box.mount(Static(_("This template takes no parameters."), classes="hint"))
        self._show_preview()

    @on(OptionList.OptionSelected, "#templates")
    def _fill(self) -> None:
        first = next(iter(self.query("#fields Input").results(Input)), None)
        if first is not None:
            first.focus()
        else:
            self.query_one("#send", Button).focus()

    def _values(self) -> dict[str, str]:
        return {
            self._field_keys[box.id]: box.value
            for box in self.query("#fields Input").results(Input)
            if box.id in self._field_keys
        }

    @on(Input.Changed)
    def _show_preview(self) -> None:
        if self._chosen is None:
            return
        self.query_one("#preview", Static).update(preview(self._chosen, self._values()))

    @on(Input.Submitted)
    def _next_field(self) -> None:
        boxes = list(self.query("#fields Input").results(Input))
        focused = self.focused
        if isinstance(focused, Input) and focused in boxes and focused is not boxes[-1]:
            boxes[boxes.index(focused) + 1].focus()
        else:
            self.action_send()

    @on(Button.Pressed, "#send")
    def action_send(self) -> None:
        """Build the template from the form; a value Meta would refuse stays on screen."""
        if self._chosen is None:
            return
        try:
            content = build_template(self._chosen, self._values())
        except TemplateUnsupportedError as error:
            self._status(
                _("Can't send {name}: {reason}").format(name=self._chosen.name, reason=error)
            )
            return
        except ValidationError as error:
            message = _first_error(error)
            self._status(message)
            self.notify(message, title=_("Check the template's values"), severity="error")
            return
        self.dismiss(content)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    def _status(self, text: str) -> None:
        self.query_one("#picker-status", Static).update(text)
