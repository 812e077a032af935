"""Text for the leaderboard and the dashboard's points panel (no Textual): period titles,
badge names, progress bars and the one-line summary of my points."""

from __future__ import annotations

from datetime import date, datetime

from pytake_daemon.protocol.gamification import (
    Badge,
    ChallengeOut,
    Leaderboard,
    Metric,
    MyPoints,
    Period,
)
from pytake_i18n import format_skeleton
from pytake_tui.i18n import N_, _, pgettext

BADGE_NAMES = {
    Badge.CLOSER: N_("Closer"),
    Badge.FIVE_STAR_STREAK: N_("5★ streak"),
    Badge.ON_TARGET_WEEK: N_("On target"),
}
"""``N_`` msgids: :func:`badge_name` says them in the reader's language."""
METRIC_NAMES = {
    Metric.POINTS: N_("points"),
    Metric.RESOLVED: N_("resolved"),
    Metric.FIRST_RESPONSE: N_("first responses on target"),
    Metric.CSAT_5: N_("5-star ratings"),
}
"""``N_`` msgids: :func:`metric_name` says them in the reader's language."""
OFF = N_("Gamification is off for this team (an admin can turn it on).")


def badge_name(badge: Badge) -> str:
    return _(BADGE_NAMES[badge])


def metric_name(metric: Metric) -> str:
    return _(METRIC_NAMES[metric])


def _moment(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def short_day(day: date) -> str:
    """``Mar 29`` / ``29 de mar.``."""
    return format_skeleton("dMMM", _moment(day))


def day_span(first: date, last: date) -> str:
    return _("{first} to {last}").format(first=short_day(first), last=short_day(last))


def period_title(period: Period, first: date, last: date) -> str:
    """``Week Mar 23 to Mar 29, 2026``, ``Day Sun, March 29, 2026``, ``Month March 2026``."""
    if period is Period.DAY:
        return _("Day {day}").format(day=format_skeleton("yMMMMEd", _moment(first)))
    if period is Period.MONTH:
        return _("Month {month}").format(month=format_skeleton("yMMMM", _moment(first)))
    return _("Week {first} to {last}").format(
        first=short_day(first), last=format_skeleton("yMMMd", _moment(last))
    )


def where_line(board: Leaderboard) -> str:
    title = period_title(board.period, board.first_day, board.last_day)
    # The daemon names the whole tenant "everyone"; a queue or a department by its own name.
    team = pgettext("team", "everyone") if board.team == "everyone" else board.team
    return f"{title} · {team} · {board.tz}"


def badge_names(badges: list[Badge]) -> str:
    return ", ".join(badge_name(b) for b in badges)


def bar(value: int, threshold: int, width: int = 10) -> str:
    """``██████░░░░ 6/10``: filled in proportion, full once reached."""
    filled = width if value >= threshold else min(width, value * width // threshold)
    return f"{'█' * filled}{'░' * (width - filled)} {value}/{threshold}"


def challenge_lines(challenge: ChallengeOut, me: object) -> list[str]:
    """A challenge as three lines: title, what and when, my progress and the leader."""
    what = f"{metric_name(challenge.metric)} ≥ {challenge.threshold}"
    when = day_span(challenge.first_day, challenge.last_day)
    mine = next((p for p in challenge.progress if p.agent_id == me), None)
    leader = challenge.progress[0] if challenge.progress else None
    progress = bar(mine.value if mine else 0, challenge.threshold)
    done = " ✓" if mine and mine.done else ""
    you = _("you {progress}").format(progress=f"{progress}{done}")
    if leader and leader.value:
        you += " · " + _("leader {name} {value}").format(name=leader.name, value=leader.value)
    return [challenge.title, f"  {what} · {when}", f"  {you}"]


def points_line(mine: MyPoints) -> str:
    """The dashboard's panel: ``Points this week: 45 · rank 2 of 7 · Closer, 5★ streak``."""
    if not mine.enabled:
        return _(OFF)
    if mine.rank is not None:
        rank = _("rank {rank} of {of}").format(rank=mine.rank, of=mine.of)
    else:
        rank = _("not ranked")
    badges = badge_names([b.badge for b in mine.badges]) or _("no badges yet")
    points = {
        Period.DAY: _("Points today: {points}"),
        Period.WEEK: _("Points this week: {points}"),
        Period.MONTH: _("Points this month: {points}"),
    }[mine.period].format(points=mine.points)
    return _("{points} · {rank} · {badges} · ctrl+k leaderboard").format(
        points=points, rank=rank, badges=badges
    )
