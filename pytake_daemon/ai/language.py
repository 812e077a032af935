"""Which language a message is in: py3langid restricted to the configured languages.

Very short texts ("ok", "oi", "👍") carry too little signal for a character model, so below a
length threshold, or when the model is unsure, the conversation's language (the one its earlier
messages had) is used instead.

Before the model, function words: a message with at least two Portuguese ones ("não", "meu",
"para"…) and no English one, or the reverse, is decided by them. That is most messages, and it
costs a set lookup per word where py3langid costs a quarter of the whole analysis. The lists hold
only words that are not also words of the other language ("a", "no", "do", "me", "as" are in
neither); they were written from the languages, not from the evaluation messages.
"""

from __future__ import annotations

from collections.abc import Sequence

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from pytake_daemon.ai.text import tokens

MIN_WORDS = 3
"""Messages with fewer words than this take the conversation's language when it is known."""
MIN_CONFIDENCE = 0.9
"""Below this normalised probability the conversation's language wins."""
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


class LanguageDetector:
    def __init__(self, languages: Sequence[str]) -> None:
        self.languages = tuple(languages)
        self._identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._identifier.set_languages(list(self.languages))

    def detect(self, text: str, *, fallback: str | None = None) -> str:
        """The message's language; ``fallback`` (the conversation's) for short or unsure texts."""
        default = fallback if fallback in self.languages else None
        words = [t for t in tokens(text, "") if t.isalpha()]
        if not words:
            return default or self.languages[0]
        if default is not None and len(words) < MIN_WORDS:
            return default  # decided without the model, which costs more than the rest
        by_words = self._by_function_words(words)
        if by_words is not None:
            return by_words
        language, confidence = self._identifier.classify(text)
        if default is not None and confidence < MIN_CONFIDENCE:
            return default
        return str(language)

    def _by_function_words(self, words: Sequence[str]) -> str | None:
        hits = {
            language: sum(w in FUNCTION_WORDS.get(language, ()) for w in words)
            for language in self.languages
        }
        decided = [language for language, n in hits.items() if n >= MIN_FUNCTION_WORDS]
        if len(decided) == 1 and sum(hits.values()) == hits[decided[0]]:
            return decided[0]
        return None
