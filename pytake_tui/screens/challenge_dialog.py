"""A supervisor's challenge: a new one (a title, a metric, a threshold and the days; the period
shown on the leaderboard by default) or an existing one's fields to change (its team, a queue
or a department, is kept). Bad input is said under the fields; the dialog stays open."""

from __future__ import annotations

from datetime import date

from pydantic import ValidationError
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from pytake_daemon.protocol.gamification import ChallengeCreate, ChallengeOut, Metric
from pytake_tui.gamification_view import metric_name
from pytake_tui.i18n import N_, _
from pytake_tui.validation_words import validation_sentence


class ChallengeDialog(ModalScreen[ChallengeCreate | None]):
    CSS_PATH = "challenge_dialog.tcss"
    BINDINGS = [Binding("escape", "dismiss(None)", N_("Cancel"))]

    def __init__(self, first: date, last: date, *, challenge: ChallengeOut | None = None) -> None:
        super().__init__()
        self._first, self._last = first, last
        self._challenge = challenge
        if challenge is not None:
            self._first, self._last = challenge.first_day, challenge.last_day

    def compose(self) -> ComposeResult:
        old = self._challenge
        with Vertical(classes="dialog"):
            title = (
                _("New challenge (the tenant's time zone)")
                if old is None
                else _("Change the challenge (the tenant's time zone)")
            )
            yield Static(title, classes="dialog-title")
            yield Label(_("Title"))
            yield Input(
                "" if old is None else old.title,
                placeholder=_("Ten resolved this week"),
                id="challenge-title",
            )
            yield Label(_("Metric and threshold"))
            with Horizontal(classes="dialog-row"):
                yield Select(
                    [(metric_name(m), m) for m in Metric],
                    value=Metric.RESOLVED if old is None else old.metric,
                    allow_blank=False,
                    id="challenge-metric",
                )
                threshold = "10" if old is None else str(old.threshold)
                yield Input(threshold, id="challenge-threshold", type="integer")
            yield Label(_("First and last day (YYYY-MM-DD)"))
            with Horizontal(classes="dialog-row"):
                yield Input(self._first.isoformat(), id="challenge-first")
                yield Input(self._last.isoformat(), id="challenge-last")
            yield Static("", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                ok = _("Create") if old is None else _("Save")
                yield Button(ok, id="dialog-ok", variant="primary")
                yield Button(_("Cancel (esc)"), id="dialog-cancel")

    @on(Button.Pressed, "#dialog-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#dialog-ok")
    @on(Input.Submitted)
    def submit(self) -> None:
        """Check the fields as the daemon will; dismiss with the body when they pass."""
        values: dict[str, object] = {
            "title": self.query_one("#challenge-title", Input).value,
            "metric": self.query_one("#challenge-metric", Select).value,
            "threshold": self.query_one("#challenge-threshold", Input).value or "0",
            "first_day": self.query_one("#challenge-first", Input).value.strip(),
            "last_day": self.query_one("#challenge-last", Input).value.strip(),
        }
        if self._challenge is not None:  # a PUT gives every field: the team stays
            values["queue_id"] = self._challenge.queue_id
            values["department"] = self._challenge.department
        try:
            body = ChallengeCreate.model_validate(values)
        except ValidationError as error:
            first = error.errors(include_url=False, include_input=False)[0]
            where = ".".join(str(part) for part in first["loc"]) or _("the days")
            why = validation_sentence(first)
            self.query_one(".dialog-error", Static).update(f"{where}: {why}")
            return
        self.dismiss(body)
