"""Admin → System: the host, the daemon, PostgreSQL, Redis and the message path's lags, live.

The screen reads ``GET /api/v1/system/figures`` every :data:`POLL_SECONDS` while it is shown
(``ctrl+r`` reads now) and keeps the last :data:`~pytake_tui.system_view.SAMPLES` readings for
the sparklines; the figures, their thresholds and their colours are
:mod:`pytake_tui.system_view`'s, each concern is a panel of its own (``widgets/system_*.py``).
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, Static

from pytake_daemon.protocol.system_figures import SystemFigures
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _
from pytake_tui.messages import SessionExpired
from pytake_tui.system_view import SAMPLES, FigureHistory
from pytake_tui.widgets.footer import Footer
from pytake_tui.widgets.system_daemon import SystemDaemonPanel
from pytake_tui.widgets.system_host import SystemHostPanel
from pytake_tui.widgets.system_lags import SystemLagsPanel
from pytake_tui.widgets.system_panel import SystemPanel
from pytake_tui.widgets.system_postgres import SystemPostgresPanel
from pytake_tui.widgets.system_redis import SystemRedisPanel

POLL_SECONDS = 3.0
"""How often the figures are read while the screen is shown."""


class SystemScreen(Screen[None]):
    """Five panels over one history of readings."""

    CSS_PATH = "system.tcss"
    BINDINGS = [
        # ctrl+r, as on every admin page: f5 is the Dashboard from anywhere.
        Binding("ctrl+r", "reload", N_("Refresh")),
        Binding("escape", "app.pop_screen", N_("Back")),
    ]

    def __init__(self, *, client: DaemonClient, poll_seconds: float | None = POLL_SECONDS) -> None:
        super().__init__()
        self._client = client
        self._poll_seconds = poll_seconds
        self.history = FigureHistory()
        self.loads = 0
        """How many readings were shown (tests wait on it)."""
        self._failing = False
        self._in_flight = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="system-page"):
            yield Static(_("Reading the figures…"), id="system-status")
            with Horizontal(id="system-columns"):
                with Vertical(id="system-left"):
                    yield SystemHostPanel(id="system-host")
                    yield SystemLagsPanel(id="system-lags")
                    yield SystemRedisPanel(id="system-redis")
                with Vertical(id="system-right"):
                    yield SystemDaemonPanel(id="system-daemon")
                    yield SystemPostgresPanel(id="system-postgres")
        yield Footer()

    def on_mount(self) -> None:
        self.action_reload()
        if self._poll_seconds is not None:
            self.set_interval(self._poll_seconds, self._tick)

    def _tick(self) -> None:
        # Another screen on top (a dialog, the hub again): no reading it wouldn't show. A slow
        # daemon (a server down takes up to 5 s to say so): the poll waits for the reading in
        # flight rather than cancelling it, or a slow answer would never be shown.
        if self.is_current and not self._in_flight:
            self.action_reload()

    @work(exclusive=True, exit_on_error=False, group="system-figures")
    async def action_reload(self) -> None:
        """Read the figures now."""
        self._in_flight += 1  # a count: ctrl+r cancels the one in flight, whose finally runs late
        try:
            figures = await self._client.system_figures()
        except DaemonError as error:
            self._failed(error)
            return
        finally:
            self._in_flight -= 1
        self.show(figures)

    def show(self, figures: SystemFigures) -> None:
        """Add a reading to the history and draw every panel."""
        self._failing = False
        self.history.add(figures)
        for panel in self.query(SystemPanel):
            panel.show(self.history)
        every = (
            _("every {seconds:g} s").format(seconds=self._poll_seconds)
            if self._poll_seconds
            else _("on ctrl+r")
        )
        self.query_one("#system-status", Static).update(
            Content(
                _(
                    "Read {at:%H:%M:%S} UTC (the daemon's clock) · {every} · {n} of {samples} "
                    "readings in the sparklines · rates and means are since the previous reading"
                ).format(at=figures.read_at, every=every, n=self.history.readings, samples=SAMPLES)
            )
        )
        self.loads += 1

    def _failed(self, error: DaemonError) -> None:
        if error.unauthorized:
            self.post_message(SessionExpired(_("your session has ended")))
            return
        self.query_one("#system-status", Static).update(
            Content.styled(
                "✗ " + _("Could not read the figures: {error}").format(error=error.message),
                "$text-error",
            )
        )
        if not self._failing:  # once per outage, not once per poll
            self._failing = True
            self.notify(error.message, title=_("System figures"), severity="error", markup=False)
