"""Step 7: the go-live check. A test message round trip through the number (the owner sends a
code from a phone; the daemon answers through the number; Meta says the answer was sent or
delivered), then every earlier step verified again and a summary."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Button, Static

from pytake_daemon.protocol.onboarding import GoLiveReport, RoundTripOut, StepName
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import _
from pytake_tui.vocabulary import step_title
from pytake_tui.widgets.onboarding_step import StepPane, daemon_problems

FOLLOW_EVERY = 1.0
"""Seconds between two looks at the test message while it travels."""
_TRAVELLING = ("waiting", "replied")


def check_name(name: str) -> str:
    """A check's name as the reader says it: a step's title, or the test message."""
    if name in set(StepName):
        return step_title(StepName(name))
    return _("Test message") if name == "round trip" else name


def report_text(report: GoLiveReport) -> str:
    verdict = _("✓ Live: every check passed") if report.passed else _("✗ Not live yet")
    checks = [f"{'✓' if c.ok else '✗'} {check_name(c.name)}: {c.detail}" for c in report.checks]
    return "\n".join([verdict, *checks, "", *report.summary[:1]])


class GoLiveStep(StepPane):
    step = StepName.GO_LIVE

    def __init__(self, client: DaemonClient, *, id: str | None = None) -> None:
        super().__init__(client, id=id)
        self.trip: RoundTripOut | None = None
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(_("Go-live check"), classes="step-title")
        yield Static(
            _(
                "Send the test code from any phone to your number: the answer proves the way in "
                "and the way out. Then run the check."
            ),
            classes="step-help",
        )
        yield Static("", id="round-trip")
        yield self.problem_line()
        yield Static("", id="go-live-report")
        with Horizontal(classes="step-buttons"):
            yield Button(_("Start test message"), id="round-trip-start")
            yield Button(_("Run go-live check"), id="go-live-run", variant="primary")

    @on(Button.Pressed, "#round-trip-start")
    def start(self) -> None:
        self.clear_problems()
        self._start()

    @work(exclusive=True, exit_on_error=False, group="round-trip")
    async def _start(self) -> None:
        try:
            trip = await self.client.start_round_trip()
        except DaemonError as error:
            self.show_problems(daemon_problems(error))
            return
        self._show_trip(trip)
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_interval(FOLLOW_EVERY, self._follow)

    @work(exclusive=True, exit_on_error=False, group="round-trip-follow")
    async def _follow(self) -> None:
        try:
            trip = await self.client.follow_round_trip()
        except DaemonError as error:
            self.show_problems(daemon_problems(error))
            return
        self._show_trip(trip)
        if trip.stage not in _TRAVELLING and self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _show_trip(self, trip: RoundTripOut) -> None:
        self.trip = trip
        mark = {"delivered": "✓", "failed": "✗"}.get(trip.stage, "…")
        self.query_one("#round-trip", Static).update(
            _("Send “{code}” to {number}\n{mark} {detail}").format(
                code=trip.code, number=trip.number, mark=mark, detail=trip.detail
            )
        )

    @on(Button.Pressed, "#go-live-run")
    def run_check(self) -> None:
        self.clear_problems()
        self._run()

    @work(exclusive=True, exit_on_error=False, group="go-live")
    async def _run(self) -> None:
        try:
            report = await self.client.go_live()
        except DaemonError as error:
            self.show_problems(daemon_problems(error))
            return
        self.query_one("#go-live-report", Static).update(report_text(report))
        self.post_message(self.Recorded(None))
