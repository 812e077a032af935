"""Text for the leaderboard and the dashboard's points panel (no Textual): period titles,
badge names, progress bars and the one-line summary of my points."""

from __future__ import annotations

from datetime import date

from pytake_daemon.protocol.gamification import (
    Badge,
    ChallengeOut,
    Leaderboard,
    Metric,
    MyPoints,
    Period,
)

BADGE_NAMES = {
    Badge.CLOSER: "Closer",
    Badge.FIVE_STAR_STREAK: "5★ streak",
    Badge.ON_TARGET_WEEK: "On target",
}
METRIC_NAMES = {
    Metric.POINTS: "points",
    Metric.RESOLVED: "resolved",
    Metric.FIRST_RESPONSE: "first responses on target",
    Metric.CSAT_5: "5-star ratings",
}
PERIOD_WORDS = {Period.DAY: "today", Period.WEEK: "this week", Period.MONTH: "this month"}
OFF = "Gamification is off for this team (an admin can turn it on)."


def short_day(day: date) -> str:
    return day.strftime("%d %b")


def period_title(period: Period, first: date, last: date) -> str:
    """``Week 23 Mar to 29 Mar 2026``, ``Day Sun 29 Mar 2026``, ``Month March 2026``."""
    if period is Period.DAY:
        return first.strftime("Day %a %d %b %Y")
    if period is Period.MONTH:
        return first.strftime("Month %B %Y")
    return f"Week {short_day(first)} to {short_day(last)} {last.year}"


def where_line(board: Leaderboard) -> str:
    title = period_title(board.period, board.first_day, board.last_day)
    return f"{title} · {board.team} · {board.tz}"


def badge_names(badges: list[Badge]) -> str:
    return ", ".join(BADGE_NAMES[b] for b in badges)


def bar(value: int, threshold: int, width: int = 10) -> str:
    """``██████░░░░ 6/10``: filled in proportion, full once reached."""
    filled = width if value >= threshold else min(width, value * width // threshold)
    return f"{'█' * filled}{'░' * (width - filled)} {value}/{threshold}"


def challenge_lines(challenge: ChallengeOut, me: object) -> list[str]:
    """A challenge as three lines: title, what and when, my progress and the leader."""
    what = f"{METRIC_NAMES[challenge.metric]} ≥ {challenge.threshold}"
    when = f"{short_day(challenge.first_day)} to {short_day(challenge.last_day)}"
    mine = next((p for p in challenge.progress if p.agent_id == me), None)
    leader = challenge.progress[0] if challenge.progress else None
    progress = bar(mine.value if mine else 0, challenge.threshold)
    done = " ✓" if mine and mine.done else ""
    lead = f" · leader {leader.name} {leader.value}" if leader and leader.value else ""
    return [challenge.title, f"  {what} · {when}", f"  you {progress}{done}{lead}"]


def points_line(mine: MyPoints) -> str:
    """The dashboard's panel: ``Points this week: 45 · rank 2 of 7 · Closer, 5★ streak``."""
    if not mine.enabled:
        return OFF
    rank = f"rank {mine.rank} of {mine.of}" if mine.rank is not None else "not ranked"
    badges = badge_names([b.badge for b in mine.badges]) or "no badges yet"
    words = PERIOD_WORDS[mine.period]
    return f"Points {words}: {mine.points} · {rank} · {badges} · ctrl+k leaderboard"
