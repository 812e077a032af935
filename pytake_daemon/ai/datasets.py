"""The labelled data shipped in ``data/``: intent training examples, the evaluation sets and a
public human-rated English corpus.

Each evaluation message is in the *tune* part or the *held-out* part by a hash of its text, fixed
once and for all: lexicon fixes, rules and thresholds were chosen looking at the tune part only,
and its messages also train the intent classifier; reported figures use the held-out part. The
public corpus (the VADER paper's 4,200 human-rated tweets, ``data/PUBLIC_SOURCES.md``) is split
the same way and never trains anything.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

LANGUAGES = ("pt", "en")


class Split(StrEnum):
    TUNE = "tune"
    HELDOUT = "heldout"
    ALL = "all"


TUNE_SHARE = 102
"""Messages whose SHA-256 starts with a byte below this (40 %) are in the tune part."""


def split_of(text: str) -> Split:
    """The part a text belongs to, by the first byte of its SHA-256."""
    return Split.TUNE if hashlib.sha256(text.encode()).digest()[0] < TUNE_SHARE else Split.HELDOUT


@dataclass(frozen=True)
class LabelledMessage:
    text: str
    language: str
    sentiment: str
    intent: str

    @property
    def split(self) -> Split:
        return split_of(self.text)


@dataclass(frozen=True)
class RatedText:
    """A text of the public corpus and the mean of its human ratings (-4..+4)."""

    text: str
    rating: float

    @property
    def split(self) -> Split:
        return split_of(self.text)


PUBLIC_ENGLISH = "VADER tweets"
"""The public English corpus's name in `pytake ai eval` (Hutto & Gilbert 2014)."""


@cache
def public_english() -> tuple[RatedText, ...]:
    """The 4,200 tweets with their human mean ratings (``id<TAB>rating<TAB>text`` lines)."""
    raw = resources.files("pytake_daemon.ai").joinpath("data", "vader_tweets_groundtruth.txt")
    rows = (line.split("\t", 2) for line in raw.read_text("utf-8").splitlines() if line.strip())
    return tuple(RatedText(text=text, rating=float(rating)) for _, rating, text in rows)


def public_english_part(split: Split) -> list[RatedText]:
    return [t for t in public_english() if split is Split.ALL or t.split is split]


@dataclass(frozen=True)
class IntentExample:
    text: str
    language: str
    intent: str


def _lines(name: str) -> list[dict[str, str]]:
    raw = resources.files("pytake_daemon.ai").joinpath("data", name).read_text("utf-8")
    return [json.loads(line) for line in raw.splitlines() if line.strip()]


@cache
def evaluation_set(language: str) -> tuple[LabelledMessage, ...]:
    """Every labelled message of one language (both parts)."""
    return tuple(
        LabelledMessage(
            text=r["text"], language=language, sentiment=r["sentiment"], intent=r["intent"]
        )
        for r in _lines(f"eval_{language}.jsonl")
    )


def evaluation_part(language: str, split: Split) -> list[LabelledMessage]:
    return [m for m in evaluation_set(language) if split is Split.ALL or m.split is split]


@cache
def builtin_examples() -> tuple[IntentExample, ...]:
    """What the built-in intents are trained on: the examples file plus the tune parts."""
    examples = [
        IntentExample(text=r["text"], language=r["language"], intent=r["intent"])
        for r in _lines("intents_train.jsonl")
    ]
    for language in LANGUAGES:
        examples.extend(
            IntentExample(text=m.text, language=language, intent=m.intent)
            for m in evaluation_part(language, Split.TUNE)
        )
    return tuple(examples)
