"""``pytake doctor`` in Portuguese: the check names, the marks and every sentence the daemon's
checks word in English are said again in the CLI's language; ``--json`` keeps the daemon's
English for machines. A tenant of its own, with no numbers and no SMTP, and a Graph API URL on
a closed local port keep every check deterministic (no outside network)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner, Result

from pytake_cli.main import app
from pytake_i18n import set_language
from tests.cli.conftest import Env
from tests.conftest import MakeTenant
from tests.support import free_port

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# In-process apps of other tests may log into the stdout CliRunner captures.
_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[")


@pytest.fixture(autouse=True)
def _english_after() -> Iterator[None]:
    yield
    set_language("en")


def _doctor(env: Env, *args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=env)


def _lines(result: Result) -> list[str]:
    out = _ANSI.sub("", result.stdout)
    return [line for line in out.splitlines() if line and not _LOG_LINE.match(line)]


async def test_doctor_says_its_checks_in_portuguese(cli_env: Env, make_tenant: MakeTenant) -> None:
    tenant = await make_tenant()
    env = {**cli_env, "PYTAKE_WHATSAPP__GRAPH_BASE_URL": f"http://127.0.0.1:{free_port()}"}
    doctor = ["doctor", "--tenant", tenant.slug]

    english = await asyncio.to_thread(_doctor, env, "--lang", "pt_BR", *doctor, "--json")
    assert "Traceback" not in english.output
    checks = json.loads("\n".join(_lines(english)))["checks"]
    by_name = {c["name"]: c for c in checks}
    # --json is for machines: the daemon's words, whatever the language.
    assert by_name["database"]["detail"].startswith("PostgreSQL answers; the schema is at")
    assert {c["status"] for c in checks} == {"passed", "skipped"}, checks

    said = await asyncio.to_thread(_doctor, env, "--lang", "pt_BR", *doctor)
    assert said.exit_code == 0, said.output
    lines = _lines(said)
    assert len(lines) == len(checks) + 1, lines
    for check, line in zip(checks, lines, strict=False):
        assert check["detail"] not in line, line  # said again, not as the daemon wrote it
    skipped = sum(c["status"] == "skipped" for c in checks)
    assert lines[-1] == f"{len(checks) - skipped} passaram, 0 falharam, {skipped} pulados"

    said_by_name = dict(zip((c["name"] for c in checks), lines, strict=False))
    assert said_by_name["database"].startswith("passou  banco de dados")
    assert "o PostgreSQL responde; o esquema está na versão" in said_by_name["database"]
    assert "o Redis responde ao PING em" in said_by_name["redis"]
    assert said_by_name["backup storage"].startswith("passou  armazenamento de backups")
    assert said_by_name["graph api"].startswith("pulado  graph api")
    assert (
        "nenhum número de WhatsApp configurado ('pytake numbers add')"
        in (said_by_name["graph api"])
    )
    assert "server.public_url não está definido" in said_by_name["webhook"]
    assert "nenhum tenant tem configurações de SMTP" in said_by_name["smtp"]
    assert (
        "a proteção contra SSRF dos fluxos recusa endereços privados e locais"
        in (said_by_name["outbound http"])
    )
    assert "livres para o diretório de estado" in said_by_name["disk"]


def test_an_unknown_sentence_is_shown_as_written() -> None:
    from pytake_cli.doctor_sentences import check_detail, check_name

    set_language("pt_BR")
    assert check_detail("OSError: something only the kernel says") == (
        "OSError: something only the kernel says"
    )
    # A label inside a sentence is said again too; the server's own words stay as they came.
    assert (
        check_detail("the Graph API refused number 1065 (tenant acme): (#190) token expired")
        == "a Graph API recusou número 1065 (tenant acme): (#190) token expired"
    )
    assert check_name("templates 4321") == "modelos 4321"
