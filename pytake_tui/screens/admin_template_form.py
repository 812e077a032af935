"""Admin → Templates → submit one for review: the number (whose WABA), name, language,
category, and the components with their examples. ``ctrl+s`` submits; the template starts
PENDING until Meta's review answers (a webhook, or ``s`` sync on the list)."""

from __future__ import annotations

from pydantic import ValidationError
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Input, Select, Static, TextArea

from pytake_daemon.protocol.whatsapp import MessageTemplateOut, NumberOut, TemplateCreate
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _
from pytake_tui.template_submission import SubmissionError, TemplateDraft
from pytake_tui.widgets.admin_form import (
    FOCUS_KEYS,
    FieldRow,
    FormError,
    daemon_problems,
    show_problems,
    validation_problems,
)
from pytake_tui.widgets.footer import Footer

CATEGORIES = ("UTILITY", "MARKETING", "AUTHENTICATION")
_LABELS = {
    "name": N_("Name (lower-case letters, digits, _)"),
    "language": N_("Language (e.g. pt_BR, en_US)"),
    "category": N_("Category"),
    "header": N_("Header (optional; {{1}} for a value)"),
    "header_example": N_("Header example"),
    "body": N_("Body ({{1}}, {{2}}… for values)"),
    "body_examples": N_("Body examples, one per placeholder, separated by |"),
    "footer": N_("Footer (optional)"),
    "quick_replies": N_("Quick-reply buttons (optional, comma-separated)"),
}
_TEXTS = [name for name in _LABELS if name not in ("category", "body")]


class TemplateFormScreen(Screen[MessageTemplateOut | None]):
    """Dismisses with the submitted template (PENDING), or None."""

    CSS_PATH = "admin_template_form.tcss"
    BINDINGS = [
        *FOCUS_KEYS,
        Binding("ctrl+s", "submit", N_("Submit")),
        Binding("escape", "dismiss(None)", N_("Cancel")),
    ]

    def __init__(self, *, client: DaemonClient, numbers: list[NumberOut]) -> None:
        super().__init__()
        self._client = client
        self._numbers = numbers

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("New template · ctrl+s submits for review · escape cancels"), id="tpl-title")
        numbers = [
            (f"{n.display_phone_number or n.phone_number_id} {n.label}".strip(), n.id)
            for n in self._numbers
        ]
        first = numbers[0][1] if numbers else Select.BLANK
        with VerticalScroll(id="template-form"):
            yield FormError()
            yield FieldRow(
                _("Number (the template goes to its WhatsApp Business account)"),
                Select(numbers, value=first, prompt=_("Pick a number"), id="field-number_id"),
                name="number_id",
            )
            categories = [(c.lower(), c) for c in CATEGORIES]
            category = Select(categories, value="UTILITY", allow_blank=False, id="field-category")
            for name, label in _LABELS.items():
                if name == "category":
                    yield FieldRow(_(label), category, name=name)
                elif name == "body":
                    yield FieldRow(_(label), TextArea(id="field-body"), name=name)
                else:
                    yield FieldRow(_(label), Input(id=f"field-{name}"), name=name)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#field-name", Input).focus()

    def fill(self, **values: str) -> None:
        """Type into the fields by name (``body`` is the text area)."""
        for name, value in values.items():
            if name == "body":
                self.query_one("#field-body", TextArea).text = value
            else:
                self.query_one(f"#field-{name}", Input).value = value

    def action_submit(self) -> None:
        text = {n: self.query_one(f"#field-{n}", Input).value for n in _TEXTS}
        draft = TemplateDraft(
            header=text["header"],
            header_example=text["header_example"],
            body=self.query_one("#field-body", TextArea).text,
            body_examples=text["body_examples"],
            footer=text["footer"],
            quick_replies=text["quick_replies"],
        )
        number = self.query_one("#field-number_id", Select).value
        try:
            body = TemplateCreate.model_validate(
                {
                    "number_id": None if number is Select.BLANK else number,
                    "name": text["name"].strip(),
                    "language": text["language"].strip(),
                    "category": self.query_one("#field-category", Select).value,
                    "components": draft.components(),
                }
            )
        except SubmissionError as error:
            show_problems(self, [(error.field, str(error))])
            return
        except ValidationError as error:
            show_problems(self, validation_problems(error))
            return
        show_problems(self, [])
        self._send(body)

    @work(exclusive=True, exit_on_error=False, group="template-form")
    async def _send(self, body: TemplateCreate) -> None:
        try:
            saved = await self._client.submit_template(body)
        except DaemonError as error:
            shown = show_problems(self, daemon_problems(error))
            self.notify("; ".join(shown), title=_("Not submitted"), severity="warning")
            return
        self.dismiss(saved)
