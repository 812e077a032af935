"""Opening hours in a time zone, with holidays: queues' business hours and agents' working hours.

Spans are wall-clock times, so daylight saving time needs no special case for "is it open?": a
local time is compared with the spans of its local weekday. Only "when does it open next?" has to
care, for an opening time that falls in a spring-forward gap (02:30 on a day the clock jumps from
02:00 to 03:00): it opens at the first instant the clock reads later than that, the jump itself.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from pytake_daemon.protocol.queues import WEEKDAYS

Hours = Mapping[str, Sequence[Sequence[str]]]

# A year and a week: enough to find the next opening of any weekly schedule around holidays.
_HORIZON_DAYS = 372


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_open(hours: Hours | None, tz: str, holidays: Collection[date], at: datetime) -> bool:
    """Whether ``at`` (an aware datetime) falls inside the opening hours; ``None`` is always."""
    if hours is None:
        return True
    local = at.astimezone(zone(tz))
    if local.date() in holidays:
        return False
    clock = local.strftime("%H:%M:%S")
    for start, end in hours.get(WEEKDAYS[local.weekday()], ()):
        # "24:00" sorts after every HH:MM:SS of the day, so it ends a span at midnight.
        if f"{start}:00" <= clock < (f"{end}:00" if end != "24:00" else "24:00:00"):
            return True
    return False


def next_opening(
    hours: Hours | None, tz: str, holidays: Collection[date], at: datetime
) -> datetime | None:
    """``at`` itself when open, else the first instant after it that is open (None: never)."""
    if is_open(hours, tz, holidays, at):
        return at
    assert hours is not None
    zi = zone(tz)
    day = at.astimezone(zi).date()
    for offset in range(_HORIZON_DAYS):
        current = day + timedelta(days=offset)
        if current in holidays:
            continue
        starts = sorted(span[0] for span in hours.get(WEEKDAYS[current.weekday()], ()))
        for start in starts:
            opening = _instant(current, time.fromisoformat(start), zi)
            if opening > at and is_open(hours, tz, holidays, opening):
                return opening
    return None


def _instant(day: date, clock: time, zi: ZoneInfo) -> datetime:
    """The first instant at which the wall clock of ``zi`` shows ``day clock`` or later."""
    naive = datetime.combine(day, clock)
    before = naive.replace(tzinfo=zi, fold=1).astimezone(UTC)
    after = naive.replace(tzinfo=zi, fold=0).astimezone(UTC)
    if before.astimezone(zi).replace(tzinfo=None) == naive:
        # An existing wall time (fold=1 picks the later of two in an autumn overlap; the
        # earlier one is the first moment it reads that time).
        return min(before, after)
    # In a gap: fold=1 lands before the jump, fold=0 after; find the jump to the second.
    lo, hi = before, after
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(zi).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return hi.replace(microsecond=0)
