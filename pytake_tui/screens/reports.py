"""Reports (supervisors and admins): a period's figures in the user's time zone, drilled down
tenant → queue → agent → conversation, from ``GET /api/v1/reports``.

``p`` cycles today / 7 days / 30 days, ``c`` asks for dates. Enter on a row of the table one
level down drills into it (a conversation opens in the chat); Escape goes back up. ``x``
exports the current view through ``/api/v1/reports/export`` to a file the user confirms;
``s`` subscribes to it by e-mail (the E-mail tab lists the schedules; Delete removes one).
The time zone is the one of the user's notification preferences (UTC if they have none).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static, TabbedContent, TabPane

from pytake_daemon.protocol import Me, Role
from pytake_daemon.protocol.report_schedules import Audience, ScheduleCreate, ScheduleOut
from pytake_daemon.protocol.reports import Dataset, ExportQuery, Level, ReportOut, ReportQuery
from pytake_i18n import format_moment, format_number
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _, ngettext
from pytake_tui.messages import SessionExpired
from pytake_tui.navigation import SessionContext
from pytake_tui.report_view import (
    Crumb,
    Period,
    dataset_name,
    export_name,
    frequency_name,
    mail_status,
    query_for,
    summary_line,
    trail_text,
)
from pytake_tui.screens.chat import ChatScreen
from pytake_tui.screens.report_dialogs import (
    CustomPeriodDialog,
    ExportChoice,
    ExportDialog,
    SubscribeDialog,
)
from pytake_tui.widgets.footer import Footer
from pytake_tui.widgets.report_charts import ReportCharts
from pytake_tui.widgets.report_tables import (
    BreakdownTable,
    ErrorsTable,
    FiguresTable,
    HeatMapTable,
    MoodTable,
)

# The table each tab exports by default.
_TAB_DATASET = {
    "report-drill": Dataset.BREAKDOWN,
    "report-figures": Dataset.SUMMARY,
    "report-charts": Dataset.HOURLY,
    "report-heat": Dataset.HEATMAP,
    "report-mood": Dataset.INTENTS,
}
_DRILL = {Level.TENANT: Level.QUEUE, Level.QUEUE: Level.AGENT}


class ReportsScreen(Screen[None]):
    CSS_PATH = "reports.tcss"
    # Enter drills down from the first key press (the tabs took the focus, and Enter with it).
    AUTO_FOCUS = "#report-breakdown"
    BINDINGS = [
        Binding("p", "period", N_("Period")),
        Binding("c", "custom", N_("Dates")),
        Binding("x", "export", N_("Export")),
        Binding("s", "subscribe", N_("E-mail me")),
        Binding("r", "reload", N_("Reload")),
        Binding("escape", "up", N_("Up"), show=False),
        Binding("delete", "unsubscribe", N_("Remove schedule"), show=False),
        Binding("right_square_bracket", "next_tab", N_("Next tab"), key_display="]"),
        Binding("left_square_bracket", "previous_tab", N_("Previous tab"), key_display="["),
    ]

    class Loaded(Message):
        def __init__(self, query: ReportQuery, report: ReportOut) -> None:
            super().__init__()
            self.query = query
            self.report = report

    def __init__(
        self,
        *,
        client: DaemonClient,
        me: Me,
        clock: Callable[[], datetime],
        downloads: Path,
    ) -> None:
        super().__init__()
        self._client = client
        self._me = me
        self._clock = clock
        self._downloads = downloads
        self.period = Period()
        self.tz: str | None = None
        """The user's zone, once read (reports wait for it)."""
        self.trail: list[Crumb] = []
        self.report: ReportOut | None = None
        """What is shown (None until the first answer)."""
        self.schedules: list[ScheduleOut] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="reports"):
            yield Static(id="report-where")
            with TabbedContent(id="report-tabs"):
                with TabPane(_("Drill-down"), id="report-drill"):
                    yield Static(id="report-summary")
                    yield BreakdownTable(id="report-breakdown")
                with TabPane(_("Figures"), id="report-figures"):
                    yield FiguresTable(id="report-figures-table")
                with TabPane(_("Charts"), id="report-charts"):
                    yield ReportCharts(id="report-chart-row")
                with TabPane(_("Heat map"), id="report-heat"):
                    yield HeatMapTable(id="report-heatmap")
                with TabPane(_("Mood & errors"), id="report-mood"), Horizontal():
                    yield MoodTable(id="report-mood-table")
                    yield ErrorsTable(id="report-errors")
                with TabPane(_("E-mail"), id="report-email"):
                    yield Static(
                        _("s: e-mail this report daily, weekly or monthly  delete: remove"),
                        classes="hint",
                    )
                    yield DataTable(id="report-schedules", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#report-schedules", DataTable).add_columns(
            _("to"), _("every"), _("local hour"), _("reports"), _("next"), _("last")
        )
        self._show_where()
        self._start()

    # Loading

    @work(exclusive=True, exit_on_error=False, group="reports-start")
    async def _start(self) -> None:
        try:
            prefs = await self._client.notification_preferences()
            self.tz = prefs.preferences.timezone
        except DaemonError as error:
            if error.unauthorized:
                self.post_message(SessionExpired(_("your session has ended")))
                return
            self.tz = "UTC"  # no preferences to read: the figures still make sense in UTC
        self._show_where()
        self._load()
        self._load_schedules()

    def current_query(self) -> ReportQuery | None:
        return None if self.tz is None else query_for(self.period, self.tz, self.trail)

    @work(exclusive=True, exit_on_error=False, group="reports")
    async def _load(self) -> None:
        query = self.current_query()
        if query is None:
            return
        try:
            report = await self._client.report(query)
        except DaemonError as error:
            self._failed(error, _("Could not read the report"))
            return
        self.post_message(self.Loaded(query, report))

    def _failed(self, error: DaemonError, title: str) -> None:
        if error.unauthorized:
            self.post_message(SessionExpired(_("your session has ended")))
        else:
            self.notify(error.message, title=title, severity="error")

    def on_reports_screen_loaded(self, message: Loaded) -> None:
        if message.query != self.current_query():
            return  # an answer for a period or level the user already left
        self.report = message.report
        self._show(message.report)

    def _reload(self) -> None:
        self._show_where()
        self._load()

    # The period and the drill-down

    def action_period(self) -> None:
        """Cycle today, the last 7 days, the last 30 days."""
        self.period = self.period.following()
        self._reload()

    def action_custom(self) -> None:
        today = self._clock().date()
        first = self.report.first_day if self.report else today - timedelta(days=6)
        last = self.report.last_day if self.report else today

        def chosen(period: object) -> None:
            if isinstance(period, Period):
                self.period = period
                self._reload()

        self.app.push_screen(CustomPeriodDialog(first, last), chosen)

    @on(DataTable.RowSelected, "#report-breakdown")
    def _drill(self, event: DataTable.RowSelected) -> None:
        if self.report is None or event.row_key.value is None:
            return
        row_id = uuid.UUID(event.row_key.value)
        level = self.report.level
        if level is Level.AGENT:
            self._open_in_chat(row_id)
            return
        deeper = _DRILL.get(level)
        if deeper is None:
            return  # a conversation's attendances: nothing further down
        name = next((r.name for r in self.report.breakdown if r.id == row_id), str(row_id))
        self.trail.append(Crumb(deeper, row_id, name))
        self._reload()

    def action_up(self) -> None:
        """Back up one level of the drill-down."""
        if self.trail:
            self.trail.pop()
            self._reload()

    @work(exclusive=True, exit_on_error=False, group="open")
    async def _open_in_chat(self, conversation_id: uuid.UUID) -> None:
        # Through the app's own navigation, so the chat is the one kept for the session.
        await self.app.run_action("go('chat')")
        chat = self.app.screen
        if isinstance(chat, ChatScreen):
            chat.open_conversation(conversation_id)

    def action_reload(self) -> None:
        self._load()
        self._load_schedules()

    def action_next_tab(self) -> None:
        self._move_tab(1)

    def action_previous_tab(self) -> None:
        self._move_tab(-1)

    def _move_tab(self, step: int) -> None:
        tabs = self.query_one("#report-tabs", TabbedContent)
        ids = [pane.id for pane in tabs.query(TabPane) if pane.id is not None]
        if tabs.active in ids:
            tabs.active = ids[(ids.index(tabs.active) + step) % len(ids)]

    # Export

    def action_export(self) -> None:
        if self.report is None:
            self.notify(_("Nothing to export yet"), severity="warning")
            return
        tab = self.query_one("#report-tabs", TabbedContent).active
        dataset = _TAB_DATASET.get(tab, Dataset.SUMMARY)
        pattern = export_name(self.report, "{dataset}", "{format}")
        self.app.push_screen(ExportDialog(dataset, self._downloads, pattern), self._export)

    def _export(self, choice: object) -> None:
        if isinstance(choice, ExportChoice):
            self._write_export(choice)

    @work(exclusive=True, exit_on_error=False, group="export")
    async def _write_export(self, choice: ExportChoice) -> None:
        query = self.current_query()
        if query is None:
            return
        export = ExportQuery(
            **query.model_dump(exclude_none=True), dataset=choice.dataset, format=choice.format
        )
        try:
            content = await self._client.export_report(export)
            await asyncio.to_thread(_write, choice.path, content)
        except DaemonError as error:
            self._failed(error, _("Could not export"))
            return
        except OSError as error:
            self.notify(f"{choice.path}: {error.strerror or error}", title=_("Could not write"),
                        severity="error")  # fmt: skip
            return
        size = ngettext("{path} ({size} byte)", "{path} ({size} bytes)", len(content))
        self.notify(
            size.format(path=choice.path, size=format_number(len(content))), title=_("Exported")
        )

    # Scheduled e-mail

    @work(exclusive=True, exit_on_error=False, group="schedules")
    async def _load_schedules(self) -> None:
        try:
            listing = await self._client.report_schedules()
        except DaemonError as error:
            self._failed(error, _("Could not read the scheduled e-mails"))
            return
        self.schedules = listing.items
        self._show_schedules()

    def action_subscribe(self) -> None:
        if self.tz is None:
            return
        may_team = self._me.role.at_least(Role.SUPERVISOR)
        self.app.push_screen(SubscribeDialog(self.tz, may_team=may_team), self._subscribe)

    def _subscribe(self, body: object) -> None:
        if isinstance(body, ScheduleCreate):
            queue = next((c.id for c in self.trail if c.level is Level.QUEUE), None)
            self._add_schedule(body.model_copy(update={"queue_id": queue}))

    @work(exclusive=False, exit_on_error=False, group="schedules-edit")
    async def _add_schedule(self, body: ScheduleCreate) -> None:
        try:
            created = await self._client.add_report_schedule(body)
        except DaemonError as error:
            self._failed(error, _("Could not subscribe"))
            return
        when = _("next e-mail {moment}").format(moment=self._local(created.next_at))
        self.notify(when, title=_("Subscribed"))
        self._load_schedules()

    def action_unsubscribe(self) -> None:
        table = self.query_one("#report-schedules", DataTable)
        if not table.has_focus or not self.schedules or table.cursor_row >= len(self.schedules):
            return
        self._remove_schedule(self.schedules[table.cursor_row].id)

    @work(exclusive=False, exit_on_error=False, group="schedules-edit")
    async def _remove_schedule(self, schedule_id: uuid.UUID) -> None:
        try:
            await self._client.remove_report_schedule(schedule_id)
        except DaemonError as error:
            self._failed(error, _("Could not remove the schedule"))
            return
        self.notify(_("Scheduled e-mail removed"))
        self._load_schedules()

    # Showing

    def _local(self, moment: datetime) -> str:
        return format_moment(moment, ZoneInfo(self.tz or "UTC"))

    def _show_where(self) -> None:
        zone = self.tz or "…"
        where = trail_text(self._me.tenant_name, self.trail)
        hint = "  " + _("(p: period, c: dates, enter: drill down, esc: up, x: export)")
        self.query_one("#report-where", Static).update(
            Text.assemble(
                (self.period.label, "bold"), (f"  {zone}  ", "dim"), (where, "bold"), (hint, "dim")
            )
        )

    def _show(self, report: ReportOut) -> None:
        self.query_one("#report-summary", Static).update(summary_line(report))
        self.query_one(FiguresTable).show(report)
        self.query_one(BreakdownTable).show(report)
        self.query_one(ReportCharts).show(report)
        self.query_one(HeatMapTable).show(report)
        self.query_one(MoodTable).show(report)
        self.query_one(ErrorsTable).show(report)

    def _show_schedules(self) -> None:
        table = self.query_one("#report-schedules", DataTable)
        table.clear()
        for s in self.schedules:
            to = _("team") if s.audience is Audience.TEAM else (s.owner_email or _("me"))
            every = frequency_name(s.frequency)
            last = mail_status(s.last_status)
            table.add_row(
                to, every, f"{s.hour:02d}:00 {s.tz}", ",".join(dataset_name(d) for d in s.datasets),
                self._local(s.next_at), last, key=str(s.id),
            )  # fmt: skip


def _write(path: Path, content: bytes) -> None:
    # The console's own downloads folder may not exist yet (the dialog checked any other).
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def build_reports(context: SessionContext) -> Screen[None]:
    """The reports destination's screen."""
    return ReportsScreen(
        client=context.client, me=context.me, clock=context.clock, downloads=context.downloads
    )
