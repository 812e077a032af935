"""A 422's field sentences in the reader's language: pydantic's refusal worded by its ``type``.

Pydantic writes its messages in English only ("String should have at least 1 character"), so a
request's invalid fields keep pydantic's error (type and context values) until the problem
document is rendered, and are worded then in the reader's language (``InvalidFields``), with the
catalog's plural forms and the reader's number format. The console words the checks it makes
before sending with the same table (``pytake_tui/validation_words.py``): each package's catalog
is extracted from its own sources, so the msgids are written in both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic_core import ErrorDetails

from pytake_daemon.errors import UnprocessableEntity
from pytake_daemon.i18n import gettext, ngettext, translate
from pytake_daemon.protocol import ProblemField
from pytake_daemon.protocol.checks import CHECKS
from pytake_i18n import N_, format_number


def _number(value: object, language: str) -> str:
    if isinstance(value, int | float):
        return format_number(value, language=language)
    return str(value)


def _count(value: object) -> int:
    return value if isinstance(value, int) else 2


def _choices(expected: object) -> str:
    # Pydantic lists the choices as "'a', 'b' or 'c'": the "or" is English.
    return str(expected).replace("' or '", "', '")


_BOUNDS = {
    "greater_than": N_("Must be greater than {limit}"),
    "greater_than_equal": N_("Must be {limit} or more"),
    "less_than": N_("Must be less than {limit}"),
    "less_than_equal": N_("Must be {limit} or less"),
    "multiple_of": N_("Must be a multiple of {limit}"),
}

_PLAIN = {
    "missing": N_("Required"),
    "int_parsing": N_("Write a whole number"),
    "int_type": N_("Write a whole number"),
    "int_from_float": N_("Write a whole number"),
    "float_parsing": N_("Write a number"),
    "float_type": N_("Write a number"),
    "decimal_parsing": N_("Write a number"),
    "bool_parsing": N_("Write yes or no"),
    "bool_type": N_("Write yes or no"),
    "string_type": N_("Write a text"),
    "uuid_parsing": N_("Not a valid identifier"),
    "uuid_type": N_("Not a valid identifier"),
    "url_parsing": N_("Not a valid URL"),
    "url_scheme": N_("Not a valid URL"),
    "date_parsing": N_("Not a valid date"),
    "date_from_datetime_parsing": N_("Not a valid date"),
    "time_parsing": N_("Not a valid time"),
    "datetime_parsing": N_("Not a valid date and time"),
    "datetime_from_date_parsing": N_("Not a valid date and time"),
    "timezone_aware": N_("Give a time zone"),
    "extra_forbidden": N_("Not an expected field"),
    "json_invalid": N_("Not valid JSON"),
}


class _Fields(dict[str, object]):
    """A check's context values; a field the error lacks is shown as its name, not a KeyError."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def validation_sentence(error: Mapping[str, Any], language: str) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) as a sentence."""
    kind = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind in ("string_too_short", "too_short"):
        n = _count(ctx.get("min_length"))
        if kind == "too_short":
            text = ngettext(
                "Give at least {n} item", "Give at least {n} items", n, language=language
            )
        else:
            text = ngettext(
                "Write at least {n} character",
                "Write at least {n} characters",
                n,
                language=language,
            )
        return text.format(n=_number(n, language))
    if kind in ("string_too_long", "too_long"):
        n = _count(ctx.get("max_length"))
        if kind == "too_long":
            text = ngettext("At most {n} item", "At most {n} items", n, language=language)
        else:
            text = ngettext("At most {n} character", "At most {n} characters", n, language=language)
        return text.format(n=_number(n, language))
    if kind in _BOUNDS:
        limit = next(iter(ctx.values()), "")
        return gettext(_BOUNDS[kind], language=language).format(limit=_number(limit, language))
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return gettext("Does not match the expected format ({pattern})", language=language).format(
            pattern=pattern
        )
    if kind in ("enum", "literal_error"):
        return gettext("Choose one of: {choices}", language=language).format(
            choices=_choices(ctx.get("expected", ""))
        )
    if kind in CHECKS:
        # The protocol's own check, its fields kept as pydantic's context values.
        return gettext(CHECKS[kind], language=language).format_map(_Fields(ctx))
    if kind in ("value_error", "assertion_error"):
        # A sentence raised as a plain ValueError ("Value error, ..."), translated when the
        # catalog has it.
        msg = str(error.get("msg", ""))
        sentence = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return (translate(sentence, language) or sentence) if sentence else _invalid(language)
    return gettext(_PLAIN.get(kind, N_("Not a valid value")), language=language)


def _invalid(language: str) -> str:
    return gettext("Not a valid value", language=language)


class InvalidFields(UnprocessableEntity):
    """A request pydantic refused: its fields in English (logs, ``str()``), worded again in
    the reader's language when the problem document is rendered (:meth:`worded`)."""

    def __init__(self, details: list[ErrorDetails], prefix: str) -> None:
        self.details = details
        self.prefix = prefix
        super().__init__(f"{len(details)} invalid field(s)", errors=self.worded("en"))

    def worded(self, language: str) -> list[ProblemField]:
        """The invalid fields, each sentence in ``language``."""
        return [
            ProblemField(
                loc=".".join([self.prefix, *(str(p) for p in err["loc"])]),
                msg=validation_sentence(err, language),
                type=err["type"],
            )
            for err in self.details
        ]
