"""Sentiment of one message: VADER with a customer-service layer for English (not below plain
VADER on the VADER paper's 4,200 human-rated tweets, and not below it on their held-out part by
a non-inferiority test, ``paired_tests.py``: docs/ai.md, "English on a public corpus"), and
:class:`PortugueseSentiment` for Portuguese."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    N_SCALAR,
    NEGATE,
    SentimentIntensityAnalyzer,
)

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
}
_AUXILIARY_NEGATORS = {w: -0.8 for w in NEGATE if w.endswith("n't") or f"{w[:-2]}n't" in NEGATE}
"""VADER's own negated auxiliaries ("don't", "isn't", "wasn't", "wouldn't"…, with and without the
apostrophe): they negate as much as "didn't" does. Before issue #23's third session only some of
them were negated actions, so "it isn't working" was a complaint only when spelled "doesn't
work"."""
NEGATED_ACTIONS: dict[str, float] = {
    **_AUXILIARY_NEGATORS,
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
    # as typed without the apostrophe (VADER's own negators include these spellings)
    "cant": -1.0,
    "wont": -1.0,
    "couldnt": -1.0,
    "hasnt": -0.8,
    "havent": -0.8,
    "didnt": -0.8,
    "doesnt": -0.8,
}
"""What a negator says by itself when it negates no sentiment word ("can't log in", "never
came"). They are not lexicon entries: VADER negates a word only when the word before it is not
in its lexicon, so as entries they stopped "not good" or "doesn't work well" from being negated
(the English scorer lost to plain VADER on its own human-rated tweets that way). The same rule
as the Portuguese scorer's negators (``sentiment_pt.NEGATOR_VALENCE``)."""
REQUEST_BEFORE = {"want": frozenset({"to"}), "help": frozenset({"me", "us", "with"})}
REQUEST_AFTER = {"help": frozenset({"need", "needs", "needed", "please", "pls", "plz"})}
"""Where "want" (+0.3) and "help" (+1.7) ask for something ("I want to cancel", "I need help with
the configuration") and so carry nothing; elsewhere they keep VADER's valence ("I want that
phone", "thanks for the help"). As plain zeros in the lexicon they cost general English."""
_MIND_NEGATORS = ("don't", "dont", "didn't", "didnt", "doesn't", "doesnt", "wouldn't", "wouldnt")
IDIOMS_AFTER_NEGATOR: dict[tuple[str, str], str | None] = {
    **{(n, "wait"): "eager" for n in ("can't", "cannot", "cant", "couldn't", "couldnt")},
    **{(n, "mind"): None for n in ("never", *_MIND_NEGATORS)},
}
"""English idioms a negator opens, written from the language (not from any corpus's errors):
"can't wait" is eagerness, scored as VADER's "eager"; "never mind", "don't mind", "wouldn't mind"
carry nothing (consent, not a complaint). As negated actions they were complaints ("Can't wait
to get it!" scored -0.25)."""
FOCUS_AFTER_NEGATOR = frozenset({"only", "just", "merely", "simply", "exactly", "necessarily"})
"""Focusing and hedging adverbs: after them the negator negates the focus or hedges a claim
("not only X but Y", "not exactly the same day", "isn't necessarily bad"), it denies no action,
so it is no complaint by itself (a sentiment word in its scope is still VADER's to flip)."""
IMPATIENT_AFTER_WAIT = frozenset({"any", "anymore", "longer", "forever", "much"})
"""What follows an impatient "can't wait": "can't wait any longer" is the complaint (our English
tune part has it). Listed this way round because VADER's tokens drop punctuation ("can't wait.
no more…")."""
COULD_NOT = frozenset({"couldn't", "couldnt", "can't", "cant", "cannot"})
"""Negators of "couldn't be happier" / "can't be worse": a comparative after them and "be" is
the extreme, not its opposite (VADER scores "I couldn't be happier" -0.42)."""
NEGATION_SCOPE = 3
"""Words after a negator that VADER's negation reaches (its ``_negation_check``)."""
_REPEATED = re.compile(r"([^\W\d_])\1{2,}")
_ELONGATED = re.compile(r"[^\W\d_]*([^\W\d_])\1{2,}[^\W\d_]*")
"""A word with a letter three times or more in a row: VADER's lexicon doesn't know "loooove"."""


_RULED = frozenset(NEGATED_ACTIONS) | frozenset(REQUEST_BEFORE) | frozenset(REQUEST_AFTER)
"""The words :meth:`_ServiceVader.sentiment_valence` treats itself."""


def _is_request(words: list[str], i: int) -> bool:
    word = words[i].lower()
    after = REQUEST_BEFORE.get(word, frozenset())
    before = REQUEST_AFTER.get(word, frozenset())
    return bool(
        (i + 1 < len(words) and words[i + 1].lower() in after)
        or (i > 0 and words[i - 1].lower() in before)
    )


