"""An AI alert's detail as fields, so each reader can word it in their own language.

The daemon stores an alert's detail as an English sentence (``ai_alerts.detail``, text, as
``ai/rules.py`` and the human-request check write it) and sends it so on the wire. The console
and the notifications read the figures back from that sentence and word them from their own
catalogs with the reader's decimal mark ("sentiment -0.85" -> "sentimento -0,85"); a sentence
of another shape (an older release's, say) is shown as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class DetailKind(StrEnum):
    SENTIMENT = "sentiment"
    TREND = "trend"
    INTENT = "intent"
    LONG_WAIT = "long_wait"
    HUMAN_REQUEST = "human_request"


@dataclass(frozen=True)
class AlertDetail:
    kind: DetailKind
    value: float = 0.0  # the score, the drop, or the minutes
    count: int = 0  # the messages a trend looked at
    word: str = ""  # the intent's name


_NUMBER = r"([+-]?\d+(?:\.\d+)?)"
_SHAPES = (
    (DetailKind.SENTIMENT, re.compile(rf"sentiment {_NUMBER}")),
    (DetailKind.TREND, re.compile(rf"sentiment fell by {_NUMBER} over the last (\d+) messages")),
    (DetailKind.INTENT, re.compile(r"intent (\S+)")),
    (DetailKind.LONG_WAIT, re.compile(rf"negative after waiting {_NUMBER} min for an answer")),
    (
        DetailKind.HUMAN_REQUEST,
        re.compile(rf"asked for a human {_NUMBER} min ago; no answer since"),
    ),
)


def parse(detail: str) -> AlertDetail | None:
    """The fields of an alert's English detail, or None for a sentence of another shape."""
    for kind, pattern in _SHAPES:
        match = pattern.fullmatch(detail)
        if match is None:
            continue
        if kind is DetailKind.INTENT:
            return AlertDetail(kind, word=match.group(1))
        if kind is DetailKind.TREND:
            return AlertDetail(kind, float(match.group(1)), int(match.group(2)))
        return AlertDetail(kind, float(match.group(1)))
    return None
