"""The wording of the agent dashboard: statuses, figures, goals, timeline entries (no Textual)."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from pytake_daemon.protocol.agents import (
    ActivityKind,
    ActivityOut,
    AgentStatus,
    GoalKind,
    GoalOut,
    MonthMetrics,
    Period,
    RealTime,
    WeekMetrics,
)

STATUS_ORDER = (
    AgentStatus.ONLINE,
    AgentStatus.BUSY,
    AgentStatus.AWAY,
    AgentStatus.BREAK,
    AgentStatus.OFFLINE,
)
STATUS_KEYS = {
    AgentStatus.ONLINE: "o",
    AgentStatus.BUSY: "b",
    AgentStatus.AWAY: "a",
    AgentStatus.BREAK: "k",
    AgentStatus.OFFLINE: "x",
}
"""One key each; ``k`` for break, as ``b`` is busy."""
STATUS_STYLES = {
    AgentStatus.ONLINE: "bold green",
    AgentStatus.BUSY: "bold yellow",
    AgentStatus.AWAY: "bold magenta",
    AgentStatus.BREAK: "bold cyan",
    AgentStatus.OFFLINE: "dim",
}

BAR_WIDTH = 16
"""Cells of a goal's progress bar."""

_GOAL_TITLES = {
    GoalKind.DAILY_CONVERSATIONS: "{target} conversations",
    GoalKind.SATISFACTION: "satisfaction {target}+",
    GoalKind.RESPONSE_TIME: "first reply under {target}",
    GoalKind.EFFICIENCY: "resolution rate {target}+",
    GoalKind.QUALITY: "{target} good ratings",
}


def duration(seconds: float | None) -> str:
    """``45s``, ``1m 20s``, ``2h 05m``; ``—`` when there is nothing to measure."""
    if seconds is None:
        return "—"
    total = round(seconds)
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def percent(share: float | None) -> str:
    """A 0-1 share as ``92%``."""
    return "—" if share is None else f"{round(100 * share)}%"


def status_text(status: AgentStatus) -> Text:
    return Text.assemble(("● ", STATUS_STYLES[status]), (status.value, STATUS_STYLES[status]))


def clock_time(at: datetime, now: datetime) -> str:
    """``09:20`` today, ``13 Mar 09:20`` another day (local time)."""
    local, today = at.astimezone(), now.astimezone().date()
    return local.strftime("%H:%M") if local.date() == today else local.strftime("%d %b %H:%M")


def real_time_line(real_time: RealTime, now: datetime) -> Text:
    """``● online · 2 of 3 conversations (67%) · last activity 09:20``."""
    line = status_text(real_time.status)
    line.append(f" · {real_time.active} of {real_time.capacity} conversations")
    line.append(f" ({percent(real_time.load)})", style="dim")
    if real_time.last_activity_at is not None:
        line.append(f" · last activity {clock_time(real_time.last_activity_at, now)}", style="dim")
    return line


def _rating(average: float | None, ratings: int) -> str:
    if average is None:
        return "★ — no ratings"
    return f"★ {average:.1f} · {ratings} rated"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def card_lines(period: Period) -> list[str]:
    """A period's figures, one per line; a week adds satisfaction and resolution, a month its
    best day."""
    lines = [
        _count(period.conversations, "conversation"),
        _count(period.messages_answered, "message"),
        f"{duration(period.avg_first_response_seconds)} first reply",
        f"{duration(period.avg_handling_seconds)} handling",
    ]
    if isinstance(period, WeekMetrics):
        lines.append(_rating(period.avg_satisfaction, period.ratings))
        lines.append(f"{percent(period.resolution_rate)} resolved")
    if isinstance(period, MonthMetrics):
        best = period.best_day
        lines.append(
            f"best {best.day.strftime('%d %b')} · {best.conversations}" if best else "best day —"
        )
    return lines


def _goal_number(kind: GoalKind, value: float) -> str:
    match kind:
        case GoalKind.DAILY_CONVERSATIONS:
            return f"{value:g}" if value == int(value) else f"{value:.1f}"
        case GoalKind.SATISFACTION:
            return f"{value:.1f}"
        case GoalKind.RESPONSE_TIME:
            return duration(value)
        case GoalKind.EFFICIENCY | GoalKind.QUALITY:
            return f"{value:.0f}%"


def goal_title(goal: GoalOut) -> str:
    """``12 conversations per day``, ``first reply under 1m 00s per week (team care)``."""
    target = _goal_number(goal.kind, goal.target)
    if goal.kind is GoalKind.SATISFACTION:
        target = f"{goal.target:g}"
    title = f"{_GOAL_TITLES[goal.kind].format(target=target)} per {goal.period.value}"
    if goal.scope == "team":
        title += f" (team {goal.department})"
    return title


def goal_value(goal: GoalOut) -> str:
    """Where the goal stands: ``8 / 12``; a response time reads ``1m 10s / 1m 00s``."""
    current = "—" if goal.current is None else _goal_number(goal.kind, goal.current)
    return f"{current} / {_goal_number(goal.kind, goal.target)}"


def progress_bar(progress: float, width: int = BAR_WIDTH) -> Text:
    """``█████░░░░░``: green once reached; a goal not reached never looks full."""
    filled = width if progress >= 1.0 else max(0, min(width - 1, int(width * progress)))
    style = "green" if progress >= 1.0 else "yellow" if progress >= 0.5 else "red"
    return Text.assemble(("█" * filled, style), ("░" * (width - filled), "dim"))


def goal_deadline(goal: GoalOut) -> str:
    return f"until {goal.deadline.strftime('%d %b')}" if goal.deadline else ""


ACTIVITY_ICONS = {
    ActivityKind.CONVERSATION_STARTED: "▶",
    ActivityKind.CONVERSATION_FINISHED: "■",
    ActivityKind.GOAL_REACHED: "◆",
    ActivityKind.FEEDBACK_RECEIVED: "★",
    ActivityKind.STATUS_CHANGED: "●",
}


def _who(activity: ActivityOut) -> str:
    if activity.contact:
        return activity.contact
    if activity.conversation_id is not None:
        return f"conversation {str(activity.conversation_id)[:8]}"
    return "a customer"


def activity_text(activity: ActivityOut) -> str:
    """One line about a timeline entry, from its kind and the daemon's detail."""
    detail = activity.detail
    match activity.kind:
        case ActivityKind.CONVERSATION_STARTED:
            how = " (assigned by hand)" if detail.get("manual") else ""
            return f"started with {_who(activity)}{how}"
        case ActivityKind.CONVERSATION_FINISHED:
            reason = detail.get("reason")
            if reason == "reassigned":
                return f"{_who(activity)} reassigned to another agent"
            if reason == "transferred":
                return f"{_who(activity)} transferred to another queue"
            handled = detail.get("handling_seconds")
            took = f" after {duration(float(handled))}" if isinstance(handled, int | float) else ""
            return f"finished with {_who(activity)}{took}"
        case ActivityKind.GOAL_REACHED:
            return f"goal reached: {detail.get('title', 'a goal')}"
        case ActivityKind.FEEDBACK_RECEIVED:
            rating = detail.get("rating")
            stars = "★" * rating if isinstance(rating, int) and 1 <= rating <= 5 else "?"
            return f"rated {stars} by {_who(activity)}"
        case ActivityKind.STATUS_CHANGED:
            before, after = detail.get("from"), detail.get("to", "?")
            why = " (console closed)" if detail.get("reason") == "presence" else ""
            return f"status {before} → {after}{why}" if before else f"status {after}{why}"
