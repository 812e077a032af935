"""The audit screen's rules, without Textual: filters → queries, the wording of entries, and an
entry's before/after difference as added, removed and changed fields.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal, TypeVar

from pytake_daemon.protocol.audit import (
    AuditCounts,
    AuditCountsQuery,
    AuditEntryOut,
    AuditQuery,
    Outcome,
    SecurityAlertOut,
    Severity,
    TrendOut,
)
from pytake_i18n import format_number, format_skeleton
from pytake_tui.audit_words import action_name, actor_kind
from pytake_tui.i18n import _, ngettext, pgettext

PAGE_SIZE = 50


class AuditPeriod(StrEnum):
    """How far back the list and the chart look."""

    HOUR = "1 hour"
    DAY = "24 hours"
    WEEK = "7 days"
    MONTH = "30 days"
    ANY = "any time"

    @property
    def span(self) -> timedelta | None:
        return _SPANS[self]

    @property
    def bucket(self) -> Literal["hour", "day"]:
        """The chart's bucket: hours up to a day, days beyond."""
        span = self.span
        return "hour" if span is not None and span <= timedelta(days=1) else "day"


_SPANS: dict[AuditPeriod, timedelta | None] = {
    AuditPeriod.HOUR: timedelta(hours=1),
    AuditPeriod.DAY: timedelta(days=1),
    AuditPeriod.WEEK: timedelta(days=7),
    AuditPeriod.MONTH: timedelta(days=30),
    AuditPeriod.ANY: None,
}


def period_label(period: AuditPeriod) -> str:
    """The period filter's chip: "24 hours" / "24 horas"."""
    return {
        AuditPeriod.HOUR: pgettext("audit period", "1 hour"),
        AuditPeriod.DAY: pgettext("audit period", "24 hours"),
        AuditPeriod.WEEK: pgettext("audit period", "7 days"),
        AuditPeriod.MONTH: pgettext("audit period", "30 days"),
        AuditPeriod.ANY: pgettext("audit period", "any time"),
    }[period]


def outcome_label(outcome: Outcome) -> str:
    """An audit entry's outcome: "denied" / "negado"."""
    return {
        Outcome.SUCCESS: pgettext("audit outcome", "success"),
        Outcome.FAILURE: pgettext("audit outcome", "failure"),
        Outcome.DENIED: pgettext("audit outcome", "denied"),
        Outcome.ERROR: pgettext("audit outcome", "error"),
    }.get(outcome, outcome.value)


OUTCOME_CHOICES: tuple[Outcome | None, ...] = (None, *Outcome)
"""The outcome filter cycles through these; ``None`` shows every outcome."""

_T = TypeVar("_T")


def _next(choices: tuple[_T, ...], current: _T) -> _T:
    return choices[(choices.index(current) + 1) % len(choices)]


@dataclass(frozen=True, slots=True)
class AuditFilters:
    """What the admin asked the log to show; blank text fields filter nothing."""

    actor: str = ""
    action: str = ""
    target: str = ""
    text: str = ""
    outcome: Outcome | None = None
    period: AuditPeriod = AuditPeriod.DAY

    def next_outcome(self) -> AuditFilters:
        return replace(self, outcome=_next(OUTCOME_CHOICES, self.outcome))

    def next_period(self) -> AuditFilters:
        return replace(self, period=_next(tuple(AuditPeriod), self.period))

    def since(self, now: datetime) -> datetime | None:
        span = self.period.span
        return None if span is None else now - span

    def query(self, now: datetime, cursor: str | None = None) -> AuditQuery:
        """The ``GET /api/v1/audit`` query of these filters (a page after ``cursor``)."""
        return AuditQuery(
            actor=self.actor.strip() or None,
            action=self.action.strip() or None,
            target=self.target.strip() or None,
            text=self.text.strip() or None,
            outcome=self.outcome,
            since=self.since(now),
            limit=PAGE_SIZE,
            cursor=cursor,
        )

    def chart_span(self, now: datetime) -> tuple[datetime, datetime]:
        """What the chart covers: the period (30 days for "any time"), at least a day (one
        hourly bar alone says nothing about a trend)."""
        span = max(self.period.span or timedelta(days=30), timedelta(days=1))
        return now - span, now

    def chart_label(self) -> str:
        """What the chart covers, in words: ``24 hours``, ``7 days``, ``30 days``."""
        span = max(self.period.span or timedelta(days=30), timedelta(days=1))
        if span == timedelta(days=1):
            return _("24 hours")
        return ngettext("{n} day", "{n} days", span.days).format(n=span.days)

    def counts_query(self, now: datetime) -> AuditCountsQuery:
        """The chart's buckets over :meth:`chart_span`, by hour or by day."""
        since, until = self.chart_span(now)
        return AuditCountsQuery(since=since, until=until, bucket=self.period.bucket)


