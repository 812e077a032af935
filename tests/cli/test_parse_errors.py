"""Click's own parse errors (a missing argument, a bad value, no such command or option) in the
CLI's language and on one line, as every other error: never Typer's usage panel, never a
traceback, exit 2 as click has it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pytake_cli.main import app
from pytake_i18n import set_language

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
PYTAKE = Path(sys.executable).parent / "pytake"

runner = CliRunner()


@pytest.fixture(autouse=True)
def _english_after() -> Iterator[None]:
    yield
    set_language("en")  # --lang sets the process default


def one_line(*args: str) -> str:
    """The command's only line on stderr; it exited 2 and printed nothing on stdout."""
    set_language("en")
    result = runner.invoke(app, list(args), env={"PYTAKE_LANG": None})
    err = _ANSI.sub("", result.stderr)
    assert result.exit_code == 2, f"exit {result.exit_code}: {result.output}{err}"
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output + err
    assert result.stdout == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


CASES = [
    (
        ["user", "add"],
        "error: missing argument 'email' (see 'pytake user add --help')",
        "erro: falta o argumento 'email' (veja 'pytake user add --help')",
    ),
    (
        ["tokn"],
        "error: no such command 'tokn'; did you mean 'token'? (see 'pytake --help')",
        "erro: não há o comando 'tokn'; você quis dizer 'token'? (veja 'pytake --help')",
    ),
    (
        ["queues", "nothing"],
        "error: no such command 'nothing' (see 'pytake queues --help')",
        "erro: não há o comando 'nothing' (veja 'pytake queues --help')",
    ),
    (
        ["user", "list", "--tenan", "acme"],
        "error: no such option '--tenan'; did you mean '--tenant'? "
        "(see 'pytake user list --help')",
        "erro: não há a opção '--tenan'; você quis dizer '--tenant'? "
        "(veja 'pytake user list --help')",
    ),
    (
        ["token", "create", "-t", "acme", "-u", "a@b.c", "--ttl-days", "soon"],
        "error: invalid value for '--ttl-days': a whole number is expected "
        "(see 'pytake token create --help')",
        "erro: valor inválido para '--ttl-days': era esperado um número inteiro "
        "(veja 'pytake token create --help')",
    ),
    (
        ["token", "create", "-t", "acme", "-u", "a@b.c", "--ttl-days", "0"],
        "error: invalid value for '--ttl-days': it must be at least 1 "
        "(see 'pytake token create --help')",
        "erro: valor inválido para '--ttl-days': deve ser no mínimo 1 "
        "(veja 'pytake token create --help')",
    ),
    (
        ["agents", "status", "a@b.c", "asleep", "-t", "acme"],
        "error: invalid value for 'STATUS': 'asleep' is not one of 'online', 'offline', "
        "'busy', 'away', 'break' (see 'pytake agents status --help')",
        "erro: valor inválido para 'STATUS': 'asleep' não é um de 'online', 'offline', "
        "'busy', 'away', 'break' (veja 'pytake agents status --help')",
    ),
    (
        ["tenant", "list", "extra"],
        "error: unexpected extra arguments (extra) (see 'pytake tenant list --help')",
        "erro: argumentos extras inesperados (extra) (veja 'pytake tenant list --help')",
    ),
    (
        ["user", "list", "-t"],
        "error: option '-t' needs a value",
        "erro: a opção '-t' precisa de um valor",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("args", "english", "portuguese"), CASES)
def test_a_parse_error_is_one_line_in_both_languages(
    args: list[str], english: str, portuguese: str
) -> None:
    assert one_line("--lang", "en", *args) == english
    assert one_line("--lang", "pt_BR", *args) == portuguese


def test_an_unknown_root_option_speaks_the_language_asked_for() -> None:
    # Click refuses --bogus while parsing the root's options, before --lang's callback ran.
    assert (
        one_line("--lang", "pt_BR", "--bogus")
        == "erro: não há a opção '--bogus' (veja 'pytake --help')"
    )
    assert one_line("--bogus") == "error: no such option '--bogus' (see 'pytake --help')"


def test_a_bad_lang_is_one_line_too() -> None:
    assert one_line("--lang", "xx", "tenant", "list") == (
        "error: invalid value for '--lang' (env var: 'PYTAKE_LANG'): 'xx' is not one of en, "
        "pt_BR (see 'pytake --help')"
    )


def test_no_arguments_still_show_the_help() -> None:
    result = runner.invoke(app, ["user"])
    assert result.exit_code == 2
    assert "Usage:" in _ANSI.sub("", result.stdout)
    assert result.stderr == ""


def test_the_system_locale_chooses_the_language_as_a_person_runs_pytake() -> None:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE", "PYTAKE_LANG"}
    }
    done = subprocess.run(
        [str(PYTAKE), "user", "add"],
        env={**clean, "LANG": "pt_BR.UTF-8", "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "erro: falta o argumento 'email' (veja 'pytake user add --help')"
    ]
