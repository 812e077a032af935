"""``pytake token create --scope …`` and ``pytake token list`` against the real app."""

from __future__ import annotations

import json

import pytest

from pytake_cli import context as cli_context
from pytake_daemon.protocol import TenantOut, TokenCreated, TokenOut
from pytake_daemon.protocol.auth import Scope
from tests.conftest import ApiClient
from tests.support import PASSWORD
from tests.test_cli import (
    Env,
    acli,
    env,  # noqa: F401  (the fixture the test below takes)
    ok,
    one_error_line,
    unique_slug,
)


async def test_token_create_with_scopes_and_list_shows_them(
    env: Env,  # noqa: F811
    api: ApiClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant = TenantOut.model_validate(
        json.loads(ok(await acli(env, "tenant", "create", unique_slug(), "--json")).stdout)
    )
    email = f"bot@{tenant.slug}.test"
    add = ("user", "add", email, "-t", tenant.slug, "--role", "agent", "--password", PASSWORD)
    ok(await acli(env, *add))
    args = ("token", "create", "-t", tenant.slug, "-u", email, "--name", "sender")
    scoped = ("--scope", "messages:send", "-s", "read", "--rate-limit", "30", "--json")
    created = TokenCreated.model_validate(json.loads(ok(await acli(env, *args, *scoped)).stdout))
    # Stored once each, in the documented order, whatever order they were given in.
    assert created.info.scopes == [Scope.READ, Scope.MESSAGES_SEND]
    assert created.info.rate_limit_per_minute == 30
    headers = {"Authorization": f"Bearer {created.token}"}
    assert (await api.get("/api/v1/conversations", headers=headers)).status == 200
    nobody = "/api/v1/contacts/00000000-0000-0000-0000-000000000000/notes"
    resp = await api.post(nobody, json={"body": "x"}, headers=headers)
    assert resp.status == 403
    assert "conversations:write" in (await resp.json())["detail"]

    # No --scope: read-only.
    plain = TokenCreated.model_validate(json.loads(ok(await acli(env, *args, "--json")).stdout))
    assert plain.info.scopes == [Scope.READ]

    listed = [
        TokenOut.model_validate(t)
        for t in json.loads(
            ok(await acli(env, "token", "list", "-t", tenant.slug, "--json")).stdout
        )
    ]
    assert {t.id: t.scopes for t in listed} == {
        created.info.id: [Scope.READ, Scope.MESSAGES_SEND],
        plain.info.id: [Scope.READ],
    }
    # A wide terminal: the CLI's console reads COLUMNS once, when it is created.
    monkeypatch.setattr(cli_context.console, "width", 250)
    table = ok(await acli(env, "token", "list", "-t", tenant.slug)).stdout
    assert "scopes" in table
    assert "messages:send" in table

    line = one_error_line(await acli(env, *args, "--scope", "everything"))
    assert "unknown scope 'everything'" in line
    assert "conversations:write" in line
