"""The labelled data shipped in ``data/``: intent training examples and the evaluation sets.

Each evaluation message is in the *tune* part or the *held-out* part by a hash of its text, fixed
once and for all: lexicon fixes, rules and thresholds were chosen looking at the tune part only,
and its messages also train the intent classifier; reported figures use the held-out part.
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


@dataclass(frozen=True)
class LabelledMessage:
    text: str
    language: str
    sentiment: str
    intent: str

    @property
    def split(self) -> Split:
        first = hashlib.sha256(self.text.encode()).digest()[0]
        return Split.TUNE if first < TUNE_SHARE else Split.HELDOUT


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
