"""The CLI in Portuguese and English: the language chosen before the help is built (``pytake``
run as a person runs it), messages and errors through the catalogs, and a guard over what the
generic catalog guard can't see (help texts live in the built command tree, not in ``_()``)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from babel.messages.catalog import Message
from babel.messages.pofile import read_po
from typer.testing import CliRunner

from pytake_cli.i18n import asked_language, help_texts, language_in, resolve_language
from pytake_cli.main import app
from pytake_daemon.config import Settings
from pytake_daemon.errors import NotFound, PyTakeError
from pytake_daemon.i18n import say_error
from pytake_i18n import LANGUAGES, set_language

ROOT = Path(__file__).resolve().parents[2]
PYTAKE = Path(sys.executable).parent / "pytake"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _help(*args: str, **env: str) -> str:
    """``pytake ... --help`` as a person runs it, with only the given locale variables."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE", "PYTAKE_LANG"}
    }
    done = subprocess.run(
        [str(PYTAKE), *args, "--help"],
        env={**clean, "COLUMNS": "160", "NO_COLOR": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return _ANSI.sub("", done.stdout)


@pytest.fixture(autouse=True)
def _english_after() -> Iterator[None]:
    # --lang sets the process default: later tests in this process read English again.
    yield
    set_language("en")


def test_pytake_help_follows_the_system_locale() -> None:
    portuguese = _help(LANG="pt_BR.UTF-8")
    assert "Uso: pytake" in portuguese
    assert "╭─ Comandos" in portuguese
    assert "╭─ Opções" in portuguese
    assert "automação do WhatsApp Business" in portuguese
    assert "Mostrar esta mensagem e sair." in portuguese
    assert "Migrações do esquema do banco de dados." in portuguese
    for english in ("Usage:", "Commands", "Show this message", "Database schema migrations"):
        assert english not in portuguese

    english = _help(LANG="C.UTF-8")
    assert "Usage: pytake" in english
    assert "╭─ Commands" in english
    assert "terminal-first WhatsApp Business automation" in english
    assert "Show this message and exit." in english


def test_lang_and_pytake_lang_override_the_locale() -> None:
    assert "Usage: pytake" in _help("--lang", "en", LANG="pt_BR.UTF-8")
    assert "Uso: pytake" in _help("--lang=pt_BR", LANG="en_US.UTF-8")
    assert "Uso: pytake" in _help(PYTAKE_LANG="pt-BR", LANG="en_US.UTF-8")
    # A subcommand's options and arguments too, and pytake demo's own --lang.
    restore = _help("backup", "restore", LANG="pt_BR.UTF-8")
    assert "╭─ Argumentos" in restore
    assert "Restaurar um backup completo neste novo banco de dados (um DSN)." in restore
    assert "Run the demo" in _help("demo", "--lang", "en", LANG="pt_BR.UTF-8")


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["--lang", "pt_BR", "tenant", "list"], {}, "pt_BR"),
        (["tenant", "list", "--lang=en"], {"LANG": "pt_BR.UTF-8"}, "en"),
        (["tenant", "list"], {"PYTAKE_LANG": "pt", "LANG": "en_US"}, "pt_BR"),
        (["tenant", "list"], {"LANG": "pt_PT.UTF-8"}, "pt_BR"),
        (["tenant", "list"], {"LANG": "de_DE.UTF-8"}, "en"),
        # After "--" it is an argument, not the option.
        (["simulate", "--", "--lang", "pt_BR"], {}, "en"),
    ],
)
def test_the_language_is_read_from_argv_before_click(
    argv: list[str], env: dict[str, str], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert resolve_language(argv, env) == expected


def test_only_an_explicit_choice_reaches_the_console(monkeypatch: pytest.MonkeyPatch) -> None:
    # The console ranks --lang/PYTAKE_LANG below the user's profile and the locale below the
    # tenant's: build_app gets the explicit choice only.
    monkeypatch.setenv("LANG", "pt_BR.UTF-8")
    assert resolve_language(["tui"], {}) == "pt_BR"
    assert asked_language() is None
    assert resolve_language(["--lang", "en", "tui"], {}) == "en"
    assert asked_language() == "en"
    assert resolve_language(["tui"], {"PYTAKE_LANG": "pt"}) == "pt_BR"
    assert asked_language() == "pt_BR"


def test_language_in() -> None:
    assert language_in(["--lang", "en"]) == "en"
    assert language_in(["-c", "x.toml", "--lang=pt_BR", "demo"]) == "pt_BR"
    assert language_in(["--lang"]) is None
    assert language_in([]) is None


@pytest.fixture
def env(settings: Settings) -> dict[str, str | None]:
    """The session's servers, and no other PYTAKE_* setting from the outer environment."""
    assert settings.database.url is not None
    assert settings.database.admin_url is not None
    assert settings.redis.url is not None
    values: dict[str, str | None] = {k: None for k in os.environ if k.startswith("PYTAKE_")}
    values.update(
        PYTAKE_DATABASE__URL=settings.database.url.get_secret_value(),
        PYTAKE_DATABASE__ADMIN_URL=settings.database.admin_url.get_secret_value(),
        PYTAKE_DATABASE__APP_ROLE=settings.database.app_role,
        PYTAKE_REDIS__URL=settings.redis.url.get_secret_value(),
        PYTAKE_REDIS__KEY_PREFIX=settings.redis.key_prefix,
        PYTAKE_STATE_DIR=str(settings.state_dir),
        PYTAKE_LOGGING__LEVEL="warning",
    )
    return values


def test_an_error_line_in_both_languages(env: dict[str, str | None]) -> None:
    runner = CliRunner()
    lines = {}
    for language in LANGUAGES:
        result = runner.invoke(app, ["--lang", language, "user", "list", "-t", "nope"], env=env)
        assert result.exit_code == 1, result.output
        lines[language] = _ANSI.sub("", result.stderr).strip()
    assert lines == {
        "en": "error: no tenant 'nope' (see 'pytake tenant list')",
        "pt_BR": "erro: não há tenant 'nope' (veja 'pytake tenant list')",
    }
    set_language("en")  # the last --lang spoke Portuguese; xx leaves the language as it was
    result = runner.invoke(app, ["--lang", "xx", "tenant", "list"], env=env)
    assert result.exit_code == 2
    assert "'xx' is not one of en," in _ANSI.sub("", result.stderr)


def test_the_daemons_sentences_are_said_in_the_clis_language() -> None:
    raised = PyTakeError(f"no tenant {'acme'!r} (see 'pytake tenant list')")
    assert say_error(raised, "pt_BR") == "não há tenant 'acme' (veja 'pytake tenant list')"
    assert say_error(NotFound("no such queue"), "pt_BR") == "fila inexistente"
    set_language("pt_BR")
    assert say_error(NotFound("no such queue")) == "fila inexistente"
    assert say_error(PyTakeError("not a sentence we know")) == "not a sentence we know"


# --- the guard's complement: help texts and the CLI's literals --------------------------------


def _catalog(language: str) -> dict[str, Message]:
    po = ROOT / "pytake_cli" / "locale" / language / "LC_MESSAGES" / "pytake_cli.po"
    with po.open("rb") as handle:
        return {m.id: m for m in read_po(handle) if isinstance(m.id, str) and m.id}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_help_text_is_translated(language: str) -> None:
    catalog = _catalog(language)
    texts = set(help_texts(typer.main.get_command(app)))
    assert len(texts) > 150
    missing = sorted(t for t in texts if t not in catalog)
    assert not missing, "run scripts/i18n.sh update pytake_cli and translate:\n" + "\n".join(
        missing
    )
    for text in texts:
        message = catalog[text]
        assert message.string, text
        assert not message.fuzzy, text


# The calls whose first argument a person reads, and the keywords they read.
_SHOWN_FIRST = {"fail", "echo", "secho", "BadParameter", "PyTakeError", "confirm", "prompt"}
_SHOWN_KEYWORDS = {"title", "prompt", "caption"}
_PRINTERS = {"console", "err_console"}
# Data, not prose: an environment assignment a shell reads back ("NAME={value}").
_DATA = re.compile(r"[A-Z0-9_]+=")
# Names that are the same in every language.
_NAMES = re.compile(r"\b(pytake|PyTake|WhatsApp)\b")


def untranslated_cli_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of each message literal of the CLI that no ``_()`` wraps."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        owner = getattr(getattr(func, "value", None), "id", None)
        shown: list[ast.expr] = [k.value for k in node.keywords if k.arg in _SHOWN_KEYWORDS]
        if node.args and (
            name in _SHOWN_FIRST
            or (name in {"print", "add_column"} and owner in _PRINTERS | {"table"})
        ):
            shown.append(node.args[0])
        if name == "Table":  # a table's column headers
            shown.extend(node.args)
        for arg in shown:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                text = arg.value
            elif isinstance(arg, ast.JoinedStr):
                text = "".join(
                    v.value
                    for v in arg.values
                    if isinstance(v, ast.Constant) and isinstance(v.value, str)
                )
            else:
                continue
            prose = _NAMES.sub(" ", re.sub(r"\[/?[a-z ]*\]|\{[^}]*\}", " ", text))
            if re.search(r"[A-Za-z]{2,}", prose) and not _DATA.fullmatch(text):
                found.append((arg.lineno, text))
    return found


@pytest.mark.parametrize(
    "module",
    sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "pytake_cli").glob("*.py")
        if p.name not in {"i18n.py", "i18n_extract.py"}
    ),
)
def test_the_cli_says_nothing_past_the_catalog(module: str) -> None:
    assert untranslated_cli_literals((ROOT / module).read_text(encoding="utf-8")) == []


def test_the_cli_lint_finds_what_bypasses_the_catalog() -> None:
    source = """
console.print(f"added {name}")
fail("no such thing", code=2)
raise PyTakeError(_("ok {x}").format(x=1))
typer.echo(f"PYTAKE_AUDIT__CHECKPOINT_KEY={key}")
Table(title="Queues")
console.print(table)
Table(_("id"), "name", level)
"""
    assert [line for line, _text in untranslated_cli_literals(source)] == [2, 3, 6, 8]
