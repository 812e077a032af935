"""The asyncpg pool and tenant-scoped transactions."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
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


class PooledConnection(asyncpg.Connection):
    """A pool connection returned without a reset round trip.

    asyncpg resets a released connection with ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL`` (measured: 57 such round trips per echoed message). Our sessions keep no state
    that outlives a transaction: the tenant is ``set_config(..., true)`` (``SET LOCAL``),
    advisory locks are the ``_xact`` kind, cursors live inside transactions, nobody LISTENs on a
    pooled connection (the backup scheduler's session lock and the migrations' lock use
    connections of their own). ``tests/test_pool.py`` keeps it that way by reading the source.
    What a bad release needs still happens: asyncpg rolls back an open transaction before the
    (now empty) query, and terminates a connection that is closed, cancelling or fails that.
    """

    _begin_scope: str | None = None

    def get_reset_query(self) -> str:
        return ""

    def scope_next_begin(self, tenant_id: uuid.UUID, *, generic_plans: bool = False) -> None:
        """Make the next ``BEGIN`` also scope the transaction to ``tenant_id`` (and, with
        ``generic_plans``, keep its prepared statements' plans: see :func:`tenant_transaction`).

        asyncpg's ``Connection.transaction()`` sends ``BEGIN;`` on its own round trip, and
        every tenant transaction then needed another for ``set_config``: with five or six
        transactions per echoed message, one round trip in six was this. Both now go as one
        simple-protocol query. The id is inlined (a ``uuid.UUID``'s text: hex digits and
        dashes only), the only value ever inlined into SQL here.
        """
        scoped = uuid.UUID(str(tenant_id))
        settings = f"set_config('pytake.tenant_id', '{scoped}', true)"
        if generic_plans:
            settings += f", {_GENERIC_PLANS}"
        self._begin_scope = f"SELECT {settings};"

    async def execute(
        self,
        query: str,
        *args: Any,
        timeout: float | None = None,  # noqa: ASYNC109 - asyncpg's signature, overridden
    ) -> str:
        scope, self._begin_scope = self._begin_scope, None
        if scope is not None and not args and query == "BEGIN;":
            query = f"BEGIN; {scope}"
        elif scope is not None:
            raise RuntimeError(f"a tenant scope was waiting for BEGIN, not {query!r}")
        result: str = await super().execute(query, *args, timeout=timeout)
        return result


async def create_pool(
    dsn: str,
    *,
    min_size: int = 2,
    max_size: int = 10,
    command_timeout: float = 30.0,
    statement_cache_size: int = 100,
    application_name: str = "pytake",
) -> Pool:
    """Open a pool whose connections speak JSON natively."""
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        command_timeout=command_timeout,
        statement_cache_size=statement_cache_size,
        init=_init_connection,
        server_settings={"application_name": application_name},
        connection_class=PooledConnection,
    )
    assert pool is not None
    return pool


async def connect(dsn: str, **kwargs: Any) -> Connection:
    """One connection with the same codecs as the pool's (CLI and migrations)."""
    conn: Connection = await asyncpg.connect(dsn, **kwargs)
    await _init_connection(conn)
    return conn


# ``plan_cache_mode`` for this transaction only (``SET LOCAL``): see tenant_transaction.
_GENERIC_PLANS = "set_config('plan_cache_mode', 'force_generic_plan', true)"
_SET_TENANT = "SELECT set_config('pytake.tenant_id', $1, true)"
_SET_TENANT_GENERIC = f"{_SET_TENANT}, {_GENERIC_PLANS}"


@dataclass
class BeforeCommit:
    """Work joined to the next tenant transaction that this task commits for ``tenant_id``.

    The job runner completes a job this way inside its handler's own transaction, without the
    handler knowing (see ``jobs/runner.py``). Bound to the task that set it: a task the
    handler spawns has a copy of the context but commits transactions of its own.
    """

    tenant_id: uuid.UUID
    work: Callable[[Connection], Awaitable[None]]
    task: asyncio.Task[Any] | None = field(default_factory=asyncio.current_task)
    joined: bool = False
    """The work ran inside a transaction."""
    committed: bool = False
    """That transaction's COMMIT succeeded. Joined but not committed: the work rolled back with
    it (the hook itself, or the COMMIT, failed: PostgreSQL restarting, say), and the job is not
    done, whatever the handler's later steps."""


_BEFORE_COMMIT: ContextVar[BeforeCommit | None] = ContextVar("pytake_before_commit", default=None)


@contextmanager
def before_next_commit(hook: BeforeCommit) -> Iterator[BeforeCommit]:
    """Join ``hook`` to the first :func:`tenant_transaction` of its tenant in this block."""
    token = _BEFORE_COMMIT.set(hook)
    try:
        yield hook
    finally:
        _BEFORE_COMMIT.reset(token)


@asynccontextmanager
async def tenant_transaction(
    pool: Pool, tenant_id: uuid.UUID, *, generic_plans: bool = False
) -> AsyncIterator[Connection]:
    """A transaction in which row-level security shows only ``tenant_id``'s rows.

    ``set_config(..., true)`` is ``SET LOCAL``: it ends with the transaction, so a pooled
    connection never carries one tenant's setting into the next borrower's work.

    ``generic_plans``: the message path's stages (the ingest fan-out, the sender's bookkeeping,
    the AI's batches: a batch's statements, keyed by arrays of ids). PostgreSQL plans a prepared
    statement for its values at each execution as long as that looks cheaper than its generic
    plan, and for these it always did: the bookkeeping's statement was planned at every call
    (0.42 ms of planning for 0.35 of execution), and planning was 0.35 ms of PostgreSQL's ~2 ms
    per echoed message (bench/echo.py --pg-stats). Their generic plans are the ones
    tests/test_plans_message_path.py and tests/ai/test_plans.py prove bounded.
    """
    async with pool.acquire() as conn:
        scoped = scope_next_begin(conn, tenant_id, generic_plans=generic_plans)
        joined: BeforeCommit | None = None
        async with conn.transaction():
            if not scoped:
                await set_tenant(conn, tenant_id, generic_plans=generic_plans)
            yield conn
            # Only when the block completed: a block that raised rolls back without it.
            hook = _BEFORE_COMMIT.get()
            if (
                hook is not None
                and not hook.joined
                and hook.tenant_id == tenant_id
                and hook.task is asyncio.current_task()
            ):
                hook.joined = True
                joined = hook
                await hook.work(conn)
        if joined is not None:
            joined.committed = True


def scope_next_begin(
    conn: Connection, tenant_id: uuid.UUID, *, generic_plans: bool = False
) -> bool:
    """Scope the transaction ``conn.transaction()`` begins next to ``tenant_id``, in its BEGIN's
    round trip; False when ``conn`` isn't a pool's (the caller then calls :func:`set_tenant`
    inside the transaction)."""
    # Through the pool's proxy, attributes of the PooledConnection underneath.
    attach = getattr(conn, "scope_next_begin", None)
    if attach is None:
        return False
    attach(tenant_id, generic_plans=generic_plans)
    return True


async def set_tenant(
    conn: Connection, tenant_id: uuid.UUID, *, generic_plans: bool = False
) -> None:
    """Scope the current transaction of ``conn`` to a tenant (the caller owns the transaction);
    ``generic_plans`` as in :func:`tenant_transaction`."""
    await conn.execute(_SET_TENANT_GENERIC if generic_plans else _SET_TENANT, str(tenant_id))
