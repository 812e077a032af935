"""Sentiment of one message: VADER for English, :class:`PortugueseSentiment` for Portuguese."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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
# These entries are added to our VADER instance only (plain VADER is the evaluation baseline).
ENGLISH_SERVICE_LEXICON: dict[str, float] = {
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
    "crashing": -1.5,
    "crashes": -1.5,
    "unpaid": -1.2,
    "vanished": -1.5,
    "late": -1.0,
    "declined": -1.2,
    "dropping": -1.0,
    "down": -0.8,
    "please": 0.0,
    "support": 0.0,
    "help": 0.0,
    "want": 0.0,
    "free": 0.0,
}


class SentimentScorer:
    """Compound score in -1..1 per language. Read-only after construction, so threads share it."""

    def __init__(self) -> None:
        self._english = SentimentIntensityAnalyzer()
        self._english.lexicon.update(ENGLISH_SERVICE_LEXICON)
        self._portuguese = PortugueseSentiment()

    def score(self, text: str, language: str) -> float:
        if language == "pt":
            return self._portuguese.score(text)
        return float(self._english.polarity_scores(text)["compound"])
