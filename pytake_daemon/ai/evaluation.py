"""`pytake ai eval`: accuracy and macro-F1 per language and task, next to the baselines.

Baselines: plain LeIA for Portuguese sentiment, plain VADER for English (which is also our model
for English, so the two rows match by construction), keyword matching for intents.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from LeIA import leia
from sklearn.metrics import accuracy_score, f1_score
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from pytake_daemon.ai.datasets import LANGUAGES, LabelledMessage, Split, evaluation_part
from pytake_daemon.ai.intents import (
    BUILTIN_KEYWORDS,
    UNKNOWN,
    IntentModel,
    KeywordMatcher,
)
from pytake_daemon.ai.sentiment import LabelThresholds, SentimentScorer
from pytake_daemon.ai.text import normalise


@dataclass(frozen=True)
class Score:
    accuracy: float
    macro_f1: float


@dataclass(frozen=True)
class EvaluationRow:
    language: str
    task: str
    messages: int
    model: Score
    baseline_name: str
    baseline: Score


def score(truth: Sequence[str], predicted: Sequence[str]) -> Score:
    labels = sorted(set(truth))
    return Score(
        accuracy=float(accuracy_score(truth, predicted)),
        macro_f1=float(
            f1_score(truth, predicted, labels=labels, average="macro", zero_division=0.0)
        ),
    )


def _sentiment_baseline(language: str) -> tuple[str, Callable[[str], float]]:
    if language == "pt":
        leia_analyzer = leia.SentimentIntensityAnalyzer()
        return "plain LeIA", lambda t: float(leia_analyzer.polarity_scores(t)["compound"])
    vader = SentimentIntensityAnalyzer()
    return "plain VADER", lambda t: float(vader.polarity_scores(t)["compound"])


def evaluate(
    model: IntentModel,
    scorer: SentimentScorer,
    *,
    split: Split = Split.HELDOUT,
    thresholds: LabelThresholds | None = None,
    intent_threshold: float = 0.0,
) -> list[EvaluationRow]:
    """Sentiment and intent rows for every language, on one part of the evaluation sets."""
    cut = thresholds or LabelThresholds()
    rows: list[EvaluationRow] = []
    for language in LANGUAGES:
        messages: list[LabelledMessage] = evaluation_part(language, split)
        truth = [m.sentiment for m in messages]
        ours = [cut.label(scorer.score(m.text, language)).value for m in messages]
        name, baseline = _sentiment_baseline(language)
        theirs = [cut.label(baseline(m.text)).value for m in messages]
        rows.append(
            EvaluationRow(
                language, "sentiment", len(messages), score(truth, ours), name, score(truth, theirs)
            )
        )
        truth = [m.intent for m in messages]
        ours = [
            model.predict(m.text, language, threshold=intent_threshold).intent for m in messages
        ]
        keywords = KeywordMatcher(BUILTIN_KEYWORDS)
        theirs = [keywords.match(normalise(m.text, language)) or UNKNOWN for m in messages]
        rows.append(
            EvaluationRow(
                language,
                "intent",
                len(messages),
                score(truth, ours),
                "keywords",
                score(truth, theirs),
            )
        )
    return rows