def _could_not_be_comparative(words: list[str], i: int) -> bool:
    """ "couldn't be happier", "could not be better", "can't be worse" (``words[i]`` the
    comparative, two words after the negator)."""
    word = words[i].lower()
    if words[i - 1].lower() != "be" or not (word.endswith("er") or word == "worse"):
        return False
    negator = words[i - 2].lower()
    return negator in COULD_NOT or (
        negator == "not" and i > 2 and words[i - 3].lower() in ("could", "can")
    )


_NEGATORS = frozenset(NEGATE)
_SO_THIS = ("so", "this")


def _negates(word: str) -> bool:
    """VADER's ``negated([word])`` for one lower-cased word."""
    return word in _NEGATORS or "n't" in word


def _vader_negation_check(valence: float, words: list[str], start_i: int, i: int) -> float:
    """VADER 3.3.2's ``_negation_check``, the same result (a test compares the two on every
    text of the public tweets): VADER lower-cases the whole text and copies its list of
    negators for each of the three words before every sentiment word; this lowers the one to
    three words it reads."""
    if start_i == 0:
        return valence * N_SCALAR if _negates(words[i - 1].lower()) else valence
    before = words[i - 1].lower()
    two = words[i - 2].lower()
    if start_i == 1:
        if two == "never" and before in _SO_THIS:
            return valence * 1.25
        if two == "without" and before == "doubt":
            return valence
        return valence * N_SCALAR if _negates(two) else valence
    three = words[i - 3].lower()
    # VADER's precedence: (never and (so or this)) or (so or this just before the word)
    if (three == "never" and two in _SO_THIS) or before in _SO_THIS:
        return valence * 1.25
    if three == "without" and (two == "doubt" or before == "doubt"):
        return valence
    return valence * N_SCALAR if _negates(three) else valence


# vaderSentiment ships no types: subclassing its Any-typed class is what mypy flags here.
class _ServiceVader(SentimentIntensityAnalyzer):  # type: ignore[misc]
    """VADER with the service lexicon and the negated-action rule; read-only after ``__init__``."""

    def __init__(self) -> None:
        super().__init__()
        self.lexicon.update(ENGLISH_SERVICE_LEXICON)
        # Bound once: this runs for every word of every English message.
        self._vader_valence: Callable[[float, Any, str, int, list[float]], list[float]] = (
            super().sentiment_valence
        )

    def polarity_scores(self, text: str) -> dict[str, float]:
        # iOS keyboards type a right single quotation mark in "can't": VADER's negators are
        # spelled with a straight apostrophe.
        if "\u2019" in text:
            text = text.replace("\u2019", "'")
        # The plain pattern first: the word pattern backtracks, and most texts stretch nothing.
        if _REPEATED.search(text):
            text = _ELONGATED.sub(self._unstretch, text)
        return cast("dict[str, float]", super().polarity_scores(text))

    def _unstretch(self, match: re.Match[str]) -> str:
        """ "loooove" → "love", "sooo" → "so", "cooool" → "cool": a stretched word is looked up
        with its repeated letters kept twice, then once; unknown either way, it stays."""
        word = match.group(0)
        for repl in (r"\1\1", r"\1"):
            short = _REPEATED.sub(repl, word)
            if short.lower() in self.lexicon or short.lower() in BOOSTER_DICT:
                return short
        return word

    @staticmethod
    def _negation_check(valence: float, words: list[str], start_i: int, i: int) -> float:
        negator = i - (start_i + 1)
        if words[negator].lower() == "never" and "such" in (w.lower() for w in words[negator:i]):
            # "never seen such bad service" emphasises, like VADER's own "never so bad".
            return valence * 1.25
        if start_i == 1 and _could_not_be_comparative(words, i):
            return valence * 1.25
        return _vader_negation_check(valence, words, start_i, i)

    def sentiment_valence(
        self, valence: float, sentitext: Any, item: str, i: int, sentiments: list[float]
    ) -> list[float]:
        lower = item.lower()
        if lower not in _RULED:  # most words: VADER as it is
            return self._vader_valence(valence, sentitext, item, i, sentiments)
        words: list[str] = sentitext.words_and_emoticons
        if _is_request(words, i):
            sentiments.append(0.0)
            return sentiments
        own = NEGATED_ACTIONS.get(lower)
        if own is None:
            return self._vader_valence(valence, sentitext, item, i, sentiments)
        after = words[i + 1].lower() if i + 1 < len(words) else ""
        then = words[i + 2].lower() if i + 2 < len(words) else ""
        if (lower, after) in IDIOMS_AFTER_NEGATOR and (
            after != "wait" or then not in IMPATIENT_AFTER_WAIT
        ):
            idiom = IDIOMS_AFTER_NEGATOR[lower, after]
            sentiments.append(self.lexicon[idiom] if idiom else 0.0)
            return sentiments
        if after in FOCUS_AFTER_NEGATOR:
            sentiments.append(0.0)
            return sentiments
        scope = words[i + 1 : i + 1 + NEGATION_SCOPE]
        # A negated sentiment word is VADER's business ("not good" flips); only a negator with
        # nothing to flip carries the complaint.
        negates_something = any(self.lexicon.get(w.lower()) for w in scope)
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
