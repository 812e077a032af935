"""A package's message catalog: gettext lookups in the language in force, one load per language.

Each package that shows text owns one domain (pytake_tui, pytake_cli, pytake_daemon) under its
own `locale/` folder, so a package's strings change without touching another's catalog.
Compiled .mo files are not committed (binaries in review hide what changed): `scripts/i18n.sh
compile` writes them at install, and when one is missing or older than its .po, the .po is
compiled in memory with Babel, so a fresh clone runs without a build step.
"""

from __future__ import annotations

import gettext as _gettext
import threading
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from pytake_i18n.languages import get_language


def catalog_path(localedir: Path, language: str, domain: str, suffix: str) -> Path:
    """Where a language's catalog lives: <localedir>/<lang>/LC_MESSAGES/<domain><suffix>."""
    return localedir / language / "LC_MESSAGES" / f"{domain}{suffix}"


def load_translations(localedir: Path, language: str, domain: str) -> _gettext.NullTranslations:
    """The language's translations: the .mo when it is current, else the .po compiled here."""
    po = catalog_path(localedir, language, domain, ".po")
    mo = catalog_path(localedir, language, domain, ".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return _gettext.GNUTranslations(handle)
    if not po.exists():
        # A language without a catalog shows the source text (English) rather than failing.
        return _gettext.NullTranslations()
    with po.open("rb") as handle:
        messages = read_po(handle, locale=language, domain=domain)
    compiled = BytesIO()
    write_mo(compiled, messages)
    compiled.seek(0)
    return _gettext.GNUTranslations(compiled)


class Catalog:
    """One domain's translations; each lookup uses `language=` or else the language in force."""

    def __init__(self, domain: str, localedir: Path) -> None:
        self.domain = domain
        self.localedir = localedir
        self._loaded: dict[str, _gettext.NullTranslations] = {}
        self._lock = threading.Lock()

    def translations(self, language: str | None = None) -> _gettext.NullTranslations:
        """The (cached) translations for `language`, or for the language in force."""
        chosen = language or get_language()
        found = self._loaded.get(chosen)
        if found is None:
            with self._lock:
                found = self._loaded.get(chosen)
                if found is None:
                    found = load_translations(self.localedir, chosen, self.domain)
                    self._loaded[chosen] = found
        return found

    def reload(self) -> None:
        """Forget the loaded catalogs (after `scripts/i18n.sh compile` in a running process)."""
        with self._lock:
            self._loaded.clear()

    def gettext(self, message: str, *, language: str | None = None) -> str:
        """`message` translated."""
        return self.translations(language).gettext(message)

    def ngettext(self, singular: str, plural: str, n: int, *, language: str | None = None) -> str:
        """The form of singular/plural that the language uses for `n`."""
        return self.translations(language).ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str, *, language: str | None = None) -> str:
        """`message` translated in `context` (the same English word, two meanings)."""
        return self.translations(language).pgettext(context, message)

    def npgettext(
        self, context: str, singular: str, plural: str, n: int, *, language: str | None = None
    ) -> str:
        """ngettext within `context`."""
        return self.translations(language).npgettext(context, singular, plural, n)


def N_(message: str) -> str:
    """Mark `message` for extraction without translating it (module-level constants).

    The text is translated where it is shown, in the language in force then.
    """
    return message
