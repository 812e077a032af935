"""The admin forms' pieces: a labelled field with its error line under it, and the mapping of a
refusal (the protocol's own validation before sending, or the daemon's problem document
``errors``) onto those lines.

Both refusals speak in ``loc`` paths (``business_hours.mon``, ``body.capacity``); the first part
names the field. A problem about no field in the form (a model rule, a 409) goes to the form's
own line (``#form-error``), so nothing the daemon says is lost.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.dom import DOMNode
from textual.widget import Widget
from textual.widgets import Label, Static

from pytake_tui.client import DaemonError
from pytake_tui.validation_words import validation_sentence

FOCUS_KEYS = [
    # Priority, as on the login form: the focus moves as the Tab is read. A plain binding runs
    # once the Tab has bubbled up from the input, and what came in the same read (a paste, a
    # fast typist, tmux's send-keys "Loja" Tab "587") went into the field the Tab left.
    Binding("tab", "app.focus_next", show=False, priority=True),
    Binding("shift+tab", "app.focus_previous", show=False, priority=True),
]
"""The admin forms' Tab and shift+Tab (each form's ``BINDINGS`` starts with them)."""

Problem = tuple[str, str]
"""``(field, why)``; an empty field is the whole form's."""


class FieldRow(Vertical):
    """A label, the field, and the line where its error shows (hidden while empty)."""

    DEFAULT_CSS = """
    FieldRow { height: auto; margin: 0 0 1 0; }
    FieldRow > .field-label { color: $text-muted; }
    FieldRow > .field-error { color: $error; display: none; }
    """

    def __init__(self, label: str, field: Widget, *, name: str) -> None:
        super().__init__(id=f"row-{name}")
        self._label = label
        self._field = field
        self.field_name = name

    def compose(self) -> ComposeResult:
        yield Label(self._label, classes="field-label")
        yield self._field
        # The daemon's sentences are text, not markup: a pattern's "[A-Za-z0-9]" was eaten.
        yield Static("", id=f"error-{self.field_name}", classes="field-error", markup=False)


class FormError(Static):
    """The form's own error line, for what is about no one field."""

    DEFAULT_CSS = """
    FormError { color: $error; height: auto; display: none; }
    """

    def __init__(self) -> None:
        super().__init__("", id="form-error", markup=False)


def sentence_of(msg: str) -> str:
    # Pydantic prefixes its custom validators' messages; the user needs only the sentence.
    return msg.removeprefix("Value error, ")


def field_of(loc: str) -> str:
    """The form field a ``loc`` path names (its first part, past ``body``)."""
    parts = [p for p in loc.split(".") if p]
    if parts[:1] == ["body"]:
        parts = parts[1:]
    return parts[0] if parts else ""


def validation_problems(error: ValidationError) -> list[Problem]:
    """The protocol's refusal of a form, field by field, before anything is sent."""
    return [
        (field_of(".".join(str(p) for p in e["loc"])), validation_sentence(e))
        for e in error.errors(include_url=False, include_input=False)
    ]


def daemon_problems(error: DaemonError) -> list[Problem]:
    """The daemon's refusal: a 422's ``errors`` by field, else its one sentence for the form."""
    if error.fields:
        return [(field_of(f.loc), sentence_of(f.msg)) for f in error.fields]
    return [("", f"{error.title}: {error.detail}" if error.detail else error.title)]


def show_problems(form: DOMNode, problems: Iterable[Problem]) -> list[str]:
    """Put each problem under its field (clearing the old ones); returns the lines shown."""
    by_field: dict[str, list[str]] = {}
    for row in form.query(FieldRow):
        by_field[row.field_name] = []
    general: list[str] = []
    for field, why in problems:
        if field in by_field:
            by_field[field].append(why)
        else:
            general.append(f"{field}: {why}" if field else why)
    for name, sentences in by_field.items():
        line = form.query_one(f"#error-{name}", Static)
        line.update("; ".join(dict.fromkeys(sentences)))
        line.display = bool(sentences)
    for line in form.query(FormError):
        line.update("; ".join(dict.fromkeys(general)))
        line.display = bool(general)
    shown = [s for sentences in by_field.values() for s in sentences] + general
    first = next((r for r in form.query(FieldRow) if by_field[r.field_name]), None)
    if first is not None:
        first.scroll_visible(animate=False)
    return shown
