"""The wording of the insights screen: periods, score bars and labels (no Textual)."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from pytake_daemon.protocol.ai import AlertRule, LabelCounts
from pytake_i18n import format_percent
from pytake_tui.i18n import N_, _, ngettext, pgettext

PERIODS = (1, 7, 30, 90)
"""The periods the screen cycles through, in days (the API allows 1 to 90)."""
DEFAULT_PERIOD = 7

BAR_WIDTH = 20
"""Cells of the longest bar in a table column."""

RULE_TITLES: dict[str, str] = {
    AlertRule.STRONGLY_NEGATIVE.value: N_("strongly negative"),
    AlertRule.WORSENING_TREND.value: N_("worsening trend"),
    AlertRule.CANCEL_OR_COMPLAINT.value: N_("cancel or complaint"),
    AlertRule.LONG_WAIT_NEGATIVE.value: N_("negative after a long wait"),
    AlertRule.HUMAN_REQUEST_IGNORED.value: N_("asked for a human, no answer"),
}
"""``N_`` msgids, translated where shown."""

LABEL_STYLES = {"positive": "green", "neutral": "yellow", "negative": "red"}


def next_period(days: int) -> int:
    """The period after ``days`` in :data:`PERIODS` (wrapping; an unknown one restarts)."""
    if days not in PERIODS:
        return PERIODS[0]
    return PERIODS[(PERIODS.index(days) + 1) % len(PERIODS)]


def period_label(days: int) -> str:
    if days == 1:
        return _("today and yesterday")
    return ngettext("last {n} day", "last {n} days", days).format(n=days)


def tick_positions(count: int, most: int = 4) -> list[int]:
    """Which of ``count`` days get a label under a chart: evenly spaced, the last one always."""
    if count <= most:
        return list(range(count))
    step = -(-(count - 1) // (most - 1))  # ceil: at most ``most`` labels
    ticks = list(range(0, count - 1, step))
    return [*ticks, count - 1] if count - 1 - ticks[-1] >= step / 2 else [*ticks[:-1], count - 1]


def bar(value: int, largest: int, width: int = BAR_WIDTH) -> str:
    """``█`` cells proportional to ``value`` (at least one for any non-zero value)."""
    if largest <= 0 or value <= 0:
        return ""
    return "█" * max(1, round(width * value / largest))


def score_text(score: float) -> Text:
    """A signed score, coloured by the label it would get (VADER's ±0.05 cut-offs)."""
    style = "green" if score >= 0.05 else "red" if score <= -0.05 else "yellow"
    return Text(f"{score:+.2f}", style=style)


def distribution(counts: LabelCounts, width: int = 40) -> Text:
    """One line: a bar split by label, then the counts and shares."""
    total = counts.positive + counts.neutral + counts.negative
    if total == 0:
        return Text(_("No analysed customer messages in this period."), style="dim")
    line = Text()
    parts = (
        ("positive", counts.positive),
        ("neutral", counts.neutral),
        ("negative", counts.negative),
    )
    cells = [round(width * n / total) for _label, n in parts]
    for (label, _count), n in zip(parts, cells, strict=True):
        line.append("█" * n, style=LABEL_STYLES[label])
    words = {
        "positive": pgettext("mood", "positive"),
        "neutral": pgettext("mood", "neutral"),
        "negative": pgettext("mood", "negative"),
    }
    for label, n in parts:
        share = format_percent(n / total)
        line.append(f"  {words[label]} {n} ({share})", style=LABEL_STYLES[label])
    return line


def since_text(at: datetime, now: datetime) -> str:
    """``09:21`` today, ``13 Mar`` before (in local time, like the chat list)."""
    local, today = at.astimezone(), now.astimezone()
    return local.strftime("%H:%M") if local.date() == today.date() else local.strftime("%d %b")
