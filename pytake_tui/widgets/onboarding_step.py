"""What every onboarding step widget shares: a field with its error line under it, the mapping
of a refusal (the protocol's validation before sending, or the daemon's 422 ``errors``) onto
those lines, and the message a step posts when the daemon has recorded it.

The same widgets serve the wizard and the admin pages (Tenant, Numbers): a page ignores
:class:`StepRecorded`, the wizard moves on with it.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Label, Static

from pytake_daemon.protocol.onboarding import OnboardingState, StepName
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.widgets.admin_form import Problem, field_of, sentence_of


class Field(Vertical):
    """A label, the input, and its error line (hidden while empty)."""

    DEFAULT_CSS = """
    Field { height: auto; margin: 0 0 1 0; }
    Field > .field-label { color: $text-muted; }
    Field > .field-error { color: $error; display: none; }
    """

    def __init__(self, label: str, widget: Widget, *, name: str) -> None:
        super().__init__(id=f"field-{name}")
        self._label = label
        self._widget = widget
        self.field_name = name

    def compose(self) -> ComposeResult:
        yield Label(self._label, classes="field-label")
        yield self._widget
        yield Static("", id=f"error-{self.field_name}", classes="field-error")


def daemon_problems(error: DaemonError) -> list[Problem]:
    """A 422's ``errors`` by field, else the daemon's one sentence for the step."""
    if error.fields:
        return [(field_of(f.loc), sentence_of(f.msg)) for f in error.fields]
    return [("", error.message)]


class StepPane(VerticalScroll):
    """One step: its fields, its error lines and the line for everything else (``.step-note``)."""

    DEFAULT_CSS = """
    StepPane { height: 1fr; padding: 0 1; }
    StepPane .step-title { text-style: bold; margin: 0 0 1 0; }
    StepPane .step-help { color: $text-muted; margin: 0 0 1 0; }
    StepPane .step-problem { color: $error; height: auto; display: none; }
    StepPane .step-ok { color: $success; height: auto; }
    StepPane .step-buttons { height: auto; margin: 1 0 0 0; }
    StepPane .step-buttons Button { margin: 0 1 0 0; }
    """

    step: StepName
    """The wizard's step this widget is."""

    class Recorded(Message):
        """The daemon recorded the step (done, or its outcome changed)."""

        def __init__(self, state: OnboardingState | None) -> None:
            super().__init__()
            self.state = state

    def __init__(self, client: DaemonClient, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.client = client

    def problem_line(self) -> Static:
        return Static("", classes="step-problem", id=f"{self.step.value}-problem")

    def show_problems(self, problems: Iterable[Problem]) -> list[str]:
        """Each problem under its field (clearing old ones); the rest on the step's line."""
        by_field: dict[str, list[str]] = {f.field_name: [] for f in self.query(Field)}
        general: list[str] = []
        for field, why in problems:
            if field in by_field:
                by_field[field].append(why)
            else:
                general.append(f"{field}: {why}" if field else why)
        for name, sentences in by_field.items():
            line = self.query_one(f"#error-{name}", Static)
            line.update("; ".join(dict.fromkeys(sentences)))
            line.display = bool(sentences)
        for line in self.query(".step-problem").results(Static):
            line.update("; ".join(dict.fromkeys(general)))
            line.display = bool(general)
        return [s for sentences in by_field.values() for s in sentences] + general

    def clear_problems(self) -> None:
        self.show_problems([])

    def error_text(self, name: str) -> str:
        """What the error line under a field says (tests read it)."""
        return str(self.query_one(f"#error-{name}", Static).render())
