"""Reports: the period in a time zone, the drill-down, and the figures from ``reports.db``.

Code that decides by the clock takes ``now`` (docs/testing.md): a relative period ("last-7d")
and the SLA of attendances still waiting are judged at that instant.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from pytake_daemon.attendance.hours import zone
from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import UnprocessableEntity
from pytake_daemon.protocol import ProblemField
from pytake_daemon.protocol.reports import (
    MAX_DAYS,
    PERIOD_PATTERN,
    Attendance,
    Automation,
    BreakdownRow,
    Csat,
    DayRating,
    HeatCell,
    HourPoint,
    IntentCount,
    Level,
    MetaErrorCount,
    Mood,
    Percentiles,
    RatingCount,
    ReportOut,
    ReportQuery,
    Sla,
    Templates,
    Volumes,
)
from pytake_daemon.reports import attendance_db, db
from pytake_daemon.reports.db import Scope

DEFAULT_DAYS = 7
TOP_INTENTS = 10
HOUR = timedelta(hours=1)

# A level's rows are one level down; a conversation's are its attendances.
_BREAKDOWN = {
    Level.TENANT: "queue",
    Level.QUEUE: "agent",
    Level.AGENT: "conversation",
    Level.CONVERSATION: "item",
}


def invalid(field: str, message: str) -> UnprocessableEntity:
    """A 422 naming the query parameter."""
    return UnprocessableEntity(
        f"invalid {field}: {message}",
        errors=[ProblemField(loc=f"query.{field}", msg=message, type="value_error")],
    )


def resolve_days(query: ReportQuery, now: datetime) -> tuple[date, date]:
    """The first and last local days the query means, judged at ``now`` in ``query.tz``."""
    if query.first_day is not None and query.last_day is not None:
        return query.first_day, query.last_day
    today = now.astimezone(zone(query.tz)).date()
    period = query.period or f"last-{DEFAULT_DAYS}d"
    match = PERIOD_PATTERN.match(period)
    if match is None:  # the wire model checked it; the CLI passes its text through here too
        raise invalid("period", f"not a period: {period!r}")
    monday = today - timedelta(days=today.weekday())
    month = today.replace(day=1)
    fixed: dict[str, tuple[date, date]] = {
        "today": (today, today),
        "yesterday": (today - timedelta(days=1), today - timedelta(days=1)),
        "this-week": (monday, today),
        "last-week": (monday - timedelta(days=7), monday - timedelta(days=1)),
        "this-month": (month, today),
        "last-month": ((month - timedelta(days=1)).replace(day=1), month - timedelta(days=1)),
    }
    if period in fixed:
        return fixed[period]
    if match.group(2) is not None:
        days = int(match.group(2))
        if not 1 <= days <= MAX_DAYS:
            raise invalid("period", f"last-Nd takes 1 to {MAX_DAYS} days")
        return today - timedelta(days=days - 1), today
    first_text, _, last_text = period.partition("..")
    try:
        first = date.fromisoformat(first_text)
        last = date.fromisoformat(last_text) if last_text else first
    except ValueError:
        raise invalid("period", f"not a calendar date: {period!r}") from None
    if last < first:
        raise invalid("period", "the last day is before the first")
    if (last - first).days + 1 > MAX_DAYS:
        raise invalid("period", f"a report covers at most {MAX_DAYS} days")
    return first, last


def local_midnight(day: date, tz: str) -> datetime:
    """The instant a local day starts. A midnight skipped by DST (São Paulo until 2019) gets
    the offset before the jump, which is the instant the day really began (01:00 after it)."""
    # In UTC: arithmetic and differences between datetimes sharing one ZoneInfo are done on
    # wall clocks by Python, which is wrong by an hour across a DST change.
    return datetime(day.year, day.month, day.day, tzinfo=zone(tz)).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date
    tz: str
    start: datetime
    end: datetime

    @property
    def hours(self) -> list[datetime]:
        """Each local hour's start: 23 on a spring-forward day, 25 on a fall-back day."""
        count = round((self.end - self.start) / HOUR)
        return [self.start + n * HOUR for n in range(count)]


def period_of(query: ReportQuery, now: datetime) -> Period:
    first, last = resolve_days(query, now)
    return Period(
        first_day=first,
        last_day=last,
        tz=query.tz,
        start=local_midnight(first, query.tz),
        end=local_midnight(last + timedelta(days=1), query.tz),
    )


