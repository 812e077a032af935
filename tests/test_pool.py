"""The pool returns connections without a reset round trip, which is only safe while sessions
keep no state beyond their transactions: proven on the server, and kept so by reading the
source for session-level state on pooled connections."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import (
    Connection,
    Pool,
    connect,
    create_pool,
    set_tenant,
    tenant_transaction,
)
from tests.conftest import MakeTenant

DAEMON = Path(__file__).resolve().parent.parent / "pytake_daemon"

# Session-level state a pooled connection would carry to its next borrower, now that nothing
# resets it on release.
_SESSION_STATE = re.compile(
    # SQL keywords as this code base writes them (upper case); functions in any case.
    r"(?i:pg_advisory_lock\(|pg_try_advisory_lock\(|add_listener\(|set_config\([^)]*,\s*false\))"
    r"|\bLISTEN\b|[\"']\s*SET\s+(?!LOCAL\b)|[\"']\s*RESET\b|\bWITH HOLD\b"
)
# These take session-level locks on connections of their own (never the pool's): the migration
# runner's lock and the backup scheduler's "one replica runs this slot" lock.
_OWN_CONNECTIONS = {"db/migrations.py", "backups/scheduler.py"}


@pytest.fixture
async def pool(endpoints: Endpoints) -> AsyncIterator[Pool]:
    # One connection, so each acquire gets the one the previous borrower released.
    pool = await create_pool(endpoints.app_dsn.get_secret_value(), min_size=1, max_size=1)
    yield pool
    await pool.close()


async def test_release_sends_no_reset_query(pool: Pool, admin_conn: Connection) -> None:
    async with pool.acquire() as conn:
        pid: int = await conn.fetchval("SELECT pg_backend_pid() /* last before release */")
    # pg_stat_activity shows each backend's latest statement: asyncpg's default reset would be
    # there ("SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;").
    last = await admin_conn.fetchval("SELECT query FROM pg_stat_activity WHERE pid = $1", pid)
    assert last == "SELECT pg_backend_pid() /* last before release */"


async def test_a_connection_released_inside_a_transaction_is_rolled_back(
    pool: Pool, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    async with pool.acquire() as conn:
        # A transaction left open (not a managed one): asyncpg still rolls it back on release.
        await conn.execute("BEGIN")
        await conn.execute("SELECT set_config('pytake.tenant_id', $1, true)", str(tenant.id))
        pid = await conn.fetchval("SELECT pg_backend_pid()")
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT pg_backend_pid()") == pid
        assert not conn.is_in_transaction()
        assert await conn.fetchval("SELECT current_setting('pytake.tenant_id', true)") in {"", None}


async def test_the_tenant_setting_never_outlives_its_transaction(
    pool: Pool, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    async with tenant_transaction(pool, tenant.id) as conn:
        assert await conn.fetchval("SELECT current_tenant_id()") == tenant.id
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT current_tenant_id()") is None


async def test_a_tenant_transaction_costs_no_round_trip_for_its_scope(
    pool: Pool, make_tenant: MakeTenant
) -> None:
    tenant, other = await make_tenant(), await make_tenant()
    sent: list[str] = []
    async with pool.acquire() as conn:
        conn.add_query_logger(lambda logged: sent.append(logged.query))
    async with tenant_transaction(pool, tenant.id) as conn:
        assert await conn.fetchval("SELECT current_tenant_id()") == tenant.id
    assert sent == [
        f"BEGIN; SELECT set_config('pytake.tenant_id', '{tenant.id}', true);",
        "SELECT current_tenant_id()",
        "COMMIT;",
    ]
    # A block that fails rolls back and leaves nothing waiting for the next borrower's BEGIN.
    with pytest.raises(ZeroDivisionError):
        async with tenant_transaction(pool, tenant.id):
            raise ZeroDivisionError
    async with tenant_transaction(pool, other.id) as conn:
        assert await conn.fetchval("SELECT current_tenant_id()") == other.id
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT current_tenant_id()") is None


async def test_a_stage_transaction_keeps_its_statements_generic_plans_for_itself_only(
    pool: Pool, endpoints: Endpoints, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    probe = "SELECT count(*) FROM messages WHERE tenant_id = current_tenant_id() AND id = ANY($1)"
    sent: list[str] = []
    async with pool.acquire() as conn:
        conn.add_query_logger(lambda logged: sent.append(logged.query))
    async with tenant_transaction(pool, tenant.id, generic_plans=True) as conn:
        for _ in range(3):
            assert await conn.fetchval(probe, [uuid.uuid4()]) == 0
        plans = await conn.fetchrow(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1",
            probe,
        )
    # In the BEGIN's round trip, with the tenant; PostgreSQL never planned for the values.
    assert sent[0] == (
        f"BEGIN; SELECT set_config('pytake.tenant_id', '{tenant.id}', true), "
        "set_config('plan_cache_mode', 'force_generic_plan', true);"
    )
    assert plans is not None
    assert plans["custom_plans"] == 0
    assert plans["generic_plans"] >= 1
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT current_setting('plan_cache_mode')") == "auto"
    # A connection of its own (no BEGIN to ride on) gets the same from set_tenant.
    own = await connect(endpoints.app_dsn.get_secret_value())
    try:
        async with own.transaction():
            await set_tenant(own, tenant.id, generic_plans=True)
            assert await own.fetchval("SELECT current_setting('plan_cache_mode')") == (
                "force_generic_plan"
            )
            assert await own.fetchval("SELECT current_tenant_id()") == tenant.id
        assert await own.fetchval("SELECT current_setting('plan_cache_mode')") == "auto"
    finally:
        await own.close()


async def test_a_broken_connection_is_replaced(pool: Pool, admin_conn: Connection) -> None:
    async with pool.acquire() as conn:
        pid = await conn.fetchval("SELECT pg_backend_pid()")
        await admin_conn.execute("SELECT pg_terminate_backend($1)", pid)
        deadline = asyncio.get_running_loop().time() + 10
        while not _closed(conn):
            assert asyncio.get_running_loop().time() < deadline, "the server's close unseen"
            await asyncio.sleep(0.01)
    # Closed by the server: the pool drops it and opens a new connection.
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT pg_backend_pid()") != pid
        assert await conn.fetchval("SELECT 1") == 1


def _closed(conn: Connection) -> bool:
    try:
        return conn.is_closed()
    except asyncpg.InterfaceError:
        return True  # asyncpg already handed it back to the pool as closed


def test_no_session_level_state_on_pooled_connections() -> None:
    offenders = []
    for path in sorted(DAEMON.rglob("*.py")):
        relative = path.relative_to(DAEMON).as_posix()
        if relative in _OWN_CONNECTIONS:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if _SESSION_STATE.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == [], (
        "session-level state on a pooled connection outlives the borrower now that release "
        "doesn't reset (db/pool.py PooledConnection): use SET LOCAL / set_config(..., true) / "
        "pg_advisory_xact_lock, or a connection of its own"
    )


def test_the_scan_finds_what_it_looks_for() -> None:
    for line in (
        'await conn.execute("SET statement_timeout = 0")',
        'await conn.fetchval("SELECT pg_advisory_lock($1)", key)',
        "await conn.execute(\"SELECT set_config('x', '1', false)\")",
        'await conn.execute("LISTEN jobs")',
    ):
        assert _SESSION_STATE.search(line), line
    for line in (
        'await conn.execute("SET LOCAL ROLE pytake_app")',
        "_SET_TENANT = \"SELECT set_config('pytake.tenant_id', $1, true)\"",
        '"SELECT pg_advisory_xact_lock($1)"',
        '    """Set when the customer replies"""',
    ):
        assert not _SESSION_STATE.search(line), line
