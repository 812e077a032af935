"""The protocol's own check sentences (``pytake_daemon/protocol/checks.py``) are worded by each
reader's side: every error type a protocol validator raises has a sentence in the daemon's table
and the console's, and the business-hours check reads in Portuguese in a form and in a 422."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic import ValidationError

import pytake_daemon.protocol as protocol_package
from pytake_daemon.http.validation_words import validation_sentence as daemon_sentence
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.checks import CHECKS
from pytake_daemon.protocol.queues import QueueSettings
from pytake_i18n import use_language
from pytake_tui.check_words import CHECK_WORDS
from pytake_tui.validation_words import validation_sentence as console_sentence
from tests.conftest import ApiClient, MakeTenant

_PROTOCOL = Path(protocol_package.__file__).parent


def _raised() -> list[tuple[str, int, ast.expr]]:
    """(module, line, first argument) of each refusal or PydanticCustomError built in the
    protocol, and of each ``raise ValueError(...)`` left (there should be none)."""
    found = []
    for path in sorted(_PROTOCOL.glob("*.py")):
        if path.name == "checks.py":  # the one PydanticCustomError, built from a table key
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name in ("refusal", "PydanticCustomError", "ValueError"):
                    found.append((f"{path.name}:{node.lineno} {name}", node.lineno, node.args[0]))
    return found


def test_every_check_the_protocol_raises_is_worded_in_both_tables() -> None:
    raised = _raised()
    assert len(raised) > 50
    kinds: set[str] = set()
    for where, _line, first in raised:
        assert not where.endswith("ValueError"), f"{where}: raise refusal(<type>) instead"
        assert isinstance(first, ast.Constant), where
        assert isinstance(first.value, str), where
        kinds.add(first.value)
    assert kinds - CHECKS.keys() == set()
    assert kinds - CHECK_WORDS.keys() == set()
    # The console's copy says the same English sentences as the protocol's table.
    assert CHECK_WORDS == CHECKS


_HOURS = {"name": "Vendas", "business_hours": {"mon": [["9h", "18:00"]]}}


def _hours_error() -> dict[str, object]:
    with pytest.raises(ValidationError) as caught:
        QueueSettings.model_validate(_HOURS)
    [error] = caught.value.errors()
    return dict(error)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "mon: times are HH:MM (00:00 to 24:00), got 9h-18:00"),
        ("pt_BR", "mon: horários são HH:MM (00:00 a 24:00), veio 9h-18:00"),
    ],
)
def test_a_protocol_check_reads_in_the_console_language(language: str, expected: str) -> None:
    error = _hours_error()
    assert error["type"] == "queues_times_are_hh_mm"
    with use_language(language):
        assert console_sentence(error) == expected
    assert daemon_sentence(error, language) == expected


async def test_a_protocol_check_in_a_422_follows_accept_language(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    said = {}
    for language in ("en", "pt-BR"):
        headers = {**tenant[Role.ADMIN].headers, "Accept-Language": language}
        resp = await api.post("/api/v1/queues", json=_HOURS, headers=headers)
        assert resp.status == 422
        said[language] = [(e["type"], e["msg"]) for e in (await resp.json())["errors"]]
    assert said["en"] == [
        ("queues_times_are_hh_mm", "mon: times are HH:MM (00:00 to 24:00), got 9h-18:00")
    ]
    assert said["pt-BR"] == [
        ("queues_times_are_hh_mm", "mon: horários são HH:MM (00:00 a 24:00), veio 9h-18:00")
    ]