def level_of(query: ReportQuery) -> Level:
    if query.conversation_id is not None:
        return Level.CONVERSATION
    if query.agent_id is not None:
        return Level.AGENT
    if query.queue_id is not None:
        return Level.QUEUE
    return Level.TENANT


async def scope_of(conn: Connection, query: ReportQuery, period: Period) -> Scope:
    """The statements' scope; an id the tenant doesn't have is a 422 naming its parameter.
    A conversation is reported whole: it takes precedence over a queue or an agent."""
    checks = (("queue_id", "queue"), ("agent_id", "agent"), ("conversation_id", "conversation"))
    for field, kind in checks:
        value: uuid.UUID | None = getattr(query, field)
        if value is not None and not await db.exists(conn, kind, value):
            raise invalid(field, f"no such {kind}")
    whole = query.conversation_id is not None
    return Scope(
        start=period.start,
        end=period.end,
        queue_id=None if whole else query.queue_id,
        agent_id=None if whole else query.agent_id,
        conversation_id=query.conversation_id,
    )


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _pair(values: Any) -> tuple[float | None, float | None]:
    if values is None:
        return None, None
    return values[0], values[1]


def _attendance(row: asyncpg.Record | None) -> Attendance:
    if row is None:  # no attendance at all: GROUPING SETS (()) still gives a row, but be safe
        return Attendance(
            entered=0,
            assigned=0,
            abandoned=0,
            abandonment_rate=None,
            transfers=0,
            first_response=Percentiles(median=None, p90=None),
            resolution=Percentiles(median=None, p90=None),
            sla=Sla(met=0, missed=0, rate=None),
        )
    frt, resolution = _pair(row["first_response"]), _pair(row["resolution"])
    met, missed = row["sla_met"], row["sla_missed"]
    return rows.of(
        Attendance,
        row,
        abandonment_rate=_rate(row["abandoned"], row["abandoned"] + row["assigned"]),
        first_response=Percentiles(median=frt[0], p90=frt[1]),
        resolution=Percentiles(median=resolution[0], p90=resolution[1]),
        sla=Sla(met=met, missed=missed, rate=_rate(met, met + missed)),
    )


async def _breakdown(conn: Connection, kind: str, rows: list[asyncpg.Record]) -> list[BreakdownRow]:
    keyed = [r for r in rows if not r["whole"] and r["key"] is not None]
    if kind == "item":
        labels = {r["key"]: f"attendance from {r['first_entered']:%Y-%m-%d %H:%M}" for r in keyed}
    else:
        labels = await db.names(conn, kind, [r["key"] for r in keyed])
    level = Level.CONVERSATION if kind == "item" else Level(kind)
    out = []
    for r in sorted(keyed, key=lambda r: (-r["entered"], str(labels.get(r["key"], "")))):
        a = _attendance(r)
        out.append(
            BreakdownRow(
                level=level,
                id=r["key"],
                name=labels.get(r["key"], str(r["key"])),
                entered=a.entered,
                assigned=a.assigned,
                abandoned=a.abandoned,
                transfers=a.transfers,
                first_response_median=a.first_response.median,
                first_response_p90=a.first_response.p90,
                resolution_median=a.resolution.median,
                sla_rate=a.sla.rate,
                csat_average=r["csat_average"],
                ratings=r["ratings"],
            )
        )
    return out


