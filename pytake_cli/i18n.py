"""The CLI's message catalog (domain pytake_cli), the language it speaks, and its translated help.

The language is ``--lang``, else ``PYTAKE_LANG``, else the system locale (``LANG=pt_BR.UTF-8``).
Typer turns every ``help=`` and command docstring into the command tree when ``pytake`` starts,
long before the callback sees ``--lang``; so the entry point reads the language from argv first
(``resolve_language``), then translates the built tree (``localize``) before click parses
anything. The help texts stay plain English literals in the sources: the extraction map
(``locale/babel.cfg``) takes them from the tree itself (``help_texts``), so what is checked is
what ``--help`` shows. Messages are written ``_("added {name}").format(name=name)``.
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import typer
import typer.rich_utils

from pytake_daemon.protocol import Role
from pytake_i18n import LANGUAGES, N_, Catalog, choose, normalize, set_language

CATALOG = Catalog("pytake_cli", Path(__file__).parent / "locale")

_ = CATALOG.gettext
ngettext = CATALOG.ngettext

# Typer's and click's own words on a help page (their texts, so the same msgids).
_RICH_TEXTS = {
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "ERRORS_PANEL_TITLE": N_("Error"),
    "ABORTED_TEXT": N_("Aborted."),
    "DEFAULT_STRING": N_("[default: {}]"),
    "ENVVAR_STRING": N_("[env var: {}]"),
    "REQUIRED_LONG_STRING": N_("[required]"),
    "RICH_HELP": N_("Try [blue]'{command_path} {help_option}'[/] for help."),
}
_USAGE = N_("Usage: ")
# click's placeholders in the usage line (its own English defaults, so the same msgids).
_OPTIONS_METAVAR = N_("[OPTIONS]")
_SUBCOMMAND_METAVAR = N_("COMMAND [ARGS]...")
_HELP_OPTION = N_("Show this message and exit.")


def language_in(argv: Sequence[str]) -> str | None:
    """The value of ``--lang`` in a command line (``--lang pt_BR`` or ``--lang=pt_BR``)."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.partition("=")[2]
    return None


# The language asked for explicitly (--lang, PYTAKE_LANG), as the console ranks it below the
# user's profile language and above the tenant's; None: only the system locale spoke.
_asked: list[str | None] = [None]


def asked_language() -> str | None:
    """The language ``--lang`` or ``PYTAKE_LANG`` asked for, if any (for ``build_app``)."""
    return _asked[0]


def resolve_language(argv: Sequence[str], environ: Mapping[str, str] = os.environ) -> str:
    """``--lang``, else ``PYTAKE_LANG``, else the system locale, else English."""
    _asked[0] = normalize(language_in(argv)) or normalize(environ.get("PYTAKE_LANG"))
    return choose(language_in(argv), environ.get("PYTAKE_LANG"))


def apply_lang_option(lang: str | None) -> str | None:
    """``--lang``'s callback: check the value and speak it. The entry point chose it from argv
    already; this serves the callers that invoke the app directly (tests)."""
    if lang is None:
        return None
    language = normalize(lang)
    if language is None:
        message = _("{lang!r} is not one of {choices}")
        raise typer.BadParameter(message.format(lang=lang, choices=", ".join(LANGUAGES)))
    _asked[0] = language
    set_language(language)
    return language


class SentenceShapes:
    """Say again, in the language in force, English sentences another library words (click's
    parse errors, the daemon's check sentences): each shape is the English sentence with named
    fields, paired with our msgid using the same names. A field's text is copied as matched,
    said again first when it is itself one of the shapes (a label inside a sentence), or when it
    is one of ``words`` (a word the library puts in). Nothing matched: the sentence as written.
    """

    _FORMATTER = string.Formatter()

    def __init__(
        self, shapes: Sequence[tuple[str, str]], words: Mapping[str, str] | None = None
    ) -> None:
        self._words = dict(words or {})
        self._shapes = [(self._pattern(english), ours) for english, ours in shapes]

    @classmethod
    def _pattern(cls, english: str) -> re.Pattern[str]:
        return re.compile(
            "".join(
                re.escape(literal) + (f"(?P<{name}>.+?)" if name is not None else "")
                for literal, name, _spec, _conversion in cls._FORMATTER.parse(english)
            ),
            re.DOTALL,
        )

    def say(self, text: str, *, depth: int = 2) -> str:
        """``text`` in the language in force, if it has one of the shapes."""
        if text in self._words:
            return _(self._words[text])
        for pattern, ours in self._shapes:
            match = pattern.fullmatch(text)
            if match is not None:
                fields = {
                    name: self.say(value, depth=depth - 1) if depth > 0 else value
                    for name, value in match.groupdict().items()
                }
                return _(ours).format(**fields)
        return text


def _commands(command: Any) -> Iterator[Any]:
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from _commands(sub)


def help_texts(command: Any) -> Iterator[str]:
    """Every help text of a built command tree (commands, groups, options, arguments)."""
    for cmd in _commands(command):
        for text in (cmd.help, cmd.short_help, cmd.epilog):
            if text:
                yield text
        for param in cmd.params:
            text = getattr(param, "help", None)
            if text:
                yield text


def localize(command: Any) -> None:
    """Translate a built command tree's help into the language in force, in place."""
    for name, text in _RICH_TEXTS.items():
        setattr(typer.rich_utils, name, _(text))
    for cmd in _commands(command):
        for attr in ("help", "short_help", "epilog"):
            text = getattr(cmd, attr)
            if text:
                setattr(cmd, attr, _(text))
        for param in cmd.params:
            if getattr(param, "help", None):
                param.help = _(param.help)
        _translate_generated(cmd)


def _translate_generated(cmd: Any) -> None:
    """The usage line's prefix and the ``--help`` option, which click makes per invocation."""
    make_help_option = cmd.get_help_option

    def get_help_option(ctx: Any) -> Any:
        option = make_help_option(ctx)
        if option is not None:
            option.help = _(_HELP_OPTION)
        return option

    def format_usage(ctx: Any, formatter: Any) -> None:
        pieces = cmd.collect_usage_pieces(ctx)
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=_(_USAGE))

    cmd.get_help_option = get_help_option
    cmd.format_usage = format_usage
    if getattr(cmd, "options_metavar", None) == _OPTIONS_METAVAR:
        cmd.options_metavar = _(_OPTIONS_METAVAR)
    if getattr(cmd, "subcommand_metavar", None) == _SUBCOMMAND_METAVAR:
        cmd.subcommand_metavar = _(_SUBCOMMAND_METAVAR)


__all__ = [
    "CATALOG",
    "N_",
    "SentenceShapes",
    "_",
    "apply_lang_option",
    "asked_language",
    "help_texts",
    "language_in",
    "localize",
    "ngettext",
    "resolve_language",
]


def role_word(role: Role) -> str:
    """A role in the CLI's language, for a sentence or a banner (``--role`` takes the English
    values, which tables and ``--json`` keep)."""
    return {
        Role.OWNER: _("owner"),
        Role.ADMIN: _("admin"),
        Role.SUPERVISOR: _("supervisor"),
        Role.AGENT: _("agent"),
    }[role]
