"""Reply suggestions: the tenant's canned responses and snippets (and PyTake's built-in replies),
ranked by the intent of the customer's recent messages and by text similarity to them."""

from __future__ import annotations

import json
import math
import re
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from pytake_daemon.ai.text import normalise

INTENT_WEIGHT = 0.6
SIMILARITY_WEIGHT = 0.4
TOP = 3

_VARIABLE = re.compile(r"{{\s*(\w+)\s*}}")


@dataclass(frozen=True)
class Candidate:
    source: Literal["canned", "snippet", "builtin"]
    reply_id: uuid.UUID | None
    title: str
    body: str
    intents: tuple[str, ...]
    language: str | None


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    score: float
    text: str
    missing: tuple[str, ...]


@cache
def builtin_replies() -> tuple[Candidate, ...]:
    raw = resources.files("pytake_daemon.ai").joinpath("data", "replies.jsonl").read_text("utf-8")
    return tuple(
        Candidate("builtin", None, r["title"], r["body"], (r["intent"],), r["language"])
        for r in (json.loads(line) for line in raw.splitlines() if line.strip())
    )


def fill(body: str, variables: Mapping[str, str | None]) -> tuple[str, tuple[str, ...]]:
    """Replace ``{{name}}`` placeholders; unknown or empty ones stay and are reported."""
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        value = variables.get(match.group(1))
        if value:
            return value
        missing.append(match.group(1))
        return match.group(0)

    return _VARIABLE.sub(replace, body), tuple(dict.fromkeys(missing))


def _trigrams(text: str) -> Counter[str]:
    padded = f" {text} "
    return Counter(padded[i : i + 3] for i in range(len(padded) - 2))


def similarity(a: str, b: str) -> float:
    """Cosine similarity of character trigram counts (0..1)."""
    ta, tb = _trigrams(a), _trigrams(b)
    dot = sum(count * tb[g] for g, count in ta.items())
    norm = math.sqrt(sum(v * v for v in ta.values())) * math.sqrt(sum(v * v for v in tb.values()))
    return dot / norm if norm else 0.0


def rank(
    candidates: Sequence[Candidate],
    *,
    intent: str,
    language: str,
    recent_texts: Sequence[str],
    variables: Mapping[str, str | None],
    top: int = TOP,
) -> list[Ranked]:
    """The best ``top`` candidates in the conversation's language (or language-neutral ones)."""
    query = normalise(" ".join(recent_texts), language)
    ranked: list[Ranked] = []
    for c in candidates:
        if c.language not in (None, language):
            continue
        text, missing = fill(c.body, variables)
        score = INTENT_WEIGHT * (intent in c.intents) + SIMILARITY_WEIGHT * similarity(
            query, normalise(f"{c.title} {c.body}", language)
        )
        ranked.append(Ranked(c, round(score, 4), text, missing))
    ranked.sort(key=lambda r: (-r.score, r.candidate.source != "canned", r.candidate.title))
    return ranked[:top]
