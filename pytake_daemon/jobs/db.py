"""SQL of the ``jobs`` table. Claiming crosses tenants (a SECURITY DEFINER function); finishing a
job happens in its tenant's scope."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson

from pytake_daemon.db.pool import Connection

_INSERT = """
INSERT INTO jobs (tenant_id, kind, payload) VALUES (current_tenant_id(), $1, $2) RETURNING id
"""


# The kinds this task queued since its last ``JobRunner.wake()``: the task that commits is the
# task that queued, so after its commit it wakes exactly those claim loops. A context variable
# (immutable values) rather than a shared set: concurrent tasks never see each other's kinds.
_QUEUED_KINDS: ContextVar[frozenset[str]] = ContextVar(
    "pytake_queued_job_kinds", default=frozenset()
)


def note_queued(kind: str) -> None:
    """Note a job of ``kind`` queued by SQL of the caller's own (``insert_job`` notes its own),
    so the wake-up after the commit reaches that kind's claim loop."""
    queued = _QUEUED_KINDS.get()
    if kind not in queued:
        _QUEUED_KINDS.set(queued | {kind})


def take_queued_kinds(handled: Collection[str]) -> frozenset[str]:
    """The kinds among ``handled`` this task queued since it last asked (a rolled-back insert
    only costs one claim that finds nothing); other runners' kinds stay for their own wake-up."""
    queued = _QUEUED_KINDS.get()
    taken = queued.intersection(handled)
    if taken:
        _QUEUED_KINDS.set(queued - taken)
    return taken


async def insert_job(conn: Connection, kind: str, payload: dict[str, Any]) -> int:
    """Queue work in the caller's transaction, so it exists exactly when its cause does."""
    job_id: int = await conn.fetchval(_INSERT, kind, payload)
    note_queued(kind)
    return job_id


_INSERT_AT = """
INSERT INTO jobs (tenant_id, kind, payload, run_after) VALUES (current_tenant_id(), $1, $2, $3)
RETURNING id
"""


async def insert_job_at(
    conn: Connection, kind: str, payload: dict[str, Any], run_after: datetime
) -> int:
    """Queue work due at ``run_after`` (timers that must survive restarts)."""
    job_id: int = await conn.fetchval(_INSERT_AT, kind, payload, run_after)
    if run_after <= datetime.now(UTC):
        # Only work due now is worth a wake-up; a timer is found by the poll when it is due.
        note_queued(kind)
    return job_id


_CLAIM = "SELECT * FROM claim_jobs($1, $2, $3, $4)"


async def claim(
    conn: Connection,
    kinds: Sequence[str],
    limit: int,
    lease_seconds: float,
    claimer: str | None = None,
) -> list[asyncpg.Record]:
    """Lease up to ``limit`` due jobs of ``kinds`` across tenants, recorded as ``claimer``'s
    (``Claimer.tag``; None: left to the lease alone)."""
    return await conn.fetch(_CLAIM, list(kinds), limit, lease_seconds, claimer)


async def release_claims(conn: Connection, instance: str, current: str) -> int:
    """Give back the jobs other runs of ``instance`` claimed and can no longer finish (they
    have no connection left); how many (migration 0052)."""
    released: int = await conn.fetchval("SELECT release_job_claims($1, $2)", instance, current)
    return released


_DONE = "DELETE FROM jobs WHERE tenant_id = current_tenant_id() AND id = $1"


async def complete(conn: Connection, job_id: int) -> None:
    await conn.execute(_DONE, job_id)


_DONE_MANY = "DELETE FROM jobs WHERE tenant_id = current_tenant_id() AND id = ANY($1::bigint[])"


async def complete_many(conn: Connection, job_ids: Sequence[int]) -> None:
    await conn.execute(_DONE_MANY, list(job_ids))


_RETRY = """
UPDATE jobs SET run_after = $2, locked_until = NULL, last_error = $3
 WHERE tenant_id = current_tenant_id() AND id = $1
"""


async def retry_later(conn: Connection, job_id: int, run_after: datetime, error: str) -> None:
    await conn.execute(_RETRY, job_id, run_after, error[:2000])


_NEXT_DUE = "SELECT * FROM next_work_due()"


async def next_due(conn: Connection) -> asyncpg.Record:
    row = await conn.fetchrow(_NEXT_DUE)
    assert row is not None
    return row


_PENDING = "SELECT count(*) FROM jobs WHERE tenant_id = current_tenant_id() AND kind = $1"


async def pending(conn: Connection, kind: str) -> int:
    count: int = await conn.fetchval(_PENDING, kind)
    return count


_INSERT_MANY = """
INSERT INTO jobs (tenant_id, kind, payload)
SELECT current_tenant_id(), $1, p::jsonb FROM unnest($2::text[]) AS p
"""


_ENQUEUE = "SELECT enqueue_jobs($1, $2, $3)"


async def enqueue_jobs(
    conn: Connection, tenant_id: uuid.UUID, kind: str, payloads: Sequence[dict[str, Any]]
) -> None:
    """Queue ``tenant_id``'s jobs of one kind and commit them, in one round trip: call it
    outside a transaction (the statement is its own, scoped to the tenant; migration 0048)."""
    await conn.execute(_ENQUEUE, tenant_id, kind, [orjson.dumps(p).decode() for p in payloads])
    note_queued(kind)


async def insert_jobs(conn: Connection, kind: str, payloads: Sequence[dict[str, Any]]) -> None:
    """Queue several jobs of one kind in one statement, in the caller's transaction."""
    await conn.execute(_INSERT_MANY, kind, [orjson.dumps(p).decode() for p in payloads])
    note_queued(kind)
