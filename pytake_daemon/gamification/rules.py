"""The rules, as plain functions over plain values (hand-checked in tests/gamification/):
how many points a fact is worth, the periods in the tenant's time zone, the badges, the ranks.

Points come from measured work only, never from a message count (a count rewards spam):

* an attendance **resolved**: completed with at least one reply by a person — 10 points to
  the attendance's agent (closing an empty conversation earns nothing);
* its **first response**: the first reply by a person after it entered the queue — 5 points to
  whoever sent it when within the queue's ``first_response_target_seconds``, 0 when late;
* a **CSAT** rating: 5 stars 5 points, 4 stars 2, lower 0, to the rated agent;
* a **goal reached** (the agents' goals, once per goal and period): 20 points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from pytake_daemon.i18n import gettext
from pytake_daemon.protocol.gamification import Badge, Period
from pytake_i18n import N_, format_number

RESOLVED_POINTS = 10
ON_TARGET_POINTS = 5
CSAT_POINTS = {5: 5, 4: 2}
GOAL_POINTS = 20

CLOSER_RESOLVED = 10
STREAK_LENGTH = 5
ON_TARGET_MINIMUM = 5

_BADGE_TITLES = {
    Badge.CLOSER: N_("Closer: {n} resolved in a day"),
    Badge.FIVE_STAR_STREAK: N_("{n} five-star ratings in a row"),
    Badge.ON_TARGET_WEEK: N_("Every first response on target for a week"),
}
_BADGE_COUNTS = {Badge.CLOSER: CLOSER_RESOLVED, Badge.FIVE_STAR_STREAK: STREAK_LENGTH}


def badge_title(badge: Badge, language: str | None = None) -> str:
    """What earns the badge, in ``language`` (else the language in force: the request's)."""
    msgid = _BADGE_TITLES[badge]
    return gettext(msgid, language=language).format(n=_BADGE_COUNTS.get(badge, 0))


BADGE_PERIODS = {
    Badge.CLOSER: Period.DAY,
    Badge.FIVE_STAR_STREAK: Period.WEEK,
    Badge.ON_TARGET_WEEK: Period.WEEK,
}


def csat_points(rating: int) -> int:
    return CSAT_POINTS.get(rating, 0)


def local_midnight(day: date, tz: str) -> datetime:
    """The instant a local day starts, in UTC (arithmetic on aware datetimes sharing one
    ZoneInfo is done on wall clocks by Python: wrong by an hour across a DST change)."""
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def local_day(moment: datetime, tz: str) -> date:
    return moment.astimezone(ZoneInfo(tz)).date()


@dataclass(frozen=True)
class Span:
    """A period's local days and the instants ``[start, end)`` they cover."""

    period: Period
    first_day: date
    last_day: date
    start: datetime
    end: datetime

    def holds(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def span_of(period: Period, day: date, tz: str) -> Span:
    """The day, week (Monday first) or calendar month holding ``day``."""
    if period is Period.DAY:
        first, last = day, day
    elif period is Period.WEEK:
        first = day - timedelta(days=day.weekday())
        last = first + timedelta(days=6)
    else:
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        last = following - timedelta(days=1)
    return Span(period, first, last, local_midnight(first, tz), local_midnight(last + _DAY, tz))


_DAY = timedelta(days=1)


def spans_touched(period: Period, start: datetime, end: datetime, tz: str) -> list[Span]:
    """Every period of a kind that overlaps ``[start, end)``, in order."""
    spans: list[Span] = []
    day = local_day(start, tz)
    while True:
        span = span_of(period, day, tz)
        if span.start >= end:
            return spans
        spans.append(span)
        day = span.last_day + _DAY


@dataclass(frozen=True)
class Fact:
    """A ledger row as the badge rules read it."""

    reason: str
    points: int
    at: datetime
    rating: int | None = None


def closer(facts: Sequence[Fact]) -> bool:
    """A day's facts: ten attendances resolved."""
    return sum(1 for f in facts if f.reason == "resolved") >= CLOSER_RESOLVED


def five_star_streak(facts: Sequence[Fact]) -> bool:
    """A week's ratings in the order they were answered: five 5-star ones in a row."""
    run = 0
    for fact in sorted((f for f in facts if f.reason == "csat"), key=lambda f: f.at):
        run = run + 1 if fact.rating == 5 else 0
        if run >= STREAK_LENGTH:
            return True
    return False


def on_target_week(facts: Sequence[Fact], *, finished: bool) -> bool:
    """A *finished* week (a later miss would spoil it): at least five first responses
    measured, none late."""
    replies = [f for f in facts if f.reason == "first_response"]
    return finished and len(replies) >= ON_TARGET_MINIMUM and all(f.points > 0 for f in replies)


def badges_earned(period: Period, facts: Sequence[Fact], *, finished: bool) -> list[Badge]:
    """The badges one agent's facts of one period earn (a day's or a week's rules)."""
    if period is Period.DAY:
        return [Badge.CLOSER] if closer(facts) else []
    earned = []
    if five_star_streak(facts):
        earned.append(Badge.FIVE_STAR_STREAK)
    if on_target_week(facts, finished=finished):
        earned.append(Badge.ON_TARGET_WEEK)
    return earned


def competition_ranks(points: Sequence[int]) -> list[int]:
    """Ranks of scores sorted best first: ties share a rank and the next one skips
    (100, 80, 80, 50 -> 1, 2, 2, 4)."""
    ranks: list[int] = []
    for index, value in enumerate(points):
        ranks.append(ranks[-1] if index and points[index - 1] == value else index + 1)
    return ranks


def explain(
    reason: str, points: int, detail: dict[str, object], language: str | None = None
) -> str:
    """One sentence saying why a ledger row has its points, in ``language`` (else the language
    in force: the request's). A goal's title is shown as the ledger stored it."""

    def say(msgid: str, **fields: object) -> str:
        return gettext(msgid, language=language).format(points=points, **fields)

    match reason:
        case "resolved":
            return say(N_("+{points}: attendance resolved with your reply"))
        case "first_response":
            seconds, target = (
                _number(detail.get("seconds"), language),
                _number(detail.get("target"), language),
            )
            if points:
                return say(
                    N_("+{points}: first response in {seconds}s, within the {target}s target"),
                    seconds=seconds,
                    target=target,
                )
            return say(
                N_("+{points}: first response in {seconds}s, past the {target}s target"),
                seconds=seconds,
                target=target,
            )
        case "csat":
            return say(N_("+{points}: rated {rating} of 5"), rating=detail.get("rating"))
        case "goal_reached":
            title = detail.get("title") or gettext(N_("a goal"), language=language)
            return say(N_("+{points}: goal reached ({goal})"), goal=title)
    return f"+{points}: {reason}"


def _number(value: object, language: str | None) -> str:
    """A figure from the ledger's detail with the reader's decimal mark (as stored if not one)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_number(value, language=language)
    return str(value)
