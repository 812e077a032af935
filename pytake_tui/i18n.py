"""The console's message catalog (domain pytake_tui) and its translation functions.

Screens write `_("Queue")`, `ngettext("{n} waiting", "{n} waiting", n).format(n=n)` and, for
text fixed at import time (bindings, column titles), `N_("Quit")` translated where it is shown.
The language is the process default that the app sets from the user's profile (pytake_i18n).
"""

from __future__ import annotations

from pathlib import Path

from pytake_i18n import N_, Catalog

CATALOG = Catalog("pytake_tui", Path(__file__).parent / "locale")

_ = CATALOG.gettext
gettext = CATALOG.gettext
ngettext = CATALOG.ngettext
pgettext = CATALOG.pgettext

__all__ = ["CATALOG", "N_", "_", "gettext", "ngettext", "pgettext"]
