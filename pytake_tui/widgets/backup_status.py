"""The compact backup widget: the latest backup's age and state, and the last drill's result.

On the Activity screen it loads ``/api/v1/backups/health`` itself (at mount, every two minutes,
after a resync and on a ``backup_alert``, which it also toasts); the backups screen uses it as
its header and feeds it the health it already read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from textual import work
from textual.content import Content
from textual.widgets import Static

from pytake_daemon.protocol import EventEnvelope
from pytake_daemon.protocol.backups import BackupAlert, BackupHealth
from pytake_tui.backup_view import ALERT_TITLES, Level, summarize
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import _

RELOAD_SECONDS = 120.0
"""A scheduled backup's success sends no event: re-read the health this often."""
REDRAW_SECONDS = 30.0
"""Ages are computed from the clock, so they move between reloads."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class BackupStatus(Static):
    """``Backups ✓ last full backup 3h 12m ago (1.2 MiB, 4.1 s) · drill ✓ 2d ago``."""

    DEFAULT_CSS = """
    BackupStatus {
        height: auto;
        color: $text-muted;
    }
    BackupStatus.-ok { color: $text-success; }
    BackupStatus.-warning { color: $text-warning; }
    BackupStatus.-error { color: $text-error; }
    """

    def __init__(
        self,
        *,
        client: DaemonClient | None = None,
        clock: Callable[[], datetime] | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(Content.assemble(("Backups ", "bold"), "…"), id=id)
        self._client = client
        self._clock = clock
        self.health: BackupHealth | None = None
        self._problem: str | None = None

    def on_mount(self) -> None:
        self.set_interval(REDRAW_SECONDS, self._draw)
        if self._client is not None:
            self.set_interval(RELOAD_SECONDS, self.reload)
            self.reload()

    def show(self, health: BackupHealth) -> None:
        """Show ``health`` (read by the caller, or by :meth:`reload`)."""
        self.health, self._problem = health, None
        self._draw()

    def show_problem(self, problem: str) -> None:
        """Say why the health can't be read (e.g. backups not configured on this daemon)."""
        self.health, self._problem = None, problem
        self._draw()

    def follow(self, envelope: EventEnvelope) -> None:
        """An event reached the screen: a ``backup_alert`` is toasted and reloads the health."""
        event = envelope.event
        if isinstance(event, BackupAlert):
            title = _(ALERT_TITLES[event.reason])
            if event.reason == "backup_overdue":
                self.notify(event.message, title=title, severity="warning", markup=False)
            else:
                self.notify(event.message, title=title, severity="error", markup=False)
            self.reload()

    def reload(self) -> None:
        """Read the health again (when this widget loads it itself)."""
        if self._client is not None:
            self._load(self._client)

    @work(exclusive=True, exit_on_error=False, group="backup-health")
    async def _load(self, client: DaemonClient) -> None:
        try:
            health = await client.backup_health()
        except DaemonError as error:
            if error.status is None or error.unauthorized:
                return  # the link's own indicator (or the logout that follows) says it
            self.show_problem(error.detail or error.title)
            return
        self.show(health)

    def _now(self) -> datetime:
        # Without a clock of its own it uses the app's (which tests pin), else the real time.
        clock = self._clock or getattr(self.app, "clock", None) or _utc_now
        now: datetime = clock()
        return now

    def _draw(self) -> None:
        label = (_("Backups") + " ", "bold")
        level: Level | None = None
        if self.health is not None:
            summary = summarize(self.health, self._now())
            level = summary.level
            text = Content.assemble(label, summary.backup, " · ", summary.drill)
        elif self._problem is not None:
            text = Content.assemble(label, self._problem)
        else:
            text = Content.assemble(label, "…")
        for each in Level:
            self.set_class(each is level, f"-{each.value}")
        self.update(text)
