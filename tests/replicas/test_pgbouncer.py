"""The package's replicas reach PostgreSQL through PgBouncer in transaction mode (conftest.py),
so every replica and fault test here runs behind it; this module checks that they really do,
and why ``database.statement_cache_size = 0`` is needed there."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import asyncpg
import pytest

from pytake_daemon.db.pool import create_pool
from tests.conftest import APP_ROLE
from tests.replicas.pgbouncer import PgBouncer
from tests.replicas.support import Replicas

pytestmark = pytest.mark.xdist_group("replicas")


@pytest.fixture
def running_bouncer(bouncer: PgBouncer | None) -> PgBouncer:
    if bouncer is None:
        pytest.skip(
            "pgbouncer is not installed (Debian package 'pgbouncer', which scripts/bootstrap.sh "
            "installs where it can): the replica tests ran with the daemons straight on PostgreSQL"
        )
    return bouncer


async def test_the_replicas_connect_through_pgbouncer(
    running_bouncer: PgBouncer, replicas: Replicas
) -> None:
    for env in replicas.envs:
        url = urlsplit(env["PYTAKE_DATABASE__URL"])
        assert (url.hostname, url.port) == ("127.0.0.1", running_bouncer.port)
        assert env["PYTAKE_DATABASE__STATEMENT_CACHE_SIZE"] == "0"
    log = (running_bouncer.directory / "pgbouncer.log").read_text()
    assert f"login attempt: db=pytake user={APP_ROLE}" in log


async def failures(pool: asyncpg.Pool, queries: int) -> list[str]:
    """Run queries side by side (each a statement of its own, outside a transaction)."""
    found: list[str] = []

    async def one(i: int) -> None:
        try:
            async with pool.acquire() as conn:
                await conn.fetchval(f"SELECT $1::int + {i % 7}", i)
        except asyncpg.PostgresError as exc:
            found.append(f"{type(exc).__name__}: {exc}")

    await asyncio.gather(*(one(i) for i in range(queries)))
    return found


async def test_prepared_statements_need_the_cache_off_behind_pgbouncer(
    running_bouncer: PgBouncer,
) -> None:
    dsn = running_bouncer.dsn(APP_ROLE, "pytake")
    cached = await create_pool(dsn, min_size=4, max_size=4)
    try:
        broken = await failures(cached, 400)
    finally:
        await cached.close()
    # asyncpg's named statements live on one server connection; PgBouncer hands the next
    # transaction another one.
    assert broken, "asyncpg's statement cache worked through PgBouncer's transaction mode"
    assert "prepared statement" in broken[0]

    uncached = await create_pool(dsn, min_size=4, max_size=4, statement_cache_size=0)
    try:
        assert await failures(uncached, 400) == []
    finally:
        await uncached.close()
