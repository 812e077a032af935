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
from pytake_i18n import format_date, format_datetime, format_number
from pytake_tui.i18n import N_, _, ngettext
from pytake_tui.vocabulary import agent_status

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

STATUS_BINDINGS = {
    AgentStatus.ONLINE: N_("Status: online"),
    AgentStatus.BUSY: N_("Status: busy"),
    AgentStatus.AWAY: N_("Status: away"),
    AgentStatus.BREAK: N_("Status: break"),
    AgentStatus.OFFLINE: N_("Status: offline"),
}
"""The status keys' descriptions (msgids, translated where the keys are listed)."""

BAR_WIDTH = 16
"""Cells of a goal's progress bar."""

_GOAL_TITLES = {
    GoalKind.SATISFACTION: N_("satisfaction {target}+"),
    GoalKind.RESPONSE_TIME: N_("first reply under {target}"),
    GoalKind.EFFICIENCY: N_("resolution rate {target}+"),
    GoalKind.QUALITY: N_("{target} good ratings"),
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
    return Text.assemble(
        ("● ", STATUS_STYLES[status]), (agent_status(status), STATUS_STYLES[status])
    )


def clock_time(at: datetime, now: datetime) -> str:
    """``09:20`` today, ``13 Mar 09:20`` another day (local time)."""
    local, today = at.astimezone(), now.astimezone().date()
    pattern = "HH:mm" if local.date() == today else "dd MMM HH:mm"
    return format_datetime(local, format=pattern)


def real_time_line(real_time: RealTime, now: datetime) -> Text:
    """``● online · 2 of 3 conversations (67%) · last activity 09:20``."""
    line = status_text(real_time.status)
    load = ngettext(
        "{active} of {capacity} conversation",
        "{active} of {capacity} conversations",
        real_time.capacity,
    )
    line.append(" · " + load.format(active=real_time.active, capacity=real_time.capacity))
    line.append(f" ({percent(real_time.load)})", style="dim")
    if real_time.last_activity_at is not None:
        last = clock_time(real_time.last_activity_at, now)
        line.append(" · " + _("last activity {time}").format(time=last), style="dim")
    return line


def _rating(average: float | None, ratings: int) -> str:
    if average is None:
        return "★ — " + _("no ratings")
    rated = ngettext("{n} rated", "{n} rated", ratings).format(n=ratings)
    return f"★ {format_number(average, pattern='0.0')} · {rated}"


def card_lines(period: Period) -> list[str]:
    """A period's figures, one per line; a week adds satisfaction and resolution, a month its
    best day."""
    lines = [
        ngettext("{n} conversation", "{n} conversations", period.conversations).format(
            n=period.conversations
        ),
        ngettext("{n} message", "{n} messages", period.messages_answered).format(
            n=period.messages_answered
        ),
        _("{time} first reply").format(time=duration(period.avg_first_response_seconds)),
        _("{time} handling").format(time=duration(period.avg_handling_seconds)),
    ]
    if isinstance(period, WeekMetrics):
        lines.append(_rating(period.avg_satisfaction, period.ratings))
        lines.append(_("{percent} resolved").format(percent=percent(period.resolution_rate)))
    if isinstance(period, MonthMetrics):
        best = period.best_day
        lines.append(
            _("best {day} · {count}").format(
                day=format_date(best.day, format="dd MMM"), count=best.conversations
            )
            if best
            else _("best day —")
        )
    return lines


def _goal_number(kind: GoalKind, value: float) -> str:
    match kind:
        case GoalKind.DAILY_CONVERSATIONS:
            return (
                format_number(value) if value == int(value) else format_number(value, pattern="0.0")
            )
        case GoalKind.SATISFACTION:
            return format_number(value, pattern="0.0")
        case GoalKind.RESPONSE_TIME:
            return duration(value)
        case GoalKind.EFFICIENCY | GoalKind.QUALITY:
            return f"{value:.0f}%"


def goal_title(goal: GoalOut) -> str:
    """``12 conversations per day``, ``first reply under 1m 00s per week (team care)``."""
    target = _goal_number(goal.kind, goal.target)
    if goal.kind is GoalKind.SATISFACTION:
        target = format_number(goal.target)
    per = {
        "day": _("{goal} per day"),
        "week": _("{goal} per week"),
        "month": _("{goal} per month"),
    }.get(goal.period.value, "{goal} / " + goal.period.value)
    if goal.kind is GoalKind.DAILY_CONVERSATIONS:
        # The plural form the count asks for ("1 conversation"); a fraction reads as a plural.
        count = int(goal.target) if float(goal.target).is_integer() else 2
        worded = ngettext("{target} conversation", "{target} conversations", count)
    else:
        worded = _(_GOAL_TITLES[goal.kind])
    title = per.format(goal=worded.format(target=target))
    if goal.scope == "team":
        title += " " + _("(team {department})").format(department=goal.department)
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
    if goal.deadline is None:
        return ""
    return _("until {day}").format(day=format_date(goal.deadline, format="dd MMM"))


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
        return _("conversation {id}").format(id=str(activity.conversation_id)[:8])
    return _("a customer")


def activity_text(activity: ActivityOut) -> str:
    """One line about a timeline entry, from its kind and the daemon's detail."""
    detail = activity.detail
    match activity.kind:
        case ActivityKind.CONVERSATION_STARTED:
            started = (
                _("started with {who} (assigned by hand)")
                if detail.get("manual")
                else _("started with {who}")
            )
            return started.format(who=_who(activity))
        case ActivityKind.CONVERSATION_FINISHED:
            reason = detail.get("reason")
            if reason == "reassigned":
                return _("{who} reassigned to another agent").format(who=_who(activity))
            if reason == "transferred":
                return _("{who} transferred to another queue").format(who=_who(activity))
            handled = detail.get("handling_seconds")
            if isinstance(handled, int | float):
                return _("finished with {who} after {time}").format(
                    who=_who(activity), time=duration(float(handled))
                )
            return _("finished with {who}").format(who=_who(activity))
        case ActivityKind.GOAL_REACHED:
            return _("goal reached: {goal}").format(goal=detail.get("title", _("a goal")))
        case ActivityKind.FEEDBACK_RECEIVED:
            rating = detail.get("rating")
            stars = "★" * rating if isinstance(rating, int) and 1 <= rating <= 5 else "?"
            return _("rated {stars} by {who}").format(stars=stars, who=_who(activity))
        case ActivityKind.STATUS_CHANGED:
            before, after = _status_word(detail.get("from")), _status_word(detail.get("to", "?"))
            why = " " + _("(console closed)") if detail.get("reason") == "presence" else ""
            if before:
                return _("status {before} → {after}").format(before=before, after=after) + why
            return _("status {after}").format(after=after) + why


def _status_word(value: object) -> str:
    """An agent status from an activity's detail, in the reader's words (as sent if unknown)."""
    if not isinstance(value, str):
        return ""
    try:
        return agent_status(AgentStatus(value))
    except ValueError:
        return value
