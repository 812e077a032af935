"""Which language a message is in: py3langid restricted to the configured languages.

Very short texts ("ok", "oi", "👍") carry too little signal for a character model. Below a
length threshold, or when the model is unsure, the message's words that only one language's
sentiment lexicon knows decide ("LMAO, AMAZING!" is English: in a Portuguese tenant it was
scored with the Portuguese lexicon, 0.000); without such words the language is taken, in order,
from the contact (the language of their last reliably detected message, kept across
conversations), the conversation (its last analysed message) and the tenant's default.

Before the model, function words: a message with at least two Portuguese ones ("não", "meu",
"para"…) and no English one, or the reverse, is decided by them. That is most messages, and it
costs a set lookup per word where py3langid costs a quarter of the whole analysis. The lists hold
only words that are not also words of the other language ("a", "no", "do", "me", "as" are in
neither); they were written from the languages, not from the evaluation messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from LeIA import leia
from py3langid.langid import MODEL_FILE, LanguageIdentifier
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from pytake_daemon.ai.text import fold_accents, tokens

MIN_WORDS = 3
"""Messages with fewer words than this are not given to the model (too little to go on)."""
MIN_CONFIDENCE = 0.9
"""Below this normalised probability the model's answer is not taken."""
MIN_FUNCTION_WORDS = 2
"""Function words of one language (and none of the other) that decide without the model."""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Only alphabetic words count (tokens such as "can't" are not words here).
FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "pt": _words(
        """o os da das dos de que não nao um uma uns umas meu minha meus minhas seu sua seus suas
        para pra com sem por pelo pela na nas nos em é está estou tá tô eu você vc vocês vcs
        ele ela isso esse essa este esta aqui ali já ainda quando como porque pq mais muito
        também tambem mas ou se foi ser ter tem tenho queria quero fazer nada nunca ninguém
        hoje amanhã ontem agora obrigado obrigada olá oi bom boa dia tarde noite"""
    ),
    "en": _words(
        """the my is are was were to and of i you it for with not can cannot this that these
        those your our their be been being have has had will would should could what when
        where why how please thanks thank hi hello hey there here just still yet again want
        need got get from about at by on or but if any some anyone someone nobody nothing
        never today tomorrow yesterday now good morning afternoon evening"""
    ),
}


class LanguageSource(StrEnum):
    """How a message's language was chosen (``ai_message_analysis.language_source``)."""

    DETECTED = "detected"
    CONTACT = "contact"
    CONVERSATION = "conversation"
    DEFAULT = "default"


@dataclass(frozen=True)
class LanguageChoice:
    language: str
    source: LanguageSource
    reliable: bool
    """Decided by two function words or the confident model: what the contact's language
    remembers (one lexicon word, such as "thanks" from a Portuguese customer, is not enough)."""


@dataclass(frozen=True)
class Fallbacks:
    """What a message too short to detect takes, in this order."""

    contact: str | None = None
    conversation: str | None = None
    default: str | None = None


@cache
def lexicon_words() -> dict[str, frozenset[str]]:
    """Per language, the alphabetic words of its sentiment lexicon that the other's lacks.

    LeIA was translated from VADER's lexicon and kept about 860 English words untranslated
    ("bonus", "brutal"): those are in both, so they decide nothing. Portuguese words are
    accent-folded, as LeIA stores them.
    """
    english = {w for w in SentimentIntensityAnalyzer().lexicon if w.isalpha()}
    portuguese = {fold_accents(w) for w in leia.SentimentIntensityAnalyzer().lexicon}
    portuguese = {w for w in portuguese if w.isalpha()}
    return {"en": frozenset(english - portuguese), "pt": frozenset(portuguese - english)}


class LanguageDetector:
    def __init__(self, languages: Sequence[str]) -> None:
        self.languages = tuple(languages)
        self._identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._identifier.set_languages(list(self.languages))
        # One set per language, accent-folded: a message's evidence is one intersection each.
        lexicons = lexicon_words()
        self._evidence = {
            language: frozenset(fold_accents(w) for w in FUNCTION_WORDS.get(language, ()))
            | lexicons.get(language, frozenset())
            for language in self.languages
        }

    def detect(self, text: str, *, fallback: str | None = None) -> str:
        """The message's language; ``fallback`` (the conversation's) for short or unsure texts."""
        return self.choose(text, Fallbacks(conversation=fallback)).language

    def choose(self, text: str, fallbacks: Fallbacks) -> LanguageChoice:
        """The message's language and how it was chosen (see the module's docstring)."""
        words = [t for t in tokens(text, "") if t.isalpha()]
        by_words = self._by_function_words(words)
        if by_words is not None:
            return LanguageChoice(by_words, LanguageSource.DETECTED, reliable=True)
        unsure: str | None = None
        if len(words) >= MIN_WORDS:
            language, confidence = self._identifier.classify(text)
            if confidence >= MIN_CONFIDENCE:
                return LanguageChoice(str(language), LanguageSource.DETECTED, reliable=True)
            unsure = str(language)
        by_lexicon = self._by_one_sided_evidence(words)
        if by_lexicon is not None:
            return LanguageChoice(by_lexicon, LanguageSource.DETECTED, reliable=False)
        for source, language in (
            (LanguageSource.CONTACT, fallbacks.contact),
            (LanguageSource.CONVERSATION, fallbacks.conversation),
            (LanguageSource.DEFAULT, fallbacks.default),
        ):
            if language in self.languages:
                return LanguageChoice(str(language), source, reliable=False)
        # Nothing to fall back on (`pytake ai analyze` without --language): the model's guess.
        if unsure is None and words:
            unsure = str(self._identifier.classify(text)[0])
        return LanguageChoice(unsure or self.languages[0], LanguageSource.DETECTED, reliable=False)

    def _by_function_words(self, words: Sequence[str]) -> str | None:
        hits = {
            language: sum(w in FUNCTION_WORDS.get(language, ()) for w in words)
            for language in self.languages
        }
        decided = [language for language, n in hits.items() if n >= MIN_FUNCTION_WORDS]
        if len(decided) == 1 and sum(hits.values()) == hits[decided[0]]:
            return decided[0]
        return None

    def _by_one_sided_evidence(self, words: Sequence[str]) -> str | None:
        """The one language with function or lexicon words in the message, if only one has."""
        folded = {fold_accents(w) for w in words}
        evidence = [lang for lang, known in self._evidence.items() if not known.isdisjoint(folded)]
        return evidence[0] if len(evidence) == 1 else None
