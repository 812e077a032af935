"""Session-wide servers and a fresh database; per-test apps and tenants.

Servers: ``PYTAKE_TEST_POSTGRES_URL`` / ``PYTAKE_TEST_REDIS_URL`` when given, otherwise the same
embedded stack the daemon uses. Either way each session creates its own database (and Redis key
prefix), and every test creates its own tenants, so tests never depend on each other's data.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from pytake_daemon.app import create_app
from pytake_daemon.auth.passwords import Passwords
from pytake_daemon.config import AuthSettings, LoggingSettings, Settings
from pytake_daemon.db import migrations
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection, connect
from pytake_daemon.embedded import EmbeddedPostgres, EmbeddedRedis, EmbeddedStack
from pytake_daemon.logs import configure_logging
from pytake_i18n import get_language, set_language
from tests.message_path_history import History, build_history
from tests.support import (
    ENV_POSTGRES,
    ENV_REDIS,
    PASSWORD,
    TenantData,
    create_tenant,
    make_settings,
    secret,
    short_tmpdir,
    unique_ip,
    with_database,
    with_user,
)

APP_ROLE = "pytake_app"

ApiClient = TestClient[web.Request, web.Application]


def pytest_configure(config: pytest.Config) -> None:
    # As the daemon does: logs to stderr. structlog's default prints to whatever sys.stdout is
    # at the moment, and while a CLI test's CliRunner has swapped it, any app's sender retrying
    # a leftover send of the shared database would write into the command's --json answer.
    configure_logging(LoggingSettings(level="info", format="console"))
    # Trained intent models (pytake_daemon/ai/model_cache.py) go in the repository's ignored
    # .pytest_cache, shared by the workers and the daemons the tests start, not the user's
    # ~/.cache: the suite fits the built-in model once, not once a process.
    os.environ.setdefault("XDG_CACHE_HOME", str(config.rootpath / ".pytest_cache" / "xdg"))


@dataclass(frozen=True)
class Servers:
    superuser_dsn: str
    redis_url: str
    stack: EmbeddedStack | None


@pytest.fixture(autouse=True)
def _process_language_restored() -> Iterator[None]:
    """``--lang`` and the console set the process's language (``set_language``): a test that
    ran the CLI in Portuguese left every later test of its worker reading Portuguese (nine CLI
    tests failed on "erro:" after the config-import test's pt_BR run). Each test gets the
    language back as it found it."""
    before = get_language()
    yield
    set_language(before)


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    postgres_url = os.environ.get(ENV_POSTGRES)
    redis_url = os.environ.get(ENV_REDIS)
    if postgres_url and redis_url:
        yield Servers(postgres_url, redis_url, None)
        return
    root = short_tmpdir("ptk-")
    stack = EmbeddedStack(
        root,
        postgres=None if postgres_url else EmbeddedPostgres(root, database="postgres"),
        redis=None if redis_url else EmbeddedRedis(root),
    )
    stack.start()
    try:
        yield Servers(
            postgres_url or _embedded(stack.postgres).dsn("postgres"),
            redis_url or _embedded(stack.redis).url,
            stack,
        )
    finally:
        stack.stop()
        shutil.rmtree(root, ignore_errors=True)


S = TypeVar("S")


def _embedded(server: S | None) -> S:
    assert server is not None, "started above when no URL was given"
    return server


@contextlib.contextmanager
def _own_database(servers: Servers, prefix: str) -> Iterator[Endpoints]:
    """A database of our own, migrated from empty, dropped at the end."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"

    async def create() -> None:
        conn = await asyncpg.connect(servers.superuser_dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        admin = await connect(with_database(servers.superuser_dsn, name))
        try:
            await migrations.upgrade(admin, APP_ROLE)
        finally:
            await admin.close()

    async def drop() -> None:
        conn = await asyncpg.connect(servers.superuser_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(create())
    admin_dsn = with_database(servers.superuser_dsn, name)
    try:
        yield Endpoints(
            app_dsn=secret(with_user(admin_dsn, APP_ROLE)),
            admin_dsn=secret(admin_dsn),
            redis_url=secret(servers.redis_url),
            app_role=APP_ROLE,
        )
    finally:
        asyncio.run(drop())


@pytest.fixture(scope="session")
def endpoints(servers: Servers) -> Iterator[Endpoints]:
    """A database of our own for this session, migrated from empty."""
    with _own_database(servers, "pytake_test") as own:
        yield own


@pytest.fixture(scope="session")
def settings(endpoints: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(
        endpoints,
        prefix=f"pytake-test-{uuid.uuid4().hex[:8]}:",
        state_dir=tmp_path_factory.mktemp("state"),
    )


@pytest.fixture(scope="session")
def password_hash() -> str:
    # Hashed once: argon2id at OWASP cost is deliberately slow.
    return Passwords(AuthSettings()).hash_sync(PASSWORD)


@pytest.fixture(scope="session")
def history(servers: Servers, password_hash: str) -> Iterator[History]:
    """The tenant with 100,000 messages that the plan tests read (tests/message_path_history.py),
    seeded once per session: seeding is most of those tests' time. Tests that use it carry
    ``pytest.mark.xdist_group("history")``, so one xdist worker seeds it and runs them all.

    In a database of its own: the planner's statistics then describe the seeded month alone.
    In the session's database every other test's rows, nearly all made "now", joined them, and
    with 10,000 such attendances a day's report was planned as if it held much of the table
    (tests/reports/test_plans.py failed on a busy run). Its tests connect there through
    ``history_admin_conn``/``history_app_conn`` (imported by their modules)."""
    with _own_database(servers, "pytake_history") as own:
        yield asyncio.run(build_history(own, password_hash))


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    """A client of the session's Redis."""
    assert settings.redis.url is not None
    client = Redis.from_url(settings.redis.url.get_secret_value())
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def admin_conn(endpoints: Endpoints) -> AsyncIterator[Connection]:
    assert endpoints.admin_dsn is not None
    conn = await connect(endpoints.admin_dsn.get_secret_value())
    yield conn
    await conn.close()


@pytest.fixture
async def app_conn(endpoints: Endpoints) -> AsyncIterator[Connection]:
    conn = await connect(endpoints.app_dsn.get_secret_value())
    yield conn
    await conn.close()


MakeTenant = Callable[[], Awaitable[TenantData]]


@pytest.fixture
def make_tenant(admin_conn: Connection, password_hash: str) -> MakeTenant:
    async def make() -> TenantData:
        return await create_tenant(admin_conn, password_hash)

    return make


@pytest.fixture
async def api(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
) -> ApiClient:
    return await aiohttp_client(create_app(settings, endpoints))


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture
async def proxied_api(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
) -> ApiClient:
    """The app, trusting X-Forwarded-For from the test client (127.0.0.1).

    Login throttling counts failures per client address; tests that log in pair this with
    ``from_ip`` so no two tests share a counter.
    """
    server = settings.server.model_copy(update={"trusted_proxies": ["127.0.0.1"]})
    return await aiohttp_client(
        create_app(settings.model_copy(update={"server": server}), endpoints)
    )


@pytest.fixture
def from_ip() -> dict[str, str]:
    """Headers that make ``proxied_api`` see an address of the IPv6 documentation prefix that
    no other test uses."""
    return {"X-Forwarded-For": unique_ip()}
