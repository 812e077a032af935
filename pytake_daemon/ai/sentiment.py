"""Sentiment of one message: VADER for English, :class:`PortugueseSentiment` for Portuguese."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from pytake_daemon.ai.sentiment_pt import PortugueseSentiment


class SentimentLabel(StrEnum):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


@dataclass(frozen=True)
class LabelThresholds:
    """VADER's recommended cut-offs on the compound score."""

    positive: float = 0.05
    negative: float = -0.05

    def label(self, score: float) -> SentimentLabel:
        if score >= self.positive:
            return SentimentLabel.POSITIVE
        if score <= self.negative:
            return SentimentLabel.NEGATIVE
        return SentimentLabel.NEUTRAL


# VADER's lexicon is for social media; in a service conversation a negated action is the
# complaint ("can't log in", "never came", "won't open") and some courtesy words carry nothing.
# Plain VADER is the evaluation baseline, so these change our instance only.
ENGLISH_SERVICE_LEXICON: dict[str, float] = {
    "crashing": -1.5,
    "crashes": -1.5,
    "unpaid": -1.2,
    "vanished": -1.5,
    "late": -1.0,
    "declined": -1.2,
    "dropping": -1.0,
    "down": -0.8,
    "support": 0.0,
    "want": 0.0,
}
NEGATED_ACTIONS: dict[str, float] = {
    "can't": -1.0,
    "cannot": -1.0,
    "couldn't": -1.0,
    "won't": -1.0,
    "never": -1.0,
    "nobody": -1.2,
    "nothing": -1.0,
    "hasn't": -0.8,
    "haven't": -0.8,
    "didn't": -0.8,
    "doesn't": -0.8,
    "not": -0.8,
}
"""What a negator says by itself when it negates no sentiment word ("can't log in", "never
came"). They are not lexicon entries: VADER negates a word only when the word before it is not
in its lexicon, so as entries they stopped "not good" or "doesn't work well" from being negated
(the English scorer lost to plain VADER on its own human-rated tweets that way). The same rule
as the Portuguese scorer's negators (``sentiment_pt.NEGATOR_VALENCE``)."""
NEGATION_SCOPE = 3
"""Words after a negator that VADER's negation reaches (its ``_negation_check``)."""


class _ServiceVader(SentimentIntensityAnalyzer):  # type: ignore[misc]
    """VADER with the service lexicon and the negated-action rule; read-only after ``__init__``."""

    def __init__(self) -> None:
        super().__init__()
        self.lexicon.update(ENGLISH_SERVICE_LEXICON)

    def sentiment_valence(
        self, valence: float, sentitext: Any, item: str, i: int, sentiments: list[float]
    ) -> list[float]:
        own = NEGATED_ACTIONS.get(item.lower())
        if own is None:
            return cast(
                "list[float]", super().sentiment_valence(valence, sentitext, item, i, sentiments)
            )
        words: list[str] = sentitext.words_and_emoticons
        scope = words[i + 1 : i + 1 + NEGATION_SCOPE]
        # A negated sentiment word is VADER's business ("not good" flips); only a negator with
        # nothing to flip carries the complaint.
        negates_something = any(w.lower() in self.lexicon for w in scope)
        sentiments.append(0.0 if negates_something else own)
        return sentiments


class SentimentScorer:
    """Compound score in -1..1 per language. Read-only after construction, so threads share it."""

    def __init__(self) -> None:
        self._english = _ServiceVader()
        self._portuguese = PortugueseSentiment()

    def score(self, text: str, language: str) -> float:
        if language == "pt":
            return self._portuguese.score(text)
        return float(self._english.polarity_scores(text)["compound"])
