"""The asyncpg pool and tenant-scoped transactions."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg
import orjson

if TYPE_CHECKING:
    # asyncpg's classes are generic only in asyncpg-stubs.
    from asyncpg.pool import PoolConnectionProxy

    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
    Pool: TypeAlias = asyncpg.Pool[asyncpg.Record]
else:
    Connection = asyncpg.Connection
    Pool = asyncpg.Pool


async def _init_connection(conn: Connection) -> None:
    # JSONB columns arrive as Python objects and are written from them; orjson because the
    # webhook path moves a lot of JSON.
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda value: orjson.dumps(value).decode(),
        decoder=orjson.loads,
        schema="pg_catalog",
    )
    await conn.set_type_codec(
        "json",
        encoder=lambda value: orjson.dumps(value).decode(),
        decoder=orjson.loads,
        schema="pg_catalog",
    )


async def create_pool(
    dsn: str, *, min_size: int = 2, max_size: int = 10, command_timeout: float = 30.0
) -> Pool:
    """Open a pool whose connections speak JSON natively."""
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        command_timeout=command_timeout,
        init=_init_connection,
        server_settings={"application_name": "pytake"},
    )
    assert pool is not None
    return pool


async def connect(dsn: str, **kwargs: Any) -> Connection:
    """One connection with the same codecs as the pool's (CLI and migrations)."""
    conn: Connection = await asyncpg.connect(dsn, **kwargs)
    await _init_connection(conn)
    return conn


_SET_TENANT = "SELECT set_config('pytake.tenant_id', $1, true)"


@asynccontextmanager
async def tenant_transaction(pool: Pool, tenant_id: uuid.UUID) -> AsyncIterator[Connection]:
    """A transaction in which row-level security shows only ``tenant_id``'s rows.

    ``set_config(..., true)`` is ``SET LOCAL``: it ends with the transaction, so a pooled
    connection never carries one tenant's setting into the next borrower's work.
    """
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(_SET_TENANT, str(tenant_id))
        yield conn


async def set_tenant(conn: Connection, tenant_id: uuid.UUID) -> None:
    """Scope the current transaction of ``conn`` to a tenant (the caller owns the transaction)."""
    await conn.execute(_SET_TENANT, str(tenant_id))
