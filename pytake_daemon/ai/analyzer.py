"""Language + sentiment + intent of one message: the CPU-bound part, run in a worker thread.

Everything here is read-only once built, so one :class:`Analyzer` serves every thread.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from pytake_daemon.ai import model_cache
from pytake_daemon.ai.datasets import LANGUAGES, builtin_examples
from pytake_daemon.ai.intents import IntentModel, TrainingExample
from pytake_daemon.ai.language import (
    Fallbacks,
    LanguageChoice,
    LanguageDetector,
    LanguageSource,
)
from pytake_daemon.ai.sentiment import LabelThresholds, SentimentLabel, SentimentScorer


@dataclass(frozen=True)
class Analysis:
    language: str
    sentiment: float
    label: SentimentLabel
    intent: str
    confidence: float
    language_source: LanguageSource = LanguageSource.DETECTED
    language_reliable: bool = False
    """Whether the contact's remembered language should become this one."""


@dataclass(frozen=True)
class CustomIntentSpec:
    """A tenant's intent as the trainer needs it (hashable: models are cached by these)."""

    name: str
    examples: tuple[str, ...]
    keywords: tuple[str, ...]


class Analyzer:
    def __init__(self, thresholds: LabelThresholds | None = None) -> None:
        self.scorer = SentimentScorer()
        self.thresholds = thresholds or LabelThresholds()
        self._builtin: IntentModel | None = None
        self._builtin_lock = threading.Lock()

    def language(self, text: str, languages: Sequence[str], fallback: str | None) -> str:
        return self.choose_language(text, languages, Fallbacks(conversation=fallback)).language

    def choose_language(
        self, text: str, languages: Sequence[str], fallbacks: Fallbacks
    ) -> LanguageChoice:
        if len(languages) == 1:
            # Nothing to detect; not remembered, so adding a language later starts afresh.
            return LanguageChoice(languages[0], LanguageSource.DEFAULT, reliable=False)
        return _detector(tuple(languages)).choose(text, fallbacks)

    def analyse(
        self,
        text: str,
        *,
        model: IntentModel,
        languages: Sequence[str] = LANGUAGES,
        fallback: str | None = None,
        contact_language: str | None = None,
        default_language: str | None = None,
        intent_threshold: float = 0.3,
    ) -> Analysis:
        """``fallback`` is the conversation's language; a text too short to detect takes the
        contact's, then it, then ``default_language``."""
        choice = self.choose_language(
            text, languages, Fallbacks(contact_language, fallback, default_language)
        )
        language = choice.language
        score = self.scorer.score(text, language)
        prediction = model.predict(text, language, threshold=intent_threshold)
        return Analysis(
            language=language,
            sentiment=score,
            label=self.thresholds.label(score),
            intent=prediction.intent,
            confidence=prediction.confidence,
            language_source=choice.source,
            language_reliable=choice.reliable,
        )

    def train(self, custom: Sequence[CustomIntentSpec] = ()) -> IntentModel:
        """Built-in intents plus a tenant's own (CPU-bound: seconds at most, in a thread)."""
        if not custom:
            # The built-in model is the same for every tenant without custom intents.
            with self._builtin_lock:
                if self._builtin is None:
                    self._builtin = self._fit(())
                return self._builtin
        return self._fit(custom)

    def _fit(self, custom: Sequence[CustomIntentSpec]) -> IntentModel:
        examples = [TrainingExample(e.text, e.language, e.intent) for e in builtin_examples()]
        for intent in custom:
            examples.extend(
                TrainingExample(text, self.language(text, LANGUAGES, None), intent.name)
                for text in (*intent.examples, *intent.keywords)
            )
        keywords = {i.name: i.keywords for i in custom if i.keywords}
        return model_cache.trained(examples, keywords or None)


@cache
def shared_analyzer() -> Analyzer:
    """One analyser per process: it is read-only, and building it loads lexicons and models
    (also the language detector of the default languages, ≈ 1 s, which was otherwise loaded by
    the first customer message after a start)."""
    _detector(tuple(LANGUAGES))
    return Analyzer()


@cache
def _detector(languages: tuple[str, ...]) -> LanguageDetector:
    return LanguageDetector(languages)
