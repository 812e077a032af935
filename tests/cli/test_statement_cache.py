"""``database.statement_cache_size`` reaches every connection the CLI opens, as it reaches the
daemon's pool: behind PgBouncer in transaction mode it must be 0 (docs/operations.md), since
asyncpg's named prepared statements live on one server connection and PgBouncer hands the next
transaction another. The commands here run through Debian's PgBouncer in front of this session's
PostgreSQL (the replica tests' ``PgBouncer``), with the owner's URL straight to PostgreSQL, as
docs/operations.md sets them up."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner, Result

from pytake_cli.context import Backend, perform
from pytake_cli.main import app
from pytake_daemon.config import DatabaseSettings, Settings
from tests.cli.conftest import Env
from tests.conftest import APP_ROLE, Servers
from tests.replicas.pgbouncer import PgBouncer, pgbouncer_binary
from tests.support import free_port, short_tmpdir

_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[")
_OURS = "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE '__asyncpg_stmt_%'"


@pytest.fixture(scope="module")
def bouncer(servers: Servers) -> Iterator[PgBouncer]:
    binary = pgbouncer_binary()
    if binary is None:
        pytest.skip("pgbouncer is not installed (Debian package 'pgbouncer', bootstrap.sh)")
    if servers.stack is None or servers.stack.postgres is None:
        pytest.skip("the session's PostgreSQL is not the embedded one PgBouncer can sit before")
    root = short_tmpdir("ptc-")
    bouncer = PgBouncer(root / "pgbouncer", servers.stack.postgres, [APP_ROLE, "postgres"])
    try:
        bouncer.start(binary)
        yield bouncer
    finally:
        bouncer.stop()
        shutil.rmtree(root, ignore_errors=True)


def _database(settings: Settings) -> str:
    assert settings.database.admin_url is not None
    return urlsplit(settings.database.admin_url.get_secret_value()).path.lstrip("/")


@pytest.fixture
def bounced_env(cli_env: Env, bouncer: PgBouncer, settings: Settings) -> Env:
    return {
        **cli_env,
        "PYTAKE_DATABASE__URL": bouncer.dsn(APP_ROLE, _database(settings)),
        "PYTAKE_DATABASE__STATEMENT_CACHE_SIZE": "0",
        # The doctor's outbound check resolves the Graph API's host: no outside network here.
        "PYTAKE_WHATSAPP__GRAPH_BASE_URL": f"http://127.0.0.1:{free_port()}",
    }


def _ok(env: Env, *args: str) -> Result:
    result = CliRunner().invoke(app, list(args), env=env)
    assert "Traceback" not in result.output
    assert result.exit_code == 0, f"{args}: exit {result.exit_code}: {result.output}"
    return result


def _json(result: Result) -> Any:
    return json.loads("\n".join(x for x in result.stdout.splitlines() if not _LOG_LINE.match(x)))


def test_the_cli_works_through_pgbouncer_with_the_cache_off(
    bounced_env: Env, bouncer: PgBouncer
) -> None:
    slug = f"bouncer-{uuid.uuid4().hex[:8]}"
    _ok(bounced_env, "tenant", "create", slug)  # the owner, straight to PostgreSQL
    _ok(bounced_env, "user", "add", "a@example.com", "-t", slug, "--password", "x" * 12)
    users = _json(_ok(bounced_env, "user", "list", "-t", slug, "--json"))  # through PgBouncer
    assert [u["email"] for u in users] == ["a@example.com"]
    _ok(bounced_env, "queues", "create", "Support", "-t", slug)
    _ok(bounced_env, "queues", "list", "-t", slug)
    assert _json(_ok(bounced_env, "migrate", "status", "--json"))
    doctor = _ok(bounced_env, "doctor", "--tenant", slug, "--json")
    checks = {c["name"]: c for c in _json(doctor)["checks"]}
    assert checks["database"]["status"] == "passed", checks["database"]
    assert checks["clock"]["status"] == "passed", checks["clock"]
    log = (bouncer.directory / "pgbouncer.log").read_text()
    assert f"login attempt: db={_database_of(bounced_env)} user={APP_ROLE}" in log


def _database_of(env: Env) -> str:
    url = env["PYTAKE_DATABASE__URL"]
    assert url is not None
    return urlsplit(url).path.lstrip("/")


async def _named_statements(backend: Backend, slug: str) -> list[int]:
    """asyncpg's named statements on the server connection of a tenant transaction, and of a
    plain connection in a transaction of its own, after each ran a query with a parameter."""
    counts = []
    async with backend.tenant(slug) as conn:
        await conn.fetchval("SELECT $1::int + 1", 1)
        counts.append(await conn.fetchval(_OURS))
    assert backend.endpoints.admin_dsn is not None
    plain = await backend.connect(backend.endpoints.admin_dsn.get_secret_value())
    try:
        async with plain.transaction():
            await plain.fetchval("SELECT $1::int + 1", 1)
            counts.append(await plain.fetchval(_OURS))
    finally:
        await plain.close()
    return counts


def _with(settings: Settings, *, url: str | None, statement_cache_size: int) -> Settings:
    database = settings.database.model_copy(
        update={
            "url": SecretStr(url) if url else settings.database.url,
            "statement_cache_size": statement_cache_size,
        }
    )
    assert isinstance(database, DatabaseSettings)
    return settings.model_copy(update={"database": database})


def test_every_cli_connection_takes_the_setting(
    cli_env: Env, bouncer: PgBouncer, settings: Settings
) -> None:
    slug = f"cache-{uuid.uuid4().hex[:8]}"
    _ok(cli_env, "tenant", "create", slug)

    def statements(cfg: Settings) -> list[int]:
        return perform(lambda backend: _named_statements(backend, slug), cfg=cfg)

    # Straight to PostgreSQL, asyncpg's default cache names its statements (the query's and
    # the codecs' introspection)...
    assert all(statements(_with(settings, url=None, statement_cache_size=100)))
    # ...and with the setting at 0 it names none, through PgBouncer too.
    assert statements(_with(settings, url=None, statement_cache_size=0)) == [0, 0]
    bounced = bouncer.dsn(APP_ROLE, _database(settings))
    assert statements(_with(settings, url=bounced, statement_cache_size=0)) == [0, 0]
