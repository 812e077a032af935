"""The daemon's message catalog (domain pytake_daemon) and whose language each sentence is in.

Two readers, two rules:

- A person calling the API reads problem documents and Meta-error explanations in the request's
  language: Accept-Language, else the tenant's default (``http/middlewares.py`` decides).
- A customer reads the queues' and ratings' default texts in their own language: the one the AI
  remembered for the contact (``ai_contact_language``, migration 0023), else the tenant's
  default (``tenant_profiles.language``, migration 0032), else English
  (``ai/customer_language.py``). A text a tenant wrote itself is sent as written.

Error sentences are raised long before anyone knows who reads them (and the CLI raises the same
errors in-process), so ``_`` returns a ``Sentence``: the English text, as every log line and
``str()`` has always had it, that also remembers its msgid and fields, so ``translate`` can say
it again in the reader's language where it is shown.
"""

from __future__ import annotations

import re
import string
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

from pytake_i18n import DEFAULT_LANGUAGE, N_, Catalog, get_language, normalize
from pytake_i18n.catalog import catalog_path

CATALOG = Catalog("pytake_daemon", Path(__file__).parent / "locale")

# What an unconfigured tenant's customers read: the texts were English before translations, and
# a tenant that never saved its profile has not said otherwise.
UNCONFIGURED_TENANT_LANGUAGE = DEFAULT_LANGUAGE


class Sentence(str):
    """A sentence in English that can be said again in another language (``translate``)."""

    msgid: str
    fields: dict[str, object]

    def __new__(cls, msgid: str, fields: dict[str, object]) -> Sentence:
        self = super().__new__(cls, msgid.format(**fields) if fields else msgid)
        self.msgid = msgid
        self.fields = fields
        return self

    def say(self, language: str | None = None) -> str:
        """The sentence in ``language`` (else the language in force)."""
        text = CATALOG.gettext(self.msgid, language=language)
        return text.format(**self.fields) if self.fields else text


def _(msgid: str, /, **fields: object) -> Sentence:
    """Mark a sentence for translation; ``{name}`` placeholders are filled from ``fields``."""
    return Sentence(msgid, fields)


def translate(text: str | None, language: str | None = None) -> str | None:
    """``text`` in ``language``: a ``Sentence`` is said again; a plain string is looked up as a
    msgid (titles, constants marked with ``N_``), else recognised as a raised sentence whose
    msgid has fields (``i18n_extract``), else left as written."""
    if not text:
        return text  # gettext("") is the catalog's header, not an empty sentence
    if isinstance(text, Sentence):
        return text.say(language)
    found = CATALOG.gettext(text, language=language)
    if found != text:
        return found
    for pattern, fields, translation in _shapes(language or get_language()):
        match = pattern.fullmatch(text)
        if match is not None:
            said = [match.group(g) for g in fields]
            return "".join(
                literal + (said[fields.index(_group(name))] if name is not None else "")
                for literal, name, _spec, _conversion in _FORMATTER.parse(translation)
            )
    return text


def say_error(exc: BaseException, language: str | None = None) -> str:
    """An error's one-line sentence in ``language`` (the CLI's and the console's message)."""
    first = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
    return translate(first, language) or str(exc)


_FORMATTER = string.Formatter()
# A shape must say something besides its fields, or it would claim any sentence ("{exc}").
_MIN_LITERAL = 6


def _group(field: str) -> str:
    return "f_" + re.sub(r"\W", "_", field)


@cache
def _shapes(language: str) -> list[tuple[re.Pattern[str], list[str], str]]:
    """The catalog's translated msgids with fields, as patterns over their English sentence,
    most literal text first (a longer shape is the more specific)."""
    po = catalog_path(CATALOG.localedir, language, CATALOG.domain, ".po")
    if language == DEFAULT_LANGUAGE or not po.exists():
        return []
    with po.open("rb") as handle:
        messages = read_po(handle, locale=language, domain=CATALOG.domain)
    shapes: list[tuple[int, re.Pattern[str], list[str], str]] = []
    for message in messages:
        if not isinstance(message.id, str) or not isinstance(message.string, str):
            continue
        if "{" not in message.id or not message.string or message.fuzzy:
            continue
        try:
            parsed = list(_FORMATTER.parse(message.id))
        except ValueError:
            continue
        regex, groups, literal = "", [], 0
        for text, name, _spec, _conversion in parsed:
            regex += re.escape(text)
            literal += len(text.strip())
            if name is None:
                continue
            group = _group(name)
            if group in groups:
                regex += f"(?P={group})"
            else:
                groups.append(group)
                regex += f"(?P<{group}>.+?)"
        if groups and literal >= _MIN_LITERAL:
            shapes.append((literal, re.compile(regex, re.DOTALL), groups, message.string))
    shapes.sort(key=lambda s: -s[0])
    return [(pattern, groups, string) for _n, pattern, groups, string in shapes]


def gettext(msgid: str, *, language: str | None = None) -> str:
    """``msgid`` translated now (for text that is not an error sentence)."""
    return CATALOG.gettext(msgid, language=language)


def ngettext(singular: str, plural: str, n: int, *, language: str | None = None) -> str:
    """The form of ``singular``/``plural`` the language uses for ``n`` (Portuguese has three)."""
    return CATALOG.ngettext(singular, plural, n, language=language)


def from_contact(language: str | None) -> str | None:
    """The AI's language code ('pt', 'en') as one of ours."""
    return normalize(language)


__all__ = [
    "CATALOG",
    "N_",
    "Sentence",
    "_",
    "gettext",
    "ngettext",
    "say_error",
    "translate",
]
