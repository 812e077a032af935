"""A supervisor's new challenge: a title, a metric, a threshold and the days (the period shown
on the leaderboard by default). Bad input is said under the fields; the dialog stays open."""

from __future__ import annotations

from datetime import date

from pydantic import ValidationError
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from pytake_daemon.protocol.gamification import ChallengeCreate, Metric
from pytake_tui.gamification_view import METRIC_NAMES


class ChallengeDialog(ModalScreen[ChallengeCreate | None]):
    CSS_PATH = "challenge_dialog.tcss"
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, first: date, last: date) -> None:
        super().__init__()
        self._first, self._last = first, last

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("New challenge (the tenant's time zone)", classes="dialog-title")
            yield Label("Title")
            yield Input(placeholder="Ten resolved this week", id="challenge-title")
            yield Label("Metric and threshold")
            with Horizontal(classes="dialog-row"):
                yield Select(
                    [(METRIC_NAMES[m], m) for m in Metric],
                    value=Metric.RESOLVED,
                    allow_blank=False,
                    id="challenge-metric",
                )
                yield Input("10", id="challenge-threshold", type="integer")
            yield Label("First and last day (YYYY-MM-DD)")
            with Horizontal(classes="dialog-row"):
                yield Input(self._first.isoformat(), id="challenge-first")
                yield Input(self._last.isoformat(), id="challenge-last")
            yield Static("", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Create", id="dialog-ok", variant="primary")
                yield Button("Cancel (esc)", id="dialog-cancel")

    @on(Button.Pressed, "#dialog-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#dialog-ok")
    @on(Input.Submitted)
    def submit(self) -> None:
        """Check the fields as the daemon will; dismiss with the body when they pass."""
        values = {
            "title": self.query_one("#challenge-title", Input).value,
            "metric": self.query_one("#challenge-metric", Select).value,
            "threshold": self.query_one("#challenge-threshold", Input).value or "0",
            "first_day": self.query_one("#challenge-first", Input).value.strip(),
            "last_day": self.query_one("#challenge-last", Input).value.strip(),
        }
        try:
            body = ChallengeCreate.model_validate(values)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "the days"
            self.query_one(".dialog-error", Static).update(f"{where}: {first['msg']}")
            return
        self.dismiss(body)
