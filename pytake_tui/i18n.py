"""The console's message catalog (domain pytake_tui) and its translation functions.

Screens write `_("Queue")`, `ngettext("{n} waiting", "{n} waiting", n).format(n=n)` and, for
text fixed at import time (bindings, column titles), `N_("Quit")` translated where it is shown.
The language is the process default that the app sets from the user's profile (pytake_i18n).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from string import Formatter

from textual.content import Content

from pytake_i18n import N_, Catalog, format_moment, format_skeleton

CATALOG = Catalog("pytake_tui", Path(__file__).parent / "locale")

_ = CATALOG.gettext
gettext = CATALOG.gettext
ngettext = CATALOG.ngettext
pgettext = CATALOG.pgettext


def local_moment(value: datetime) -> str:
    """Date and 24-hour time in this machine's time zone, the reader's way ("05/12/2026 14:03")."""
    local = value.astimezone()
    return format_moment(local, local.tzinfo)


def local_day(value: datetime) -> str:
    """The date alone, as :func:`local_moment` writes it ("05/12/2026")."""
    local = value.astimezone()
    return format_skeleton("yMd", local, local.tzinfo)


def styled_format(template: str, style: str, **values: object) -> Content:
    """A translated sentence with its values styled (``{waiting} waiting`` with the number
    bold): the translation orders the words, the code says how the values look."""
    parts: list[str | tuple[str, str]] = []
    for literal, field, spec, _conversion in Formatter().parse(template):
        if literal:
            parts.append(literal)
        if field is not None:
            parts.append((format(values[field], spec or ""), style))
    return Content.assemble(*parts)


__all__ = [
    "CATALOG",
    "N_",
    "_",
    "gettext",
    "local_day",
    "local_moment",
    "ngettext",
    "pgettext",
    "styled_format",
]
