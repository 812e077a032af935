"""The audit log (admins and owners): filters, the entries page by page, counts over time,
security alerts and spikes, and one entry's before/after difference.

REST fills what is shown (on open, on a filter change, after a resync); a SecurityAlertRaised
event adds its alert and brings in the entries recorded since, above the ones shown.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static

from pytake_daemon.protocol.audit import (
    AuditEntryOut,
    SecurityAlertOut,
    SecurityAlertRaised,
    TrendOut,
)
from pytake_tui.audit_view import (
    AuditFilters,
    Bar,
    bars,
    outcome_label,
    period_label,
)
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _, ngettext
from pytake_tui.messages import EventReceived, ResyncNeeded, SessionExpired
from pytake_tui.navigation import SessionContext
from pytake_tui.screens.audit_detail import AuditDetailScreen
from pytake_tui.widgets.audit_chart import AuditChart
from pytake_tui.widgets.audit_side import AuditAlertsPanel, AuditFilterInputs
from pytake_tui.widgets.audit_table import AuditTable
from pytake_tui.widgets.filter_bar import FilterBar, FilterChip
from pytake_tui.widgets.footer import Footer

Clock = Callable[[], datetime]
ALERTS_SHOWN = 20


class AuditScreen(Screen[None]):
    """Keys: ``/`` search text, ``f`` the other filters, ``o`` outcome, ``p`` period, enter
    an entry's detail, ``m`` more (or scroll past the last row), ``r`` reload, ``a`` alerts."""

    CSS_PATH = "audit.tcss"
    AUTO_FOCUS = "#audit-table"
    BINDINGS = [
        Binding("slash", "search", N_("Search"), key_display="/"),
        Binding("f", "filters", N_("Filters")),
        Binding("o", "cycle('outcome')", N_("Outcome")),
        Binding("p", "cycle('period')", N_("Period")),
        Binding("m", "more", N_("More")),
        Binding("r", "reload", N_("Reload")),
        Binding("a", "alerts", N_("Alerts"), show=False),
        Binding("escape", "back", N_("Back"), show=False),
    ]

    class PageLoaded(Message):
        def __init__(
            self, generation: int, entries: list[AuditEntryOut], cursor: str | None, more: bool
        ) -> None:
            super().__init__()
            self.generation = generation
            self.entries = entries
            self.cursor = cursor
            self.more = more
            """True: the next page of what is shown; False: the first page, replacing it."""

    class NewerLoaded(Message):
        def __init__(self, generation: int, entries: list[AuditEntryOut], full: bool) -> None:
            super().__init__()
            self.generation = generation
            self.entries = entries
            self.full = full
            """The first page was all new: older new entries may be missing, reload instead."""

    class ChartLoaded(Message):
        def __init__(self, bars: list[Bar], bucket: str) -> None:
            super().__init__()
            self.bars = bars
            self.bucket = bucket

    class AlertsLoaded(Message):
        def __init__(self, alerts: list[SecurityAlertOut], trends: list[TrendOut]) -> None:
            super().__init__()
            self.alerts = alerts
            self.trends = trends

    class NamesLoaded(Message):
        def __init__(self, names: dict[uuid.UUID, str]) -> None:
            super().__init__()
            self.names = names

    class EntryFetched(Message):
        def __init__(self, entry: AuditEntryOut) -> None:
            super().__init__()
            self.entry = entry

    def __init__(self, *, client: DaemonClient, clock: Clock) -> None:
        super().__init__()
        self._client = client
        self._clock = clock
        self.filters = AuditFilters()
        self.entries: list[AuditEntryOut] = []
        self.cursor: str | None = None
        """Where the next page starts; None once the oldest entry is shown."""
        self.alerts: list[SecurityAlertOut] = []
        self.names: dict[uuid.UUID, str] = {}
        """Users' e-mails by id, for entries recorded with the id only."""
        self._generation = 0
        """Bumped by every filter change, so a late page of the old filters is dropped."""
        self._loading = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield AuditFilterInputs(id="audit-filters")
        with Horizontal(id="audit-chips"):
            yield FilterChip("outcome", "o")
            yield FilterChip("period", "p")
            yield Static(id="audit-status")
        with Horizontal(id="audit-top"):
            with Vertical(id="audit-chart-box"):
                yield Static(id="audit-chart-title")
                yield AuditChart(id="audit-chart")
            yield AuditAlertsPanel(clock=self._clock, id="audit-side")
        yield AuditTable(clock=self._clock, id="audit-table")
        yield Static(_("No audit entries match these filters."), id="audit-empty")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(AuditTable)
        self.query_one("#audit-empty").display = False
        self.watch(table, "scroll_y", self._scrolled, init=False)
        self._show_chips()
        self._load_names()
        self.reload()

    # Loading

    def reload(self) -> None:
        """Everything again: the first page, the chart, alerts and trends."""
        self._generation += 1
        self._load_page(self._generation, None)
        self._load_chart()
        self._load_alerts()

    @work(exclusive=True, exit_on_error=False, group="page")
    async def _load_page(self, generation: int, cursor: str | None) -> None:
        self._loading = True
        try:
            page = await self._client.audit_entries(self.filters.query(self._clock(), cursor))
        except DaemonError as error:
            self._loading = False
            self._failed(error, _("Could not load the audit log"))
            return
        self.post_message(
            self.PageLoaded(generation, page.items, page.next_cursor, more=cursor is not None)
        )

    @work(exclusive=True, exit_on_error=False, group="newer")
    async def _load_newer(self, generation: int) -> None:
        try:
            page = await self._client.audit_entries(self.filters.query(self._clock()))
        except DaemonError as error:
            self._failed(error, _("Could not load the audit log"))
            return
        top = self.entries[0].seq if self.entries else 0
        newer = [entry for entry in page.items if entry.seq > top]
        full = bool(newer) and len(newer) == len(page.items) and page.next_cursor is not None
        self.post_message(self.NewerLoaded(generation, newer, full))

    @work(exclusive=True, exit_on_error=False, group="chart")
    async def _load_chart(self) -> None:
        now = self._clock()
        since, until = self.filters.chart_span(now)
        try:
            counts = await self._client.audit_counts(self.filters.counts_query(now))
        except DaemonError as error:
            self._failed(error, _("Could not load the audit counts"))
            return
        self.post_message(self.ChartLoaded(bars(counts, since, until), counts.bucket))

    @work(exclusive=True, exit_on_error=False, group="alerts")
    async def _load_alerts(self) -> None:
        try:
            alerts = await self._client.security_alerts(ALERTS_SHOWN)
            trends = await self._client.audit_trends()
        except DaemonError as error:
            self._failed(error, _("Could not load the security alerts"))
            return
        self.post_message(self.AlertsLoaded(alerts.items, trends.items))

    @work(exclusive=True, exit_on_error=False, group="names")
    async def _load_names(self) -> None:
        try:
            users = await self._client.users()
        except DaemonError:
            return  # entries then show the user's id, which the detail and filters accept too
        self.post_message(self.NamesLoaded({user.id: user.email for user in users.items}))

    @work(exclusive=True, exit_on_error=False, group="entry")
    async def _fetch_entry(self, entry_id: uuid.UUID) -> None:
        try:
            entry = await self._client.audit_entry(entry_id)
        except DaemonError as error:
            self._failed(error, _("Could not open the audit entry"))
            return
        self.post_message(self.EntryFetched(entry))

    def _failed(self, error: DaemonError, title: str) -> None:
        if error.unauthorized:
            self.post_message(SessionExpired(_("your session has ended")))
        else:
            self.notify(error.message, title=title, severity="error")

    def on_audit_screen_page_loaded(self, message: PageLoaded) -> None:
        if message.generation != self._generation:
            return
        self._loading = False
        self.cursor = message.cursor
        if message.more:
            self.entries += message.entries
            self.query_one(AuditTable).append(message.entries, self.names)
            self._show_status()
        else:
            self._show_entries(message.entries)

    def on_audit_screen_newer_loaded(self, message: NewerLoaded) -> None:
        if message.generation != self._generation or not message.entries:
            return
        if message.full:
            self.reload()
            return
        self._show_entries(message.entries + self.entries)

    def on_audit_screen_chart_loaded(self, message: ChartLoaded) -> None:
        total = sum(bar.count for bar in message.bars)
        failures = sum(bar.failures for bar in message.bars)
        per = _("Entries per hour") if message.bucket == "hour" else _("Entries per day")
        title = Content.assemble(
            (per, "bold"),
            " · ",
            _("{total} in {span}").format(total=total, span=self.filters.chart_label()),
            " · ",
            (_("{n} not successful").format(n=failures), "red" if failures else ""),
        )
        self.query_one("#audit-chart-title", Static).update(title)
        self.query_one(AuditChart).show(message.bars)

    def on_audit_screen_alerts_loaded(self, message: AlertsLoaded) -> None:
        self.alerts = message.alerts
        self.query_one(AuditAlertsPanel).show(self.alerts, message.trends)

    def on_audit_screen_names_loaded(self, message: NamesLoaded) -> None:
        self.names = message.names
        if any(e.actor_label is None and e.actor_id in self.names for e in self.entries):
            self._show_entries(self.entries)

    def on_audit_screen_entry_fetched(self, message: EntryFetched) -> None:
        self.app.push_screen(AuditDetailScreen(message.entry, self.names))

    # Showing

    def _show_entries(self, entries: list[AuditEntryOut]) -> None:
        table = self.query_one(AuditTable)
        kept = self.entries[table.cursor_row].id if self.entries and table.row_count else None
        self.entries = entries
        table.show(entries, self.names, kept)
        self.query_one("#audit-empty").display = not entries
        table.display = bool(entries)
        self._show_status()

    def _show_status(self) -> None:
        count = len(self.entries)
        status = ngettext("{n} entry", "{n} entries", count).format(n=count)
        if self.cursor:
            status += " · " + _("m: more")
        self.query_one("#audit-status", Static).update(status)

    def _show_chips(self) -> None:
        outcome = outcome_label(self.filters.outcome) if self.filters.outcome else _("any outcome")
        self.query_one("#chip-outcome", FilterChip).show(outcome)
        self.query_one("#chip-period", FilterChip).show(period_label(self.filters.period))

    # Filters

    def _set_filters(self, filters: AuditFilters) -> None:
        if filters == self.filters:
            return
        self.filters = filters
        self._show_chips()
        self.reload()

    def action_cycle(self, which: str) -> None:
        """The next outcome or period."""
        if which == "outcome":
            self._set_filters(self.filters.next_outcome())
        elif which == "period":
            self._set_filters(self.filters.next_period())

    def on_filter_bar_filter_cycled(self, message: FilterBar.FilterCycled) -> None:
        self.action_cycle(message.which)

    @on(AuditFilterInputs.Typed)
    def _filters_typed(self, event: AuditFilterInputs.Typed) -> None:
        values = event.values
        typed = replace(
            self.filters,
            actor=values["actor"],
            action=values["action"],
            target=values["target"],
            text=values["text"],
        )
        self._set_filters(typed)
        if event.submitted:
            self.query_one("#audit-table").focus()

    def action_search(self) -> None:
        """Type a text every field of an entry is searched for."""
        self.query_one("#filter-text", Input).focus()

    def action_filters(self) -> None:
        """Go to the actor, action and target filters (tab moves between them)."""
        self.query_one("#filter-actor", Input).focus()

    def action_back(self) -> None:
        self.query_one("#audit-table").focus()

    def action_alerts(self) -> None:
        """Pick an alert; enter opens the first entry behind it."""
        self.query_one(AuditAlertsPanel).focus_alerts()

    # The table

    def action_more(self) -> None:
        """The next page of older entries."""
        if self.cursor is not None and not self._loading:
            self._load_page(self._generation, self.cursor)

    def action_reload(self) -> None:
        """Read everything again."""
        self.reload()

    @on(DataTable.RowHighlighted, "#audit-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # Reaching the last row loads the next page: the log scrolls on without a key.
        if event.cursor_row >= event.data_table.row_count - 1:
            self.action_more()

    def _scrolled(self, scroll_y: float) -> None:
        # Scrolled (wheel, end) to the bottom without moving the cursor: the next page too.
        table = self.query_one("#audit-table", DataTable)
        if table.max_scroll_y and scroll_y >= table.max_scroll_y:
            self.action_more()

    @on(DataTable.RowSelected, "#audit-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        entry = self.entries[event.cursor_row]
        self.app.push_screen(AuditDetailScreen(entry, self.names))

    @on(AuditAlertsPanel.AlertChosen)
    def _alert_chosen(self, event: AuditAlertsPanel.AlertChosen) -> None:
        self._fetch_entry(event.alert.entry_ids[0])

    # Live

    def on_event_received(self, message: EventReceived) -> None:
        event = message.envelope.event
        if not isinstance(event, SecurityAlertRaised):
            return
        if all(alert.id != event.alert.id for alert in self.alerts):
            self.alerts = [event.alert, *self.alerts][:ALERTS_SHOWN]
            self.query_one(AuditAlertsPanel).show(self.alerts)
        # An alert follows new entries: show those, and what they did to the chart and spikes.
        self._load_newer(self._generation)
        self._load_chart()
        self._load_alerts()

    def on_resync_needed(self, message: ResyncNeeded) -> None:
        self.reload()


def build_audit(context: SessionContext) -> Screen[None]:
    """The audit destination's screen for the signed-in admin."""
    return AuditScreen(client=context.client, clock=context.clock)