async def build_report(conn: Connection, query: ReportQuery, now: datetime) -> ReportOut:
    """The whole report for the query's period and drill-down (one tenant transaction)."""
    period = period_of(query, now)
    await db.tune_for_reports(conn)
    scope = await scope_of(conn, query, period)
    level = level_of(query)
    kind = _BREAKDOWN[level]
    attendance_rows = await attendance_db.attendance(conn, scope, kind, now)
    message_rows = await db.message_figures(conn, scope)
    opened_rows, closed_rows = await db.opened_and_closed(conn, scope)
    rating_rows = await db.ratings(conn, scope, period.tz)
    mood_rows = await db.mood(conn, scope)

    whole = next((r for r in attendance_rows if r["whole"]), None)
    hourly = _hourly(period, message_rows.hourly, opened_rows, closed_rows)
    sent, delivered, read, failed = message_rows.templates
    closed = sum(r["closed"] for r in closed_rows)
    automated = sum(r["automated"] for r in closed_rows)
    return ReportOut(
        level=level,
        tz=period.tz,
        first_day=period.first_day,
        last_day=period.last_day,
        start=period.start,
        end=period.end,
        queue_id=scope.queue_id,
        agent_id=scope.agent_id,
        conversation_id=scope.conversation_id,
        volumes=Volumes(
            inbound=sum(p.inbound for p in hourly),
            outbound=sum(p.outbound for p in hourly),
            opened=sum(p.opened for p in hourly),
            closed=closed,
        ),
        attendance=_attendance(whole),
        csat=_csat(rating_rows),
        automation=Automation(closed=closed, automated=automated, share=_rate(automated, closed)),
        mood=_mood(mood_rows),
        templates=Templates(
            sent=sent,
            delivered=delivered,
            read=read,
            failed=failed,
            delivery_rate=_rate(delivered, sent),
            read_rate=_rate(read, sent),
        ),
        meta_errors=sorted(
            (MetaErrorCount(code=c, title=t, count=n) for c, t, n in message_rows.errors if n),
            key=lambda e: (-e.count, e.code),
        ),
        hourly=hourly,
        heatmap=_heatmap(hourly, period.tz),
        csat_trend=_csat_trend(period, rating_rows),
        breakdown=await _breakdown(conn, kind, attendance_rows),
    )


def _hourly(
    period: Period,
    messages: list[tuple[datetime, int, int]],
    opened: list[asyncpg.Record],
    closed: list[asyncpg.Record],
) -> list[HourPoint]:
    inbound: Counter[datetime] = Counter()
    outbound: Counter[datetime] = Counter()
    for hour, n_in, n_out in messages:
        inbound[hour] += n_in
        outbound[hour] += n_out
    opened_at: Counter[datetime] = Counter()
    closed_at: Counter[datetime] = Counter()
    for r in opened:
        opened_at[r["hour"]] += r["opened"]
    for r in closed:  # the tenant's: an hour from the roll-up and from live rows
        closed_at[r["hour"]] += r["closed"]
    tz = zone(period.tz)
    points = []
    for hour in period.hours:
        points.append(
            HourPoint(
                start=hour.astimezone(tz),
                inbound=inbound[hour],
                outbound=outbound[hour],
                opened=opened_at[hour],
                closed=closed_at[hour],
            )
        )
    return points


def _heatmap(hourly: list[HourPoint], tz: str) -> list[HeatCell]:
    cells: Counter[tuple[int, int]] = Counter()
    for point in hourly:
        local = point.start.astimezone(zone(tz))
        cells[(local.weekday(), local.hour)] += point.inbound + point.outbound
    return [
        HeatCell(weekday=d, hour=h, messages=cells[(d, h)]) for d in range(7) for h in range(24)
    ]


def _csat(rows: list[asyncpg.Record]) -> Csat:
    counts: Counter[int] = Counter()
    for r in rows:
        counts[r["rating"]] += r["count"]
    total = sum(counts.values())
    average = sum(k * v for k, v in counts.items()) / total if total else None
    return Csat(
        ratings=total,
        average=average,
        distribution=[RatingCount(rating=k, count=counts[k]) for k in range(1, 6)],
    )


def _csat_trend(period: Period, rows: list[asyncpg.Record]) -> list[DayRating]:
    days: defaultdict[date, Counter[int]] = defaultdict(Counter)
    for r in rows:
        days[r["day"]][r["rating"]] += r["count"]
    out = []
    day = period.first_day
    while day <= period.last_day:
        counts = days.get(day, Counter())
        total = sum(counts.values())
        average = sum(k * v for k, v in counts.items()) / total if total else None
        out.append(DayRating(day=day, ratings=total, average=average))
        day += timedelta(days=1)
    return out


def _mood(rows: list[asyncpg.Record]) -> Mood:
    labels: Counter[str] = Counter()
    counted: Counter[str] = Counter()
    for r in rows:
        (labels if r["kind"] == "label" else counted)[r["name"]] += r["count"]
    intents = sorted(((i, n) for i, n in counted.items() if n), key=lambda p: (-p[1], p[0]))
    return Mood(
        analysed=sum(labels.values()),
        positive=labels.get("positive", 0),
        neutral=labels.get("neutral", 0),
        negative=labels.get("negative", 0),
        top_intents=[IntentCount(intent=i, count=n) for i, n in intents[:TOP_INTENTS]],
    )
