"""Which language a person reads: the tags we accept, the system's locale, Accept-Language.

One process serves many people: the console has one reader, but the daemon answers requests and
writes to contacts in several languages at once. So the language in force is a ContextVar (one
value per request or per customer message, through `use_language`) over a process default (the
console's reader, through `set_language`). The variable has no default of its own on purpose:
asyncio tasks copy the context when they start, so a value set in the context would hide a later
change of the process default from every task already running (the console's workers).
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Iterator
from contextlib import contextmanager

LANGUAGES: tuple[str, ...] = ("en", "pt_BR")
DEFAULT_LANGUAGE = "en"

current_language: contextvars.ContextVar[str] = contextvars.ContextVar("pytake_language")
_process_language: list[str] = [DEFAULT_LANGUAGE]

# The POSIX locale names the C library's untranslated messages, which are English.
_ENGLISH_ALIASES = frozenset({"c", "posix"})


def normalize(tag: str | None) -> str | None:
    """Map a locale or language tag ("pt-BR", "pt_BR.UTF-8", "en-GB", "C") to one of LANGUAGES.

    Any Portuguese becomes pt_BR and any English becomes en: they are the variants we have, and a
    Portuguese reader understands Brazilian Portuguese better than English. Unknown -> None.
    """
    if tag is None:
        return None
    # Drop the encoding ("pt_BR.UTF-8") and the modifier ("de_DE@euro").
    base = tag.strip().split(".", 1)[0].split("@", 1)[0].replace("-", "_").lower()
    if not base:
        return None
    if base in _ENGLISH_ALIASES:
        return "en"
    primary = base.split("_", 1)[0]
    if primary == "pt":
        return "pt_BR"
    if primary == "en":
        return "en"
    return None


def system_language() -> str:
    """The system locale's language (LC_ALL, LC_MESSAGES, LANG, as POSIX orders them), else en."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            # The first variable that is set decides, as it does for the C library, even when it
            # names a language we don't have.
            return normalize(value) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def choose(*candidates: str | None) -> str:
    """The first candidate that names a language we have, else the system's language."""
    for candidate in candidates:
        language = normalize(candidate)
        if language is not None:
            return language
    return system_language()


def negotiate(accept_language: str | None, default: str) -> str:
    """The language an Accept-Language header prefers among ours (RFC 9110 §12.5.4), else default.

    Ranges are tried by falling weight, ties in the order written; q=0 means "not this one";
    "*" accepts the default.
    """
    if not accept_language:
        return default
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept_language.split(",")):
        tag, *params = (part.strip() for part in item.split(";"))
        if not tag:
            continue
        weight = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = 0.0
        if weight > 0:
            ranked.append((-weight, position, tag))
    for _weight, _position, tag in sorted(ranked):
        if tag == "*":
            return default
        language = normalize(tag)
        if language is not None:
            return language
    return default


def get_language() -> str:
    """The language in force here: this context's (use_language), else the process default."""
    return current_language.get(_process_language[0])


def set_language(language: str) -> None:
    """Set the process default (the console's reader); contexts inside use_language keep theirs."""
    _process_language[0] = _checked(language)


@contextmanager
def use_language(language: str) -> Iterator[str]:
    """Read and write in `language` inside the block (one request, one customer message)."""
    token = current_language.set(_checked(language))
    try:
        yield language
    finally:
        current_language.reset(token)


def _checked(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; expected one of {LANGUAGES}")
    return language
