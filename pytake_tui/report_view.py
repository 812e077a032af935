"""What the reports screen shows, as plain functions: periods, the drill-down trail, figures as
text, the heat map's shades. Nothing here knows about Textual (tested on its own)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from rich.text import Text

from pytake_daemon.protocol.reports import Level, ReportOut, ReportQuery

PERIODS: tuple[tuple[str, str], ...] = (
    ("today", "Today"),
    ("last-7d", "Last 7 days"),
    ("last-30d", "Last 30 days"),
)
"""The picker's presets, in the order ``p`` cycles them; ``c`` asks for custom dates."""

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SHADES = ("grey15", "dark_green", "green4", "green3", "yellow3", "orange1", "red1")
"""Heat from none to the busiest hour (each cell's background)."""


@dataclass(frozen=True, slots=True)
class Period:
    """A preset (``period``) or custom dates (``first_day``..``last_day``)."""

    preset: str | None = "last-7d"
    first_day: date | None = None
    last_day: date | None = None

    @property
    def label(self) -> str:
        if self.preset is not None:
            return dict(PERIODS).get(self.preset, self.preset)
        return f"{self.first_day} → {self.last_day}"

    def following(self) -> Period:
        """The next preset (custom dates go back to the first one)."""
        names = [name for name, _ in PERIODS]
        if self.preset not in names:
            return Period(names[0])
        return Period(names[(names.index(self.preset) + 1) % len(names)])


@dataclass(frozen=True, slots=True)
class Crumb:
    """One step of the drill-down: a level and the row it was entered from."""

    level: Level
    id: uuid.UUID
    name: str


def query_for(period: Period, tz: str, trail: list[Crumb]) -> ReportQuery:
    """The report query of a period at the end of the drill-down trail."""
    ids: dict[str, uuid.UUID] = {}
    for crumb in trail:
        ids[f"{crumb.level.value}_id"] = crumb.id
    if period.preset is not None:
        return ReportQuery(period=period.preset, tz=tz, **ids)
    return ReportQuery(first_day=period.first_day, last_day=period.last_day, tz=tz, **ids)


def trail_text(tenant: str, trail: list[Crumb]) -> str:
    return " > ".join([tenant, *(f"{c.level.value} {c.name}" for c in trail)])


def minutes(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def figures(report: ReportOut) -> list[tuple[str, str]]:
    """The figures table: name and value, in reading order."""
    a, v, t = report.attendance, report.volumes, report.templates
    csat = "—" if report.csat.average is None else f"{report.csat.average:.2f}"
    return [
        ("Messages in / out", f"{v.inbound} / {v.outbound}"),
        ("Conversations opened / closed", f"{v.opened} / {v.closed}"),
        ("Attendances entered / taken", f"{a.entered} / {a.assigned}"),
        ("First response median", minutes(a.first_response.median)),
        ("First response p90", minutes(a.first_response.p90)),
        ("Resolution median", minutes(a.resolution.median)),
        ("Resolution p90", minutes(a.resolution.p90)),
        ("SLA attainment", f"{share(a.sla.rate)}  ({a.sla.met} met, {a.sla.missed} missed)"),
        ("Abandonment", f"{share(a.abandonment_rate)}  ({a.abandoned})"),
        ("Transfers", str(a.transfers)),
        ("CSAT", f"{csat}  ({report.csat.ratings} ratings)"),
        ("Automation share", f"{share(report.automation.share)}  "
                             f"({report.automation.automated} of {report.automation.closed})"),
        ("Templates sent", str(t.sent)),
        ("Delivered / read", f"{share(t.delivery_rate)} / {share(t.read_rate)}"),
        ("Templates failed", str(t.failed)),
    ]  # fmt: skip


def summary_line(report: ReportOut) -> Text:
    """The drill-down tab's headline: the figures a supervisor looks at first."""
    a, v = report.attendance, report.volumes
    csat = "—" if report.csat.average is None else f"{report.csat.average:.2f}"
    parts = [
        ("in/out ", f"{v.inbound}/{v.outbound}"),
        ("  reply ", minutes(a.first_response.median)),
        (" p90 ", minutes(a.first_response.p90)),
        ("  SLA ", share(a.sla.rate)),
        ("  aband. ", share(a.abandonment_rate)),
        ("  CSAT ", csat),
    ]
    text = Text()
    for label, value in parts:
        text.append(label, style="dim")
        text.append(value, style="bold")
    return text


def mood_rows(report: ReportOut) -> list[tuple[str, str]]:
    m = report.mood
    rows = [
        ("analysed", str(m.analysed)),
        ("positive", str(m.positive)),
        ("neutral", str(m.neutral)),
        ("negative", str(m.negative)),
    ]
    return rows + [(f"intent: {i.intent}", str(i.count)) for i in m.top_intents]


def heat_cell(count: int, busiest: int) -> Text:
    """A heat map cell (three columns, the first a gap): the count on a background as hot as
    its share of the busiest hour; past three digits, 1k+."""
    if busiest <= 0 or count <= 0:
        return Text("  ·", style=f"on {SHADES[0]}")
    step = min(len(SHADES) - 1, 1 + (count * (len(SHADES) - 2)) // busiest)
    label = f"{count:>3}" if count < 1000 else "1k+"
    return Text(label, style=f"bold black on {SHADES[step]}")


def heat_grid(report: ReportOut) -> list[list[int]]:
    """Messages per weekday (rows, Monday first) and hour (columns)."""
    grid = [[0] * 24 for _ in range(7)]
    for cell in report.heatmap:
        grid[cell.weekday][cell.hour] = cell.messages
    return grid


def export_name(report: ReportOut, dataset: str, fmt: str) -> str:
    level = report.level.value
    return f"report-{level}-{dataset}-{report.first_day}-{report.last_day}.{fmt}"
