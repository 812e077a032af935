"""Click's own parse errors (a missing argument, a bad value, no such command or option) said in
the CLI's language on one line, as every other error, instead of Typer's usage panel.

Click words these errors in English through the standard library's gettext. Rather than bind a
process-wide gettext domain to our catalog, the root group (``OneLineErrorsGroup``) catches the
error where click raises it and says it again from its parts: the exception's type and fields
(the parameter, the unknown name, click's suggestions) choose our msgid, and the reason a value
was refused, which click only has as a sentence, is recognised by its shape: click's msgid with
each field as a wildcard (``_CLICK_SHAPES``). A sentence we don't recognise (a newer click's)
is shown as click wrote it, still on one line.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, NoReturn

# Typer 0.29 parses with its own copy of click (typer._click), so its errors are that copy's.
from typer._click import exceptions as errors
from typer._click.core import Context
from typer.core import TyperGroup

from pytake_cli.context import fail
from pytake_cli.i18n import N_, SentenceShapes, _, ngettext, resolve_language
from pytake_i18n import set_language

# Typer's sentences (its click's, and pydantic's where Typer converts values with a
# TypeAdapter), fields as it formats them → ours. Ours keep the field names; a field's text is
# copied as matched (already quoted).
_SHAPES: tuple[tuple[str, str], ...] = (
    ("No such command {name}. Did you mean {choices}?",
     N_("no such command {name}; did you mean {choices}?")),
    ("No such command {name}.", N_("no such command {name}")),
    ("Missing command.", N_("missing command")),
    ("Got unexpected extra argument(s) ({args})", N_("unexpected extra arguments ({args})")),
    ("Option {name} requires an argument.", N_("option {name} needs a value")),
    ("Option {name} requires {nargs} arguments.", N_("option {name} needs {nargs} values")),
    ("Option {name} does not take a value.", N_("option {name} takes no value")),
    ("Argument {name} takes {nargs} values.", N_("argument {name} takes {nargs} values")),
    ("Value error, {value} is not one of {choices}.", N_("{value} is not one of {choices}")),
    ("Value {value} is not a valid {kind}.", N_("{value} is not a valid {kind}")),
    ("Input should be a valid integer{rest}", N_("a whole number is expected")),
    ("Input should be a valid number{rest}", N_("a number is expected")),
    ("Input should be a valid boolean{rest}", N_("true or false is expected")),
    ("Input should be a valid UUID{rest}", N_("a UUID is expected")),
    ("Input should be greater than or equal to {n}", N_("it must be at least {n}")),
    ("Input should be less than or equal to {n}", N_("it must be at most {n}")),
    ("Input should be greater than {n}", N_("it must be more than {n}")),
    ("Input should be less than {n}", N_("it must be less than {n}")),
    ("{value} does not match the formats {formats}.",
     N_("{value} does not match the formats {formats}")),
    ("{kind} {value} does not exist.", N_("{kind} {value} does not exist")),
    ("{kind} {value} is a directory.", N_("{kind} {value} is a directory")),
    ("{kind} {value} is a file.", N_("{kind} {value} is a file")),
)  # fmt: skip

# Words Typer puts into those sentences' fields.
_WORDS = {
    "File": N_("file"),
    "Directory": N_("directory"),
    "Path": N_("path"),
}

_SAID = SentenceShapes(_SHAPES, _WORDS)


def reason(message: str) -> str:
    """One of Typer's sentences in the language in force; unknown ones as Typer wrote them."""
    return _SAID.say(message)


def _hint(exc: errors.UsageError) -> str:
    """The parameter as Typer names it in errors: ``'EMAIL'``, ``'--tenant' / '-t'``."""
    hint: Any = getattr(exc, "param_hint", None)
    param = getattr(exc, "param", None)
    if hint is None and param is not None:
        hint = param.get_error_hint()
    if isinstance(hint, Sequence) and not isinstance(hint, str):
        return " / ".join(repr(h) for h in hint)
    return str(hint) if hint is not None else ""


def _choices(exc: errors.MissingParameter) -> str:
    """A missing choice's values, which Typer lists one a line ("Choose from:\\n\\t…")."""
    param = exc.param
    text = param.get_missing_message(ctx=exc.ctx) if param is not None else None
    if not text or "\n\t" not in text:
        return ""
    return ", ".join(v.strip().rstrip(",") for v in text.split("\n\t")[1:])


def _suggested(problem: str, possibilities: Sequence[str] | None) -> str:
    if not possibilities:
        return problem
    choices = ", ".join(repr(p) for p in sorted(possibilities))
    return ngettext(
        "{problem}; did you mean {choices}?",
        "{problem}; did you mean one of {choices}?",
        len(possibilities),
    ).format(problem=problem, choices=choices)


def sentence(exc: errors.UsageError) -> str:
    """A parse error as one sentence in the language in force, naming where to get help."""
    if isinstance(exc, errors.MissingParameter):
        kind = exc.param_type or (exc.param.param_type_name if exc.param else "parameter")
        missing = {
            "argument": N_("missing argument {name}"),
            "option": N_("missing option {name}"),
        }.get(kind, N_("missing parameter {name}"))
        problem = _(missing).format(name=_hint(exc))
        choices = _choices(exc)
        if choices:
            problem = _("{problem} (one of {choices})").format(problem=problem, choices=choices)
    elif isinstance(exc, errors.BadParameter):
        problem = _("invalid value for {name}: {reason}").format(
            name=_hint(exc), reason=reason(exc.message)
        )
    elif isinstance(exc, errors.NoSuchOption):
        problem = _suggested(
            _("no such option {name}").format(name=repr(exc.option_name)), exc.possibilities
        )
    else:
        problem = reason(exc.message)
    if exc.ctx is None:
        return problem
    return _("{problem} (see '{command} --help')").format(
        problem=problem, command=exc.ctx.command_path
    )


def refuse(exc: errors.UsageError) -> NoReturn:
    """Say a parse error on one line (stderr) and exit 2, as click does."""
    fail(sentence(exc), code=exc.exit_code)


class OneLineErrorsGroup(TyperGroup):
    """The root ``pytake`` group: click's parse errors, anywhere in the tree, as one line.

    Parsing the root's own options happens in ``make_context``; every subcommand is resolved
    and parsed inside the root's ``invoke``, so these two places see every parse error.
    """

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: Context | None = None,
        **extra: Any,
    ) -> Context:
        given = list(args)  # click's parser consumes the list it is handed
        try:
            return super().make_context(info_name, args, parent, **extra)
        except errors.NoArgsIsHelpError:
            raise  # no arguments: the help page, not an error
        except errors.UsageError as exc:
            # A root option may be what failed to parse, before --lang's callback ran: the
            # language comes from the command line as the entry point reads it.
            set_language(resolve_language(given, os.environ))
            refuse(exc)

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except errors.NoArgsIsHelpError:
            raise
        except errors.UsageError as exc:
            refuse(exc)
