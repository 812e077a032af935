"""`pytake ai eval`: accuracy and macro-F1 per language and task, next to the baselines; the
English scorer against plain VADER on a public human-rated corpus; the language of short texts.

Baselines: plain LeIA for Portuguese sentiment, plain VADER for English (our English scorer is
VADER with a customer-service layer: a few service words, negated actions, requests, idioms and
stretched words, ``sentiment.py``; so the two rows differ), keyword matching for intents, and for
languages the rule before issue #23 (fewer than three words took the conversation's language, or
the tenant's default on a first message).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from LeIA import leia
from sklearn.metrics import accuracy_score, f1_score
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from pytake_daemon.ai.datasets import (
    LANGUAGES,
    PUBLIC_ENGLISH,
    LabelledMessage,
    Split,
    evaluation_part,
    public_english_part,
)
from pytake_daemon.ai.intents import (
    BUILTIN_KEYWORDS,
    UNKNOWN,
    IntentModel,
    KeywordMatcher,
)
from pytake_daemon.ai.language import MIN_WORDS, Fallbacks, LanguageDetector
from pytake_daemon.ai.paired_tests import NonInferiority, non_inferiority
from pytake_daemon.ai.sentiment import LabelThresholds, SentimentLabel, SentimentScorer
from pytake_daemon.ai.text import normalise, tokens


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


@dataclass(frozen=True)
class RatedScore:
    pearson: float
    """Correlation of the compound scores with the human mean ratings."""
    agreement: float
    """Share of texts whose label (VADER's ±0.05 cut-offs) has the sign of the human mean, a
    neutral label agreeing with a mean of exactly 0 (3-way agreement)."""


@dataclass(frozen=True)
class PublicRow:
    corpus: str
    part: Split
    messages: int
    model: RatedScore
    baseline_name: str
    baseline: RatedScore
    only_model: int
    """Texts whose 3-way label only our scorer gets right."""
    only_baseline: int
    """Texts whose 3-way label only the baseline gets right: with ``only_model``, the
    discordant pairs a paired (McNemar) test of the agreement difference counts."""
    comparison: NonInferiority
    """Whether ours is not below the baseline on this part, by paired tests."""


def _rated_labels(ratings: Sequence[float]) -> list[SentimentLabel]:
    return [
        SentimentLabel.POSITIVE
        if r > 0
        else SentimentLabel.NEGATIVE
        if r < 0
        else SentimentLabel.NEUTRAL
        for r in ratings
    ]


def _agrees(ratings: Sequence[float], scores: Sequence[float], cut: LabelThresholds) -> list[bool]:
    return [cut.label(s) is t for s, t in zip(scores, _rated_labels(ratings), strict=True)]


def rated_score(
    ratings: Sequence[float], scores: Sequence[float], cut: LabelThresholds
) -> RatedScore:
    return RatedScore(
        pearson=float(np.corrcoef(ratings, scores)[0, 1]),
        agreement=sum(_agrees(ratings, scores, cut)) / len(ratings),
    )


def evaluate_public_english(
    scorer: SentimentScorer,
    *,
    split: Split = Split.HELDOUT,
    thresholds: LabelThresholds | None = None,
) -> PublicRow:
    """Our English scorer and plain VADER against the human ratings of the public corpus."""
    cut = thresholds or LabelThresholds()
    texts = public_english_part(split)
    ratings = [t.rating for t in texts]
    _, vader = _sentiment_baseline("en")
    ours = [scorer.score(t.text, "en") for t in texts]
    theirs = [vader(t.text) for t in texts]
    pairs = list(zip(_agrees(ratings, ours, cut), _agrees(ratings, theirs, cut), strict=True))
    only_model = sum(a and not b for a, b in pairs)
    only_baseline = sum(b and not a for a, b in pairs)
    return PublicRow(
        corpus=PUBLIC_ENGLISH,
        part=split,
        messages=len(texts),
        model=rated_score(ratings, ours, cut),
        baseline_name="plain VADER",
        baseline=rated_score(ratings, theirs, cut),
        only_model=only_model,
        only_baseline=only_baseline,
        comparison=non_inferiority(
            ratings, ours, theirs, only_model=only_model, only_baseline=only_baseline
        ),
    )


@dataclass(frozen=True)
class LanguageRow:
    texts: str
    language: str
    messages: int
    first_message: float
    """Right when it is the contact's first message and the tenant's default is the other
    language (the case of "LMAO, AMAZING!" in a Portuguese tenant)."""
    remembered: float
    """Right when the contact's earlier messages were in their language and the conversation's
    and the tenant's are the other one."""
    before: float
    """The rule before issue #23, on a first message (it had no contact's language)."""


def evaluate_languages(*, split: Split = Split.HELDOUT) -> list[LanguageRow]:
    """Language accuracy on the evaluation sets and the public tweets, all and short texts."""
    detector = LanguageDetector(LANGUAGES)
    sets = [(PUBLIC_ENGLISH, "en", [t.text for t in public_english_part(split)])]
    sets += [
        (f"eval {lang}", lang, [m.text for m in evaluation_part(lang, split)]) for lang in LANGUAGES
    ]
    short = [
        (lang, text)
        for _, lang, texts in sets
        for text in texts
        if sum(w.isalpha() for w in tokens(text, "")) < MIN_WORDS
    ]
    rows = [_language_row(detector, name, [(lang, t) for t in texts]) for name, lang, texts in sets]
    rows.append(_language_row(detector, f"short (< {MIN_WORDS} words)", short))
    return rows


def _language_row(
    detector: LanguageDetector, name: str, texts: Sequence[tuple[str, str]]
) -> LanguageRow:
    first = remembered = before = 0
    for language, text in texts:
        other = next(lang for lang in LANGUAGES if lang != language)
        first += detector.choose(text, Fallbacks(default=other)).language == language
        remembered += detector.choose(text, Fallbacks(language, other, other)).language == language
        before += _detect_before_23(detector, text, other) == language
    languages = {lang for lang, _ in texts}
    n = max(len(texts), 1)
    return LanguageRow(
        name, "/".join(sorted(languages)), len(texts), first / n, remembered / n, before / n
    )


def _detect_before_23(detector: LanguageDetector, text: str, fallback: str) -> str:
    """The baseline: the detection as it was before issue #23, with the conversation's language
    or the tenant's default as ``fallback``."""
    words = [t for t in tokens(text, "") if t.isalpha()]
    if len(words) < MIN_WORDS:
        return fallback
    by_words = detector._by_function_words(words)
    if by_words is not None:
        return by_words
    language, confidence = detector._identifier.classify(text)
    return fallback if confidence < 0.9 else str(language)
