"""A form check's sentence in the console's language: pydantic's refusal worded by its ``type``.

Pydantic writes its messages in English only ("String should have at least 1 character"), so
the console words each error again from its type and context values, with the catalog's plural
forms and the reader's number format. Every place that shows a validation problem calls
:func:`validation_sentence`. The daemon words its 422 fields the same way
(``pytake_daemon/http/validation_words.py``): each package's catalog is extracted from its own
sources, so the msgids are written in both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytake_i18n import format_number
from pytake_tui.check_words import CHECK_WORDS
from pytake_tui.i18n import N_, _, gettext, ngettext


def _number(value: object) -> str:
    return format_number(value) if isinstance(value, int | float) else str(value)


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


def validation_sentence(error: Mapping[str, Any]) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) as a sentence."""
    kind = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind in ("string_too_short", "too_short"):
        n = _count(ctx.get("min_length"))
        if kind == "too_short":
            text = ngettext("Give at least {n} item", "Give at least {n} items", n)
        else:
            text = ngettext("Write at least {n} character", "Write at least {n} characters", n)
        return text.format(n=_number(n))
    if kind in ("string_too_long", "too_long"):
        n = _count(ctx.get("max_length"))
        if kind == "too_long":
            text = ngettext("At most {n} item", "At most {n} items", n)
        else:
            text = ngettext("At most {n} character", "At most {n} characters", n)
        return text.format(n=_number(n))
    if kind in _BOUNDS:
        limit = next(iter(ctx.values()), "")
        return gettext(_BOUNDS[kind]).format(limit=_number(limit))
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return _("Does not match the expected format ({pattern})").format(pattern=pattern)
    if kind in ("enum", "literal_error"):
        return _("Choose one of: {choices}").format(choices=_choices(ctx.get("expected", "")))
    if kind in CHECK_WORDS:
        # The protocol's own check, its fields kept as pydantic's context values.
        return gettext(CHECK_WORDS[kind]).format_map(_Fields(ctx))
    if kind in ("value_error", "assertion_error"):
        # A sentence raised as a plain ValueError ("Value error, ..."), translated when the
        # catalog has it.
        msg = str(error.get("msg", ""))
        sentence = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return gettext(sentence) if sentence else _("Not a valid value")
    return gettext(_PLAIN.get(kind, N_("Not a valid value")))
