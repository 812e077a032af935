"""The ``pytake`` command line, run in-process by typer's ``CliRunner`` against this session's
PostgreSQL and Redis.

CLI commands call ``asyncio.run`` themselves, so they can't run on a thread whose event loop is
running. Tests that need only the CLI are plain functions; tests that also check the result over
the API are async and run each CLI command on a worker thread (``asyncio.to_thread``).
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result

from pytake_cli.main import app
from pytake_daemon import __version__
from pytake_daemon.config import Settings
from pytake_daemon.db import migrations
from pytake_daemon.protocol import Me, Role, TenantOut, TokenCreated, TokenOut, UserOut
from tests.conftest import ApiClient
from tests.support import PASSWORD, CliEnv, cli_environment

MASK = "**********"
NEW_PASSWORD = "a-brand-new-passphrase"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

runner = CliRunner()

Env = CliEnv


@pytest.fixture
def env(settings: Settings) -> Env:
    """The session's servers, and no other PYTAKE_* setting from the outer environment."""
    return cli_environment(settings)


def cli(env: Env, *args: str, **extra_env: str | None) -> Result:
    result = runner.invoke(app, list(args), env={**env, **extra_env})
    assert "Traceback" not in result.output + result.stderr, result.output + result.stderr
    return result


async def acli(env: Env, *args: str, **extra_env: str | None) -> Result:
    """``cli`` from an async test: on a worker thread, away from the running event loop."""
    return await asyncio.to_thread(cli, env, *args, **extra_env)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, f"exit {result.exit_code}: {result.output}{result.stderr}"
    return result


def one_error_line(result: Result, *, code: int = 1) -> str:
    """The command failed with ``code`` and said so in exactly one ``error:`` line on stderr."""
    assert result.exit_code == code, f"exit {result.exit_code}: {result.output}"
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    lines = _ANSI.sub("", result.stderr).strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:"), lines[0]
    assert result.stdout == ""
    return lines[0]


def as_json(result: Result) -> Any:
    return json.loads(ok(result).stdout)


def unique_slug() -> str:
    return f"cli-{uuid.uuid4().hex[:10]}"


def new_tenant(env: Env) -> TenantOut:
    return TenantOut.model_validate(as_json(cli(env, "tenant", "create", unique_slug(), "--json")))


# --- no servers needed ------------------------------------------------------------------------


def test_version() -> None:
    result = ok(runner.invoke(app, ["--version"]))
    assert result.stdout.strip() == f"pytake {__version__}"


def _subcommands(command: Any) -> dict[str, Any]:
    """A group's commands (typer vendors click, so no isinstance against ``click.Group``)."""
    return dict(getattr(command, "commands", None) or {})


def _command_paths() -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        paths.append(path)
        for name, sub in _subcommands(command).items():
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return paths


COMMAND_PATHS = _command_paths()


def test_every_group_is_present() -> None:
    assert {
        ("config", "show"),
        ("migrate", "status"),
        ("migrate", "up"),
        ("tenant", "create"),
        ("tenant", "list"),
        ("user", "add"),
        ("user", "list"),
        ("user", "passwd"),
        ("user", "disable"),
        ("token", "create"),
        ("token", "list"),
        ("token", "revoke"),
        ("daemon",),
        ("tui",),
    } <= set(COMMAND_PATHS)


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=lambda p: " ".join(p) or "pytake")
def test_help(path: tuple[str, ...]) -> None:
    result = ok(runner.invoke(app, [*path, "--help"]))
    assert "Usage:" in result.stdout
    assert "Traceback" not in result.output
    command: Any = typer.main.get_command(app)
    for name in path:
        command = _subcommands(command)[name]
    for sub in _subcommands(command):
        assert sub in result.stdout, f"{sub} missing from the help of {' '.join(path)}"


