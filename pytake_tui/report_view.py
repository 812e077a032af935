"""What the reports screen shows, as plain functions: periods, the drill-down trail, figures as
text, the heat map's shades, and the reports' words (levels, tables, frequencies) in the
reader's language. Nothing here knows about Textual (tested on its own)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from rich.text import Text

from pytake_daemon.protocol.report_schedules import Frequency
from pytake_daemon.protocol.reports import Dataset, Level, ReportOut, ReportQuery
from pytake_i18n import format_date, format_number, format_percent
from pytake_tui.i18n import N_, _, ngettext, pgettext

PERIODS: tuple[tuple[str, str], ...] = (
    ("today", N_("Today")),
    ("last-7d", N_("Last 7 days")),
    ("last-30d", N_("Last 30 days")),
)
"""The picker's presets, in the order ``p`` cycles them; ``c`` asks for custom dates."""

_A_MONDAY = date(2024, 1, 1)


def weekday_name(weekday: int, *, short: bool = False) -> str:
    """A weekday (0 is Monday) as the reader's language names it on its own, by CLDR:
    "Monday" / "segunda-feira", short "Mon" / "seg."."""
    return format_date(_A_MONDAY + timedelta(days=weekday), format="ccc" if short else "cccc")


def level_name(level: Level) -> str:
    """A drill-down level: "queue" / "fila"."""
    return {
        Level.TENANT: pgettext("report level", "tenant"),
        Level.QUEUE: pgettext("report level", "queue"),
        Level.AGENT: pgettext("report level", "agent"),
        Level.CONVERSATION: pgettext("report level", "conversation"),
    }[level]


def dataset_name(dataset: Dataset) -> str:
    """A report's table, as the export and e-mail choices name it: "heat map" / "mapa de calor"."""
    return {
        Dataset.SUMMARY: pgettext("report table", "summary"),
        Dataset.HOURLY: pgettext("report table", "hourly"),
        Dataset.HEATMAP: pgettext("report table", "heat map"),
        Dataset.BREAKDOWN: pgettext("report table", "breakdown"),
        Dataset.CSAT: pgettext("report table", "CSAT"),
        Dataset.INTENTS: pgettext("report table", "intents"),
        Dataset.ERRORS: pgettext("report table", "errors"),
        Dataset.CONVERSATIONS: pgettext("report table", "conversations"),
    }.get(dataset, dataset.value)


def frequency_name(frequency: Frequency) -> str:
    """How often a scheduled e-mail leaves: "weekly" / "semanal"."""
    return {
        Frequency.DAILY: pgettext("report e-mail", "daily"),
        Frequency.WEEKLY: pgettext("report e-mail", "weekly"),
        Frequency.MONTHLY: pgettext("report e-mail", "monthly"),
    }[frequency]


def mail_status(status: str | None) -> str:
    """A scheduled e-mail's last run (sending, sent, failed, skipped; "—" before the first)."""
    if status is None:
        return "—"
    return {
        "sending": pgettext("report e-mail", "sending"),
        "sent": pgettext("report e-mail", "sent"),
        "failed": pgettext("report e-mail", "failed"),
        "skipped": pgettext("report e-mail", "skipped"),
    }.get(status, status)


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
        presets = dict(PERIODS)
        if self.preset is not None:
            return _(presets[self.preset]) if self.preset in presets else self.preset
        # Custom dates always come in pairs (CustomPeriodDialog).
        assert self.first_day is not None
        assert self.last_day is not None
        return f"{format_date(self.first_day)} → {format_date(self.last_day)}"

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
    return " > ".join([tenant, *(f"{level_name(c.level)} {c.name}" for c in trail)])


def minutes(seconds: float | None) -> str:
    """A duration in the unit that reads best (s, min and h are the same in both languages;
    the decimal separator is the reader's)."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{format_number(seconds, pattern='0')}s"
    if seconds < 3600:
        return f"{format_number(seconds / 60, pattern='0.0')} min"
    return f"{format_number(seconds / 3600, pattern='0.0')} h"


def share(value: float | None) -> str:
    return "—" if value is None else format_percent(value)


def _csat(average: float | None) -> str:
    return "—" if average is None else format_number(average, pattern="0.00")


def figures(report: ReportOut) -> list[tuple[str, str]]:
    """The figures table: name and value, in reading order."""
    a, v, t = report.attendance, report.volumes, report.templates
    automation = report.automation
    return [
        (_("Messages in / out"), f"{v.inbound} / {v.outbound}"),
        (_("Conversations opened / closed"), f"{v.opened} / {v.closed}"),
        (_("Attendances entered / taken"), f"{a.entered} / {a.assigned}"),
        (_("First response median"), minutes(a.first_response.median)),
        (_("First response p90"), minutes(a.first_response.p90)),
        (_("Resolution median"), minutes(a.resolution.median)),
        (_("Resolution p90"), minutes(a.resolution.p90)),
        (_("SLA attainment"), _("{rate}  ({met} met, {missed} missed)").format(
            rate=share(a.sla.rate), met=a.sla.met, missed=a.sla.missed)),
        (_("Abandonment"), f"{share(a.abandonment_rate)}  ({a.abandoned})"),
        (_("Transfers"), str(a.transfers)),
        (_("CSAT"), ngettext("{average}  ({n} rating)", "{average}  ({n} ratings)",
                             report.csat.ratings).format(
            average=_csat(report.csat.average), n=report.csat.ratings)),
        (_("Automation share"), _("{share}  ({automated} of {closed})").format(
            share=share(automation.share), automated=automation.automated,
            closed=automation.closed)),
        (_("Templates sent"), str(t.sent)),
        (_("Delivered / read"), f"{share(t.delivery_rate)} / {share(t.read_rate)}"),
        (_("Templates failed"), str(t.failed)),
    ]  # fmt: skip


def summary_line(report: ReportOut) -> Text:
    """The drill-down tab's headline: the figures a supervisor looks at first."""
    a, v = report.attendance, report.volumes
    parts = [
        (_("in/out"), f"{v.inbound}/{v.outbound}"),
        (_("reply"), minutes(a.first_response.median)),
        (_("p90"), minutes(a.first_response.p90)),
        (_("SLA"), share(a.sla.rate)),
        (_("aband."), share(a.abandonment_rate)),
        (_("CSAT"), _csat(report.csat.average)),
    ]
    text = Text()
    for n, (label, value) in enumerate(parts):
        # The p90 belongs to the reply time before it: one space, where the others have two.
        gap = "" if n == 0 else " " if n == 2 else "  "
        text.append(f"{gap}{label} ", style="dim")
        text.append(value, style="bold")
    return text


def mood_rows(report: ReportOut) -> list[tuple[str, str]]:
    m = report.mood
    rows = [
        (pgettext("mood", "analysed"), str(m.analysed)),
        (pgettext("mood", "positive"), str(m.positive)),
        (pgettext("mood", "neutral"), str(m.neutral)),
        (pgettext("mood", "negative"), str(m.negative)),
    ]
    intents = [(_("intent: {intent}").format(intent=i.intent), str(i.count)) for i in m.top_intents]
    return rows + intents


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
