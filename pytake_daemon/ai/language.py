"""Which language a message is in: py3langid restricted to the configured languages.

Very short texts ("ok", "oi", "👍") carry too little signal for a character model, so below a
length threshold, or when the model is unsure, the conversation's language (the one its earlier
messages had) is used instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from pytake_daemon.ai.text import tokens

MIN_WORDS = 3
"""Messages with fewer words than this take the conversation's language when it is known."""
MIN_CONFIDENCE = 0.9
"""Below this normalised probability the conversation's language wins."""


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
        language, confidence = self._identifier.classify(text)
        if default is not None and (len(words) < MIN_WORDS or confidence < MIN_CONFIDENCE):
            return default
        return str(language)
