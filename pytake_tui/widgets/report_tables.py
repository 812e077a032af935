"""The reports screen's tables: the figures, the rows one level down (Enter drills in), the
weekday x hour heat map as shaded cells, mood and intents, and Meta's errors by code."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from pytake_daemon.protocol.reports import Level, ReportOut
from pytake_tui.report_view import (
    WEEKDAYS,
    figures,
    heat_cell,
    heat_grid,
    minutes,
    mood_rows,
    share,
)

Cell = str | Text

_BREAKDOWN_TITLE = {
    Level.TENANT: "queue",
    Level.QUEUE: "agent",
    Level.AGENT: "conversation",
    Level.CONVERSATION: "attendance",
}


class FiguresTable(DataTable[Cell]):
    """Name and value of every figure of the report."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns("figure", "value")

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
            _BREAKDOWN_TITLE[report.level], "in", "taken", "aband.", "transf.",
            "FRT med", "FRT p90", "resol.", "SLA", "CSAT",
        )  # fmt: skip
        for r in report.breakdown:
            csat = "—" if r.csat_average is None else f"{r.csat_average:.1f} ({r.ratings})"
            self.add_row(
                r.name, str(r.entered), str(r.assigned), str(r.abandoned), str(r.transfers),
                minutes(r.first_response_median), minutes(r.first_response_p90),
                minutes(r.resolution_median), share(r.sla_rate), csat,
                key=str(r.id),
            )  # fmt: skip
        if not report.breakdown:
            self.add_row(Text("nothing a level down in this period", style="dim"))


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
            self.add_row(WEEKDAYS[weekday], *(heat_cell(n, busiest) for n in row))


class MoodTable(DataTable[Cell]):
    """The AI's sentiment counts and the top intents."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns("mood & intents", "messages")

    def show(self, report: ReportOut) -> None:
        self.clear()
        for name, value in mood_rows(report):
            self.add_row(name, value)


class ErrorsTable(DataTable[Cell]):
    """Meta's error codes of the period, most frequent first."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns("Meta error", "title", "messages")

    def show(self, report: ReportOut) -> None:
        self.clear()
        for error in report.meta_errors:
            self.add_row(str(error.code), error.title, str(error.count))
        if not report.meta_errors:
            self.add_row(Text("no errors from Meta", style="dim"), "", "")
