"""Scheduled e-mail reports: when a subscription is due and which period it reports.

Send instants are local wall-clock hours in the subscription's zone, turned into UTC by
``zoneinfo`` one day at a time, so they follow DST: 08:00 in Lisbon is 08:00 UTC in winter and
07:00 UTC in summer. An hour the clocks skip (01:00 on Lisbon's spring-forward night) is sent
at the first instant that exists after the jump; an hour that happens twice (autumn) is sent
at its first occurrence, once. Code that decides by the clock takes ``now`` (docs/testing.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from pytake_daemon.attendance.hours import zone
from pytake_daemon.protocol.report_schedules import Frequency

# Far enough to reach the next qualifying day of any frequency (a monthly day ≤ 28).
_SEARCH_DAYS = 62


@dataclass(frozen=True, slots=True)
class When:
    """A subscription's timing."""

    frequency: Frequency
    tz: str
    hour: int
    weekday: int = 0
    month_day: int = 1


def _qualifies(when: When, day: date) -> bool:
    if when.frequency is Frequency.WEEKLY:
        return day.weekday() == when.weekday
    if when.frequency is Frequency.MONTHLY:
        return day.day == when.month_day
    return True


def local_hour(day: date, hour: int, tz: str) -> datetime:
    """The UTC instant of ``hour``:00 on a local ``day``. A skipped hour takes the offset
    before the jump (fold=0), which lands on the first real instant after it; a repeated hour
    takes its first occurrence."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=zone(tz)).astimezone(UTC)


def next_slot(when: When, after: datetime) -> datetime:
    """The first send instant strictly after ``after``."""
    day = after.astimezone(zone(when.tz)).date() - timedelta(days=1)
    for _ in range(_SEARCH_DAYS):
        if _qualifies(when, day):
            instant = local_hour(day, when.hour, when.tz)
            if instant > after:
                return instant
        day += timedelta(days=1)
    raise AssertionError("every frequency has a qualifying day within two months")


def slot_day(when: When, slot: datetime) -> date:
    """The local day a slot belongs to (a skipped hour's slot still falls on that day)."""
    return slot.astimezone(zone(when.tz)).date()


def period_for(when: When, slot: datetime) -> tuple[date, date]:
    """The whole local days the e-mail sent at ``slot`` reports, before the send day."""
    day = slot_day(when, slot)
    if when.frequency is Frequency.DAILY:
        return day - timedelta(days=1), day - timedelta(days=1)
    if when.frequency is Frequency.WEEKLY:
        return day - timedelta(days=7), day - timedelta(days=1)
    last = day.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last