def test_invalid_config_file_names_the_field(env: Env, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[server]\nport = "abc"\n', encoding="utf-8")
    line = one_error_line(cli(env, "--config", str(bad), "config", "show"), code=2)
    assert "server.port" in line
    assert str(bad) in line


def test_missing_config_file(env: Env, tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    line = one_error_line(cli(env, "--config", str(missing), "config", "show"), code=2)
    assert "not found" in line


def test_config_show_masks_secrets(env: Env, settings: Settings) -> None:
    result = cli(env, "config", "show", "--json")
    shown = as_json(result)
    assert shown["database"]["url"] == MASK
    assert shown["database"]["admin_url"] == MASK
    assert shown["redis"]["url"] == MASK
    assert shown["redis"]["key_prefix"] == settings.redis.key_prefix
    assert shown["state_dir"] == str(settings.state_dir)
    for name in ("PYTAKE_DATABASE__URL", "PYTAKE_DATABASE__ADMIN_URL", "PYTAKE_REDIS__URL"):
        value = env[name]
        assert value
        assert value not in result.stdout


# --- migrations --------------------------------------------------------------------------------


def test_migrate_status(env: Env) -> None:
    states = as_json(cli(env, "migrate", "status", "--json"))
    by_version = {s["version"]: s for s in states}
    first = by_version[1]
    assert first["name"] == "foundation"
    assert first["applied_at"] is not None
    assert first["known"] is True
    assert first["checksum_matches"] is True
    assert max(by_version) == migrations.latest_version()
    assert all(s["applied_at"] is not None for s in states)


def test_migrate_up_when_up_to_date(env: Env) -> None:
    result = ok(cli(env, "migrate", "up"))
    assert "schema is up to date" in result.stdout
    assert "applied" not in result.stdout


def test_migrate_up_sql_when_up_to_date(env: Env) -> None:
    result = ok(cli(env, "migrate", "up", "--sql"))
    assert result.stdout.strip() == "-- nothing to apply: the schema is up to date"


# --- tenants -----------------------------------------------------------------------------------


def test_tenant_create_and_list(env: Env) -> None:
    slug = unique_slug()
    created = TenantOut.model_validate(
        as_json(cli(env, "tenant", "create", slug, "--name", "Acme Ltd", "--json"))
    )
    assert (created.slug, created.name) == (slug, "Acme Ltd")
    listed = [TenantOut.model_validate(t) for t in as_json(cli(env, "tenant", "list", "--json"))]
    assert created in listed
    # Human output mentions the tenant too.
    assert slug in ok(cli(env, "tenant", "list")).stdout


@pytest.mark.parametrize("slug", ["Bad_Slug", "-leading-dash", "a" * 64, "sp ace"])
def test_tenant_create_invalid_slug(env: Env, slug: str) -> None:
    line = one_error_line(cli(env, "tenant", "create", "--", slug))
    assert "invalid tenant slug" in line
    listed = as_json(cli(env, "tenant", "list", "--json"))
    assert slug not in {t["slug"] for t in listed}


def test_tenant_create_duplicate(env: Env) -> None:
    tenant = new_tenant(env)
    line = one_error_line(cli(env, "tenant", "create", tenant.slug))
    assert "already exists" in line
    listed = as_json(cli(env, "tenant", "list", "--json"))
    assert [t["slug"] for t in listed].count(tenant.slug) == 1


# --- users -------------------------------------------------------------------------------------


def test_user_add_and_list(env: Env) -> None:
    tenant = new_tenant(env)
    admin = UserOut.model_validate(
        as_json(
            cli(
                env,
                "user", "add", f"Admin@{tenant.slug}.test",
                "--tenant", tenant.slug,
                "--role", "admin",
                "--name", "The Admin",
                "--password", PASSWORD,
                "--json",
            )
        )
    )  # fmt: skip
    assert (admin.email, admin.name, admin.role, admin.disabled) == (
        f"admin@{tenant.slug}.test",
        "The Admin",
        Role.ADMIN,
        False,
    )
    # The password may come from the environment instead (and the tenant by id).
    agent = UserOut.model_validate(
        as_json(
            cli(
                env,
                "user", "add", f"agent@{tenant.slug}.test", "--tenant", str(tenant.id), "--json",
                PYTAKE_USER_PASSWORD=PASSWORD,
            )
        )
    )  # fmt: skip
    assert agent.role is Role.AGENT
    listed = [
        UserOut.model_validate(u)
        for u in as_json(cli(env, "user", "list", "--tenant", tenant.slug, "--json"))
    ]
    assert listed == [admin, agent]

    line = one_error_line(
        cli(env, "user", "add", admin.email, "--tenant", tenant.slug, "--password", PASSWORD)
    )
    assert "already exists" in line


def test_user_add_short_password(env: Env) -> None:
    tenant = new_tenant(env)
    line = one_error_line(
        cli(env, "user", "add", f"a@{tenant.slug}.test", "-t", tenant.slug, "--password", "short")
    )
    assert "password" in line
    assert as_json(cli(env, "user", "list", "--tenant", tenant.slug, "--json")) == []


def test_user_commands_need_an_existing_tenant(env: Env) -> None:
    line = one_error_line(cli(env, "user", "list", "--tenant", unique_slug()))
    assert "no tenant" in line


def test_tenant_scoped_commands_stay_in_their_tenant(env: Env) -> None:
    """The CLI works on the owner connection, which bypasses row-level security: the tenant given
    must still be the only one a command sees or changes, even for an e-mail both tenants have."""
    home, neighbour = new_tenant(env), new_tenant(env)
    email = f"boss-{uuid.uuid4().hex[:8]}@example.test"
    users: dict[str, UserOut] = {}
    for tenant in (home, neighbour):
        result = cli(
            env, "user", "add", email, "-t", tenant.slug, "--role", "owner", "--json",
            PYTAKE_USER_PASSWORD=PASSWORD,
        )  # fmt: skip
        users[tenant.slug] = UserOut.model_validate(as_json(result))

    listed = as_json(cli(env, "user", "list", "-t", home.slug, "--json"))
    assert [u["id"] for u in listed] == [str(users[home.slug].id)]

    # The neighbour's owner doesn't make home's owner any less the last one.
    line = one_error_line(cli(env, "user", "disable", email, "-t", home.slug))
    assert "last active owner" in line

    created = TokenCreated.model_validate(
        as_json(cli(env, "token", "create", "-t", neighbour.slug, "-u", email, "--json"))
    )
    assert created.info.user_id == users[neighbour.slug].id
    assert as_json(cli(env, "token", "list", "-t", home.slug, "--all", "--json")) == []
    line = one_error_line(cli(env, "token", "revoke", str(created.info.id), "-t", home.slug))
    assert "no live token" in line
    live = as_json(cli(env, "token", "list", "-t", neighbour.slug, "--json"))
    assert [t["id"] for t in live] == [str(created.info.id)]

    # A password change in one tenant leaves the same e-mail's account in the other alone.
    ok(cli(env, "user", "passwd", email, "-t", home.slug, "--password", NEW_PASSWORD))
    live = as_json(cli(env, "token", "list", "-t", neighbour.slug, "--json"))
    assert [t["id"] for t in live] == [str(created.info.id)]


# --- against the API ---------------------------------------------------------------------------


async def _login(
    api: ApiClient, tenant: TenantOut, email: str, password: str, headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    resp = await api.post(
        "/api/v1/auth/login",
        json={"email": email, "password": password, "tenant": tenant.slug},
        headers=headers,
    )
    body: dict[str, Any] = await resp.json()
    return resp.status, body


async def test_user_passwd_and_disable_end_logins(
    env: Env, proxied_api: ApiClient, from_ip: dict[str, str]
) -> None:
    tenant = TenantOut.model_validate(
        json.loads(ok(await acli(env, "tenant", "create", unique_slug(), "--json")).stdout)
    )
    email = f"alice@{tenant.slug}.test"
    ok(await acli(env, "user", "add", email, "-t", tenant.slug, "--password", PASSWORD))
    status, body = await _login(proxied_api, tenant, email, PASSWORD, from_ip)
    assert status == 200, body
    session = {"Authorization": f"Bearer {body['token']}"}

    result = ok(
        await acli(env, "user", "passwd", email, "-t", tenant.slug, "--password", NEW_PASSWORD)
    )
    assert "revoked" in result.stdout
    assert (await proxied_api.get("/api/v1/auth/me", headers=session)).status == 401
    status, body = await _login(proxied_api, tenant, email, PASSWORD, from_ip)
    assert (status, body["detail"]) == (401, "wrong e-mail or password")
    status, body = await _login(proxied_api, tenant, email, NEW_PASSWORD, from_ip)
    assert status == 200, body
    session = {"Authorization": f"Bearer {body['token']}"}

    result = ok(await acli(env, "user", "disable", email, "-t", tenant.slug))
    assert "disabled" in result.stdout
    assert (await proxied_api.get("/api/v1/auth/me", headers=session)).status == 401
    status, body = await _login(proxied_api, tenant, email, NEW_PASSWORD, from_ip)
    assert (status, body["detail"]) == (401, "wrong e-mail or password")
    listed = json.loads(ok(await acli(env, "user", "list", "-t", tenant.slug, "--json")).stdout)
    assert [(u["email"], u["disabled"]) for u in listed] == [(email, True)]

    ok(await acli(env, "user", "disable", email, "-t", tenant.slug, "--enable"))
    status, body = await _login(proxied_api, tenant, email, NEW_PASSWORD, from_ip)
    assert status == 200, body

    line = one_error_line(
        await acli(env, "user", "passwd", email, "-t", tenant.slug, "--password", "short")
    )
    assert "password" in line


async def test_last_owner_cannot_be_disabled_from_the_cli(env: Env) -> None:
    tenant = TenantOut.model_validate(
        json.loads(ok(await acli(env, "tenant", "create", unique_slug(), "--json")).stdout)
    )
    email = f"owner@{tenant.slug}.test"
    ok(
        await acli(
            env, "user", "add", email, "-t", tenant.slug, "--role", "owner", "--password", PASSWORD
        )
    )
    line = one_error_line(await acli(env, "user", "disable", email, "-t", tenant.slug))
    assert "last active owner" in line


async def test_token_create_list_revoke(env: Env, api: ApiClient) -> None:
    tenant = TenantOut.model_validate(
        json.loads(ok(await acli(env, "tenant", "create", unique_slug(), "--json")).stdout)
    )
    email = f"bot@{tenant.slug}.test"
    ok(
        await acli(
            env,
            "user",
            "add",
            email,
            "-t",
            tenant.slug,
            "--role",
            "supervisor",
            "--password",
            PASSWORD,
        )
    )

    created = TokenCreated.model_validate(
        json.loads(
            ok(
                await acli(
                    env, "token", "create", "-t", tenant.slug, "-u", email, "--name", "ci", "--json"
                )
            ).stdout
        )
    )
    assert (created.info.kind, created.info.name) == ("api", "ci")
    headers = {"Authorization": f"Bearer {created.token}"}
    resp = await api.get("/api/v1/auth/me", headers=headers)
    assert resp.status == 200
    me = Me.model_validate(await resp.json())
    assert (me.email, me.role, me.tenant_id, me.token_id) == (
        email,
        Role.SUPERVISOR,
        tenant.id,
        created.info.id,
    )

    listed = [
        TokenOut.model_validate(t)
        for t in json.loads(
            ok(await acli(env, "token", "list", "-t", tenant.slug, "--json")).stdout
        )
    ]
    assert [t.id for t in listed] == [created.info.id]

    result = ok(await acli(env, "token", "revoke", str(created.info.id), "-t", tenant.slug))
    assert str(created.info.id) in result.stdout
    assert (await api.get("/api/v1/auth/me", headers=headers)).status == 401
    live = json.loads(ok(await acli(env, "token", "list", "-t", tenant.slug, "--json")).stdout)
    assert live == []
    everything = json.loads(
        ok(await acli(env, "token", "list", "-t", tenant.slug, "--all", "--json")).stdout
    )
    assert [(t["id"], t["revoked_at"] is not None) for t in everything] == [
        (str(created.info.id), True)
    ]

    # Revoking again, or something that isn't an id, fails in one line.
    line = one_error_line(
        await acli(env, "token", "revoke", str(created.info.id), "-t", tenant.slug)
    )
    assert "no live token" in line
    line = one_error_line(await acli(env, "token", "revoke", "not-an-id", "-t", tenant.slug))
    assert "not a token id" in line
    line = one_error_line(
        await acli(env, "token", "create", "-t", tenant.slug, "-u", f"ghost@{tenant.slug}.test")
    )
    assert "no user" in line
