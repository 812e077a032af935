"""Backups (f8): the health of the backups, the list, and what an admin may start from here.

Supervisors see everything; admins may also back up their tenant now (``b``) and verify the
selected backup (``v``). Full backups and every restore stay with ``pytake backup`` on the
server. A ``backup_alert`` on the stream (toasted by the Activity screen's widget) reloads it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Header, Sparkline, Static
from textual.widgets.data_table import ColumnKey

from pytake_daemon.protocol import Me, Role
from pytake_daemon.protocol.backups import (
    BackupAlert,
    BackupHealth,
    BackupManifest,
    BackupRunList,
)
from pytake_tui.backup_view import (
    ALERT_TITLES,
    Verification,
    drill_line,
    duration,
    failure_line,
    key_id,
    schedule_line,
    scope,
    size,
    verifications,
    when,
)
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _
from pytake_tui.messages import EventReceived, ResyncNeeded, SessionExpired
from pytake_tui.navigation import SessionContext
from pytake_tui.widgets.backup_status import BackupStatus
from pytake_tui.widgets.footer import Footer

VERIFIED = ColumnKey("verified")
COLUMNS = (
    # The id (which repeats the time and scope) last: a narrow terminal sees the rest first.
    (N_("created"), "created", 16),
    (N_("scope"), "scope", 11),
    (N_("size"), "size", 9),
    (N_("took"), "duration", 7),
    (N_("verified"), VERIFIED.value, 13),
    (N_("key"), "key", 12),
    ("id", "id", 36),
)
"""(``N_`` title, key, width) of each column."""
EMPTY = N_("No backups yet. Full backups: pytake backup create (on the server).")
EMPTY_ADMIN = N_("No backups yet. b backs up this tenant now; full backups: pytake backup create.")


class BackupsScreen(Screen[None]):
    """The backups list under a health header; admins trigger and verify."""

    CSS_PATH = "backups.tcss"
    BINDINGS = [
        Binding("b", "backup", N_("Back up now")),
        Binding("v", "verify", N_("Verify")),
        Binding("r", "reload", N_("Refresh")),
    ]

    def __init__(self, *, client: DaemonClient, me: Me, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self._client = client
        self._me = me
        self._clock = clock
        self.manifests: list[BackupManifest] = []
        """Newest first, as listed."""
        self._verified: dict[str, Verification] = {}
        self._backing_up = False
        self._verifying: str | None = None
        self.loads = 0
        """How many times fresh data was shown (tests wait on it)."""

    @property
    def is_admin(self) -> bool:
        return self._me.role.at_least(Role.ADMIN)

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="backups-page"):
            yield BackupStatus(clock=self._clock, id="backup-status")
            yield Static(id="backup-detail")
            with Horizontal(id="trends"):
                yield Static(_("size "), classes="trend-label")
                yield Sparkline([], id="size-trend")
                yield Static("", id="size-last", classes="trend-value")
                yield Static(_("duration "), classes="trend-label")
                yield Sparkline([], id="duration-trend")
                yield Static("", id="duration-last", classes="trend-value")
            yield Static("", id="backup-progress")
            yield DataTable(id="backups", cursor_type="row", zebra_stripes=True)
            yield Static(_(EMPTY_ADMIN) if self.is_admin else _(EMPTY), id="backups-empty")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#backups", DataTable)
        for label, key, width in COLUMNS:
            table.add_column(_(label), width=width, key=key)
        self.action_reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("backup", "verify"):
            # The daemon refuses them below admin (403); hiding the keys says so first.
            return self.is_admin
        return True

    # Loading

    def action_reload(self) -> None:
        """Read the health, the list and the recent runs again."""
        self._load()

    @work(exclusive=True, exit_on_error=False, group="backups-load")
    async def _load(self) -> None:
        try:
            health, listed, runs = await asyncio.gather(
                self._client.backup_health(), self._client.backups(), self._client.backup_runs()
            )
        except DaemonError as error:
            self._failed(_("Could not load the backups"), error)
            return
        self._show(health, listed.items, runs)

    def _show(
        self, health: BackupHealth, manifests: list[BackupManifest], runs: BackupRunList
    ) -> None:
        self.query_one(BackupStatus).show(health)
        # Content, not markup: a failure's reason may hold brackets ("[Errno 111]").
        self.query_one("#backup-detail", Static).update(
            Content("\n".join((schedule_line(health), failure_line(health), drill_line(health))))
        )
        self.query_one("#trends").display = bool(health.recent_sizes)
        self.query_one("#size-trend", Sparkline).data = [float(n) for n in health.recent_sizes]
        self.query_one("#duration-trend", Sparkline).data = list(health.recent_durations)
        self.query_one("#size-last", Static).update(
            size(health.recent_sizes[-1]) if health.recent_sizes else "—"
        )
        self.query_one("#duration-last", Static).update(
            duration(health.recent_durations[-1]) if health.recent_durations else "—"
        )
        self.manifests = sorted(manifests, key=lambda m: m.created_at, reverse=True)
        self._verified = verifications(runs.items)
        self._fill_table()
        self.loads += 1

    def _fill_table(self) -> None:
        table: DataTable[str] = self.query_one("#backups", DataTable)
        selected = self._selected_id()
        table.clear()
        for manifest in self.manifests:
            table.add_row(
                when(manifest.created_at),
                escape(scope(manifest)),
                size(manifest.stored_bytes),
                duration(manifest.duration_seconds),
                self._verified_label(manifest.id),
                key_id(manifest.recipients),
                escape(manifest.id),
                key=manifest.id,
            )
        if selected is not None and selected in {m.id for m in self.manifests}:
            table.move_cursor(row=table.get_row_index(selected))
        empty = not self.manifests
        table.display = not empty
        self.query_one("#backups-empty", Static).display = empty

    def _verified_label(self, backup_id: str) -> str:
        if backup_id == self._verifying:
            return _("… verifying")
        found = self._verified.get(backup_id)
        return found.label if found is not None else "—"

    def _selected_id(self) -> str | None:
        table: DataTable[str] = self.query_one("#backups", DataTable)
        if table.row_count == 0:
            return None
        row_key, _column = table.coordinate_to_cell_key(table.cursor_coordinate)
        return row_key.value

    def _failed(self, title: str, error: DaemonError) -> None:
        if error.unauthorized:
            self.post_message(SessionExpired(_("your session has ended")))
            return
        self.notify(error.message, title=title, severity="error", markup=False)

    def _progress(self, text: str | Content) -> None:
        # Content, not markup: the daemon's sentences may hold brackets.
        self.query_one("#backup-progress", Static).update(
            Content(text) if isinstance(text, str) else text
        )

    # Actions (admins)

    def action_backup(self) -> None:
        """Back up this tenant now (a per-tenant backup)."""
        if not self.is_admin:  # a key press racing a role change; the daemon would say 403
            self.notify(_("Only admins can start a backup."), severity="warning")
            return
        if self._backing_up:
            self.notify(_("A backup is already running."), severity="warning")
            return
        self._backing_up = True
        self._progress(_("Backing up tenant {tenant}…").format(tenant=self._me.tenant_slug))
        self._backup()

    @work(exclusive=True, exit_on_error=False, group="backups-create")
    async def _backup(self) -> None:
        try:
            manifest = await self._client.create_backup()
        except DaemonError as error:
            self._progress(
                Content.styled(
                    _("✗ backup failed: {message}").format(message=error.message), "$text-error"
                )
            )
            self._failed(_("Backup failed"), error)
            return
        finally:
            self._backing_up = False
        self._progress(
            _("✓ backup {id} stored: {size} in {took}").format(
                id=manifest.id,
                size=size(manifest.stored_bytes),
                took=duration(manifest.duration_seconds),
            )
        )
        self.notify(f"{manifest.id} ({size(manifest.stored_bytes)})", title=_("Backup stored"))
        self._load()

    def action_verify(self) -> None:
        """Download, check and decrypt the selected backup, without restoring it."""
        if not self.is_admin:
            self.notify(_("Only admins can verify a backup."), severity="warning")
            return
        backup_id = self._selected_id()
        if backup_id is None:
            self.notify(_("No backup to verify."), severity="warning")
            return
        if self._verifying is not None:
            self.notify(
                _("Still verifying {verifying}.").format(verifying=self._verifying),
                severity="warning",
            )
            return
        self._verifying = backup_id
        self._set_verified_cell(backup_id)
        self._progress(_("Verifying {id}: download, checksums, decrypt…").format(id=backup_id))
        self._verify(backup_id)

    @work(exclusive=True, exit_on_error=False, group="backups-verify")
    async def _verify(self, backup_id: str) -> None:
        try:
            result = await self._client.verify_backup(backup_id)
        except DaemonError as error:
            self._verifying = None
            self._set_verified_cell(backup_id)
            self._progress(
                Content.styled(
                    _("✗ verify failed: {message}").format(message=error.message), "$text-error"
                )
            )
            self._failed(_("Verify failed"), error)
            return
        self._verifying = None
        if result.ok:
            self._progress(
                _("✓ {id} verified: {detail}").format(id=backup_id, detail=result.detail)
            )
            self.notify(
                result.detail,
                title=_("Verified {backup_id}").format(backup_id=backup_id),
                markup=False,
            )
        else:
            self._progress(
                Content.styled(
                    _("✗ {backup_id} is bad: {detail}").format(
                        backup_id=backup_id, detail=result.detail
                    ),
                    "$text-error",
                )
            )
            self.notify(
                result.detail,
                title=_("{backup_id} is bad").format(backup_id=backup_id),
                severity="error",
                markup=False,
            )
        self._load()

    def _set_verified_cell(self, backup_id: str) -> None:
        table: DataTable[str] = self.query_one("#backups", DataTable)
        if backup_id in {m.id for m in self.manifests}:
            table.update_cell(backup_id, VERIFIED, self._verified_label(backup_id))

    # The stream

    def on_event_received(self, message: EventReceived) -> None:
        event = message.envelope.event
        if isinstance(event, BackupAlert):
            # The Activity screen's widget toasts it; here it stays in view until the next action.
            text = f"⚠ {_(ALERT_TITLES[event.reason])}: {event.message}"
            self._progress(Content.styled(text, "$text-error"))
            self._load()

    def on_resync_needed(self, message: ResyncNeeded) -> None:
        self._load()


def build_backups(context: SessionContext) -> Screen[None]:
    """The ``f8`` destination."""
    return BackupsScreen(client=context.client, me=context.me, clock=context.clock)
