"""Translations for every text a person reads: languages, catalogs, locale formatting.

It imports nothing from the daemon, the console or the CLI (an import-linter contract says so),
so each of them, and the wire protocol, can use it.
"""

from __future__ import annotations

from pytake_i18n.catalog import N_, Catalog, load_translations
from pytake_i18n.formatting import (
    babel_locale,
    format_date,
    format_datetime,
    format_duration,
    format_moment,
    format_number,
    format_percent,
    format_skeleton,
    format_time,
)
from pytake_i18n.languages import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    choose,
    current_language,
    get_language,
    negotiate,
    normalize,
    set_language,
    system_language,
    use_language,
)

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "N_",
    "Catalog",
    "babel_locale",
    "choose",
    "current_language",
    "format_date",
    "format_datetime",
    "format_duration",
    "format_moment",
    "format_number",
    "format_percent",
    "format_skeleton",
    "format_time",
    "get_language",
    "load_translations",
    "negotiate",
    "normalize",
    "set_language",
    "system_language",
    "use_language",
]
