"""Checking a customer's answer to an ``ask`` node; returns the value to store or ``None``."""

from __future__ import annotations

import re
from datetime import date, datetime

from pytake_daemon.flows.text import fold
from pytake_daemon.protocol.flows import Ask, AskValidation

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NUMBER = re.compile(r"^-?[0-9]+([.,][0-9]+)?$")
_DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")


def accept_answer(node: Ask, text: str, reply_id: str | None) -> str | None:
    """The normalised answer when it is valid for ``node``, else ``None``."""
    text = text.strip()
    match node.validation:
        case AskValidation.TEXT:
            return text or None
        case AskValidation.OPTION:
            return _option(node.options, text, reply_id)
        case AskValidation.NUMBER:
            return text.replace(",", ".") if _NUMBER.match(text) else None
        case AskValidation.EMAIL:
            return text.lower() if _EMAIL.match(text) else None
        case AskValidation.DATE:
            parsed = _date(text)
            return parsed.isoformat() if parsed is not None else None
        case AskValidation.REGEX:
            pattern = node.pattern or ".+"
            return text if re.fullmatch(pattern, text) else None


def _option(options: list[str], text: str, reply_id: str | None) -> str | None:
    wanted = fold(reply_id or text)
    for index, option in enumerate(options, start=1):
        if wanted in (fold(option), str(index)):
            return option
    return None


def _date(text: str) -> date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None
