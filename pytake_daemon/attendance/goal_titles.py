"""A goal in words ("5 conversations per day"), in the reader's language.

Its own module because both the goals (which store the English title in the "goal reached"
timeline entry) and the agent's metrics (which say this month's achievements to the reader)
word goals, and goals.py already imports agent_metrics.
"""

from __future__ import annotations

from pytake_daemon.i18n import gettext, ngettext
from pytake_daemon.protocol.agents import GoalKind
from pytake_i18n import N_, format_number

_KINDS = {
    GoalKind.SATISFACTION: N_("satisfaction {target}+"),
    GoalKind.RESPONSE_TIME: N_("first response under {target}s"),
    GoalKind.EFFICIENCY: N_("resolution rate {target}%+"),
    # The percent sign travels with the number: "% g" in a msgid reads as a printf conversion
    # to the catalog's checker, which then refuses any translation ("% de boas…").
    GoalKind.QUALITY: N_("{target} good ratings"),
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
    if kind is GoalKind.DAILY_CONVERSATIONS:
        # A count takes the plural form its number asks for ("1 conversation"); a fractional
        # target reads as the plural, as CLDR's "other" category says.
        count = int(target) if float(target).is_integer() else 2
        worded = ngettext(
            "{target} conversation", "{target} conversations", count, language=language
        )
    else:
        worded = gettext(_KINDS[kind], language=language)
        if kind is GoalKind.QUALITY:
            number = f"{number}%"
    goal = worded.format(target=number)
    per = _PERIODS.get(period)
    if per is None:
        return f"{goal} / {period}"
    return gettext(per, language=language).format(goal=goal)
