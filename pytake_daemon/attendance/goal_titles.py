"""A goal in words ("5 conversations per day"), in the reader's language.

Its own module because both the goals (which store the English title in the "goal reached"
timeline entry) and the agent's metrics (which say this month's achievements to the reader)
word goals, and goals.py already imports agent_metrics.
"""

from __future__ import annotations

from pytake_daemon.i18n import gettext
from pytake_daemon.protocol.agents import GoalKind
from pytake_i18n import N_, format_number

_KINDS = {
    GoalKind.DAILY_CONVERSATIONS: N_("{target} conversations"),
    GoalKind.SATISFACTION: N_("satisfaction {target}+"),
    GoalKind.RESPONSE_TIME: N_("first response under {target}s"),
    GoalKind.EFFICIENCY: N_("resolution rate {target}%+"),
    GoalKind.QUALITY: N_("{target}% good ratings"),
}
_PERIODS = {
    "day": N_("{goal} per day"),
    "week": N_("{goal} per week"),
    "month": N_("{goal} per month"),
}


def title(kind: GoalKind, target: float, period: str, *, language: str | None = None) -> str:
    """The goal in ``language`` (else the language in force), its target with the reader's
    decimal mark: "satisfaction 4.5+ per week" / "satisfação 4,5+ por semana"."""
    number = format_number(target, pattern="#,##0.##", language=language)
    goal = gettext(_KINDS[kind], language=language).format(target=number)
    per = _PERIODS.get(period)
    if per is None:
        return f"{goal} / {period}"
    return gettext(per, language=language).format(goal=goal)
