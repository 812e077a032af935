"""The reports screen's tables: the figures, the rows one level down (Enter drills in), the
weekday x hour heat map as shaded cells, mood and intents, and Meta's errors by code."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from pytake_daemon.protocol.reports import Level, ReportOut
from pytake_i18n import format_number
from pytake_tui.i18n import N_, _
from pytake_tui.report_view import (
    figures,
    heat_cell,
    heat_grid,
    minutes,
    mood_rows,
    share,
    weekday_name,
)

Cell = str | Text

_BREAKDOWN_TITLE = {
    Level.TENANT: N_("queue"),
    Level.QUEUE: N_("agent"),
    Level.AGENT: N_("conversation"),
    Level.CONVERSATION: N_("attendance"),
}
"""The first column's title: what one row a level down is."""


class FiguresTable(DataTable[Cell]):
    """Name and value of every figure of the report."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns(_("figure"), _("value"))

    def show(self, report: ReportOut) -> None:
        self.clear()
        for name, value in figures(report):
            self.add_row(name, value)


class BreakdownTable(DataTable[Cell]):
    """One row a level down, keyed by its id: Enter on a row drills into it."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True

    def show(self, report: ReportOut) -> None:
        self.clear(columns=True)
        self.add_columns(
            _(_BREAKDOWN_TITLE[report.level]), _("in"), _("taken"), _("aband."), _("transf."),
            _("FRT med"), _("FRT p90"), _("resol."), _("SLA"), _("CSAT"),
        )  # fmt: skip
        for r in report.breakdown:
            csat = (
                "—"
                if r.csat_average is None
                else f"{format_number(r.csat_average, pattern='0.0')} ({r.ratings})"
            )
            self.add_row(
                r.name, str(r.entered), str(r.assigned), str(r.abandoned), str(r.transfers),
                minutes(r.first_response_median), minutes(r.first_response_p90),
                minutes(r.resolution_median), share(r.sla_rate), csat,
                key=str(r.id),
            )  # fmt: skip
        if not report.breakdown:
            self.add_row(Text(_("nothing a level down in this period"), style="dim"))


class HeatMapTable(DataTable[Cell]):
    """Messages per local weekday and hour; each cell shaded by its share of the busiest."""

    def on_mount(self) -> None:
        self.cursor_type = "none"
        # No padding: 24 hours of three columns fit in 80 (a cell's first column is the gap).
        self.cell_padding = 0
        self.add_column("", width=4)
        for hour in range(24):
            self.add_column(f" {hour:02d}", width=3)

    def show(self, report: ReportOut) -> None:
        self.clear()
        grid = heat_grid(report)
        busiest = max((max(row) for row in grid), default=0)
        for weekday, row in enumerate(grid):
            self.add_row(weekday_name(weekday, short=True), *(heat_cell(n, busiest) for n in row))


class MoodTable(DataTable[Cell]):
    """The AI's sentiment counts and the top intents."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns(_("mood & intents"), _("messages"))

    def show(self, report: ReportOut) -> None:
        self.clear()
        for name, value in mood_rows(report):
            self.add_row(name, value)


class ErrorsTable(DataTable[Cell]):
    """Meta's error codes of the period, most frequent first."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns(_("Meta error"), _("title"), _("messages"))

    def show(self, report: ReportOut) -> None:
        self.clear()
        for error in report.meta_errors:
            self.add_row(str(error.code), error.title, str(error.count))
        if not report.meta_errors:
            self.add_row(Text(_("no errors from Meta"), style="dim"), "", "")
