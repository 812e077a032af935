"""SQL of ``backup_runs`` and ``backup_schedule`` (migration 0007)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol.backups import BackupRunOut, BackupScope, RunKind, RunTrigger

_RUN_COLUMNS = (
    "id, kind, scope, scope_tenant_id, backup_id, trigger, status, started_at, finished_at, "
    "size_bytes, error"
)

_START = f"""
INSERT INTO backup_runs (kind, scope, scope_tenant_id, trigger, slot)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (kind, slot) WHERE slot IS NOT NULL DO NOTHING
RETURNING {_RUN_COLUMNS}
"""


async def start_run(
    conn: Connection,
    *,
    kind: RunKind,
    scope: BackupScope,
    tenant_id: uuid.UUID | None,
    trigger: RunTrigger,
    slot: datetime | None = None,
) -> uuid.UUID | None:
    """Record a run as started; ``None`` when another process already took this slot."""
    row = await conn.fetchrow(_START, kind, scope, tenant_id, trigger, slot)
    return None if row is None else row["id"]


_FINISH = """
UPDATE backup_runs
SET status = $2, finished_at = now(), backup_id = coalesce($3, backup_id), size_bytes = $4,
    error = $5, detail = $6
WHERE id = $1
"""


async def finish_run(
    conn: Connection,
    run_id: uuid.UUID,
    *,
    status: str,
    backup_id: str | None = None,
    size_bytes: int | None = None,
    error: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    await conn.execute(_FINISH, run_id, status, backup_id, size_bytes, error, detail or {})


# A skip doesn't take the slot (slot stays NULL, named in detail): the process holding the lock
# may not have recorded its run for that slot yet, and must still be able to.
_SKIP = """
INSERT INTO backup_runs (kind, scope, trigger, status, finished_at, error, detail)
VALUES ($1, 'full', 'schedule', 'skipped', now(), $3, jsonb_build_object('slot', $2::timestamptz))
"""


async def record_skip(conn: Connection, kind: RunKind, slot: datetime, reason: str) -> None:
    await conn.execute(_SKIP, kind, slot, reason)


_RECENT = f"""
SELECT {_RUN_COLUMNS} FROM backup_runs
WHERE ($1::text IS NULL OR kind = $1)
  AND (scope_tenant_id IS NULL OR $2::uuid IS NULL OR scope_tenant_id = $2)
ORDER BY started_at DESC LIMIT $3
"""


async def recent_runs(
    conn: Connection,
    *,
    kind: RunKind | None = None,
    visible_to: uuid.UUID | None = None,
    limit: int = 50,
) -> list[BackupRunOut]:
    """Latest runs first; ``visible_to`` hides other tenants' per-tenant runs."""
    return rows.many(BackupRunOut, await conn.fetch(_RECENT, kind, visible_to, limit))


_HISTORY = """
SELECT status, started_at, finished_at, size_bytes, error, detail
FROM backup_runs WHERE kind = $1 AND scope = 'full' AND status IN ('succeeded', 'failed')
ORDER BY started_at DESC LIMIT $2
"""


async def full_history(conn: Connection, kind: RunKind, limit: int = 20) -> list[asyncpg.Record]:
    """Finished installation-wide runs of one kind, latest first (what monitoring looks at)."""
    return await conn.fetch(_HISTORY, kind, limit)


_TENANT_LAST_SUCCESS = """
SELECT max(finished_at) FROM backup_runs
WHERE kind = 'backup' AND scope = 'tenant' AND scope_tenant_id = $1 AND status = 'succeeded'
"""


async def tenant_last_success(conn: Connection, tenant_id: uuid.UUID) -> datetime | None:
    """When the tenant's latest per-tenant backup finished (None: never)."""
    finished: datetime | None = await conn.fetchval(_TENANT_LAST_SUCCESS, tenant_id)
    return finished


@dataclass(frozen=True)
class Schedule:
    enabled: bool
    backup_cron: str
    drill_cron: str | None
    keep_last: int
    keep_daily: int
    keep_weekly: int
    keep_monthly: int


_SCHEDULE = (
    "SELECT enabled, backup_cron, drill_cron, keep_last, keep_daily, keep_weekly, keep_monthly "
    "FROM backup_schedule"
)


async def get_schedule(conn: Connection) -> Schedule:
    row = await conn.fetchrow(_SCHEDULE)
    assert row is not None, "migration 0007 inserts the one row"
    return rows.of(Schedule, row)


_SET_SCHEDULE = """
UPDATE backup_schedule
SET enabled = $1, backup_cron = $2, drill_cron = $3, keep_last = $4, keep_daily = $5,
    keep_weekly = $6, keep_monthly = $7, updated_at = now()
"""


async def set_schedule(conn: Connection, schedule: Schedule) -> None:
    await conn.execute(
        _SET_SCHEDULE,
        schedule.enabled,
        schedule.backup_cron,
        schedule.drill_cron,
        schedule.keep_last,
        schedule.keep_daily,
        schedule.keep_weekly,
        schedule.keep_monthly,
    )
