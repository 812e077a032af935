"""Which alert rules one analysed message fires (the time-based human-request rule lives in
:mod:`.service`, run by a delayed job)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pytake_daemon.ai.analyzer import Analysis
from pytake_daemon.ai.sentiment import SentimentLabel
from pytake_daemon.protocol.ai import AiSettingsOut, AlertRule

ESCALATING_INTENTS = frozenset({"cancel", "complaint"})


@dataclass(frozen=True)
class Fired:
    rule: AlertRule
    detail: str


def fired_rules(
    analysis: Analysis,
    *,
    recent_scores: Sequence[float],
    waiting_minutes: float,
    settings: AiSettingsOut,
) -> list[Fired]:
    """The enabled rules this message fires; ``recent_scores`` ends with this message's score."""
    fired: list[Fired] = []
    if analysis.sentiment <= settings.strongly_negative:
        fired.append(Fired(AlertRule.STRONGLY_NEGATIVE, f"sentiment {analysis.sentiment:+.2f}"))
    window = list(recent_scores[-settings.trend_messages :])
    if len(window) >= settings.trend_messages:
        drop = max(window[:-1]) - window[-1]
        if drop >= settings.trend_drop and window[-1] < 0:
            fired.append(
                Fired(
                    AlertRule.WORSENING_TREND,
                    f"sentiment fell by {drop:.2f} over the last {len(window)} messages",
                )
            )
    if analysis.intent in ESCALATING_INTENTS:
        fired.append(Fired(AlertRule.CANCEL_OR_COMPLAINT, f"intent {analysis.intent}"))
    if analysis.label is SentimentLabel.NEGATIVE and waiting_minutes >= settings.long_wait_minutes:
        fired.append(
            Fired(
                AlertRule.LONG_WAIT_NEGATIVE,
                f"negative after waiting {waiting_minutes:.0f} min for an answer",
            )
        )
    enabled = set(settings.alert_rules)
    return [f for f in fired if f.rule in enabled]