# Entries


OUTCOME_MARKS: dict[Outcome, str] = {
    Outcome.SUCCESS: "✓",
    Outcome.FAILURE: "✗",
    Outcome.DENIED: "⊘",
    Outcome.ERROR: "!",
}


def actor_name(entry: AuditEntryOut, names: Mapping[uuid.UUID, str] | None = None) -> str:
    """Who: the label (an e-mail), else the user's e-mail from ``names`` (calls made with a
    token are recorded with the user's id only), else the id, else the kind of actor."""
    if entry.actor_label:
        return entry.actor_label
    if entry.actor_id is not None:
        return (names or {}).get(entry.actor_id, str(entry.actor_id))
    return actor_kind(entry.actor_type)


def when(at: datetime, now: datetime) -> str:
    """``09:26:53`` today, ``03-12 17:40`` before (local time)."""
    local, today = at.astimezone(), now.astimezone()
    if local.date() == today.date():
        return local.strftime("%H:%M:%S")
    return f"{format_skeleton('Md', local, local.tzinfo)} {local:%H:%M}"


# The difference


class Change(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of an entry's difference."""

    field: str
    change: Change
    before: Any = None
    after: Any = None


def value_text(value: Any) -> str:
    """A JSON value on one line; strings without quotes when that is unambiguous."""
    if isinstance(value, str) and value.strip() == value and value:
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def changes(diff: dict[str, Any] | None) -> list[FieldChange]:
    """``{field: {before, after}}`` as added (no before), removed (no after) and changed fields.

    A value that is not a before/after pair (an action's parameters, say) is shown as set.
    """
    result: list[FieldChange] = []
    for name in sorted(diff or {}):
        value = (diff or {})[name]
        if isinstance(value, dict) and value.keys() == {"before", "after"}:
            before, after = value["before"], value["after"]
            if before is None:
                result.append(FieldChange(name, Change.ADDED, after=after))
            elif after is None:
                result.append(FieldChange(name, Change.REMOVED, before=before))
            else:
                result.append(FieldChange(name, Change.CHANGED, before, after))
        else:
            result.append(FieldChange(name, Change.ADDED, after=value))
    return result


# Alerts and trends

SEVERITY_MARKS: dict[Severity, str] = {
    Severity.INFO: "·",
    Severity.WARNING: "▲",
    Severity.CRITICAL: "‼",
}


def alert_line(alert: SecurityAlertOut, now: datetime) -> str:
    return f"{SEVERITY_MARKS[alert.severity]} {when(alert.at, now)} {alert.summary}"


def trend_line(trend: TrendOut) -> str:
    """``Logged in 12 (x4.0)``; ``(new)`` when there was nothing to compare with."""
    ratio = _("new") if trend.ratio is None else f"x{format_number(trend.ratio, pattern='0.0')}"
    return f"{action_name(trend.action)} {format_number(trend.current)} ({ratio})"


# The chart


@dataclass(frozen=True, slots=True)
class Bar:
    """One bucket of the chart: its label, its entries and how many of them did not succeed."""

    at: datetime
    label: str
    count: int
    failures: int


def bars(counts: AuditCounts, since: datetime, until: datetime) -> list[Bar]:
    """Every bucket from ``since`` to ``until``, empty ones included (the daemon lists only the
    others). Buckets are the daemon's ``date_trunc`` in UTC; labels are local hours or dates.
    """
    step = timedelta(hours=1) if counts.bucket == "hour" else timedelta(days=1)
    start = _truncate(since, counts.bucket)
    found = {_truncate(item.bucket, counts.bucket): item for item in counts.items}
    result: list[Bar] = []
    at = start
    while at < until:
        item = found.get(at)
        local = at.astimezone()
        label = (
            local.strftime("%H")
            if counts.bucket == "hour"
            else format_skeleton("Md", local, local.tzinfo)
        )
        result.append(Bar(at, label, item.count if item else 0, item.failures if item else 0))
        at += step
    return result


def _truncate(at: datetime, bucket: Literal["hour", "day"]) -> datetime:
    at = at.astimezone(UTC)
    at = at.replace(minute=0, second=0, microsecond=0)
    return at.replace(hour=0) if bucket == "day" else at
