"""Hourly aggregates per queue into ``queue_metrics``, run by APScheduler in every process and
done by one: the run takes a transaction-level advisory lock first, and a process that doesn't
get it skips. The aggregate is an upsert computed from ``queue_history`` and ``queue_items``, so
a run repeated later for the same hour (a replica whose clock lags) writes the same figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from pytake_daemon.db.pool import Connection, Pool, set_tenant

log = structlog.get_logger("pytake.queues")

# "pytakeQM": apart from the other domains' advisory locks.
AGGREGATION_LOCK = 0x7079_7461_6B65_514D

_TRY_LOCK = "SELECT pg_try_advisory_xact_lock($1)"
_TENANTS = "SELECT tenant_id FROM queue_tenants()"
_UPSERT = """
INSERT INTO queue_metrics (tenant_id, queue_id, hour, entries, exits, assigned, abandoned,
                           avg_wait_seconds, avg_handle_seconds, abandonment_rate, computed_at)
SELECT q.tenant_id, q.id, $1,
       count(h.id) FILTER (WHERE h.event = 'entered'),
       count(h.id) FILTER (WHERE h.event IN ('completed', 'abandoned', 'timed_out',
                                             'transferred')),
       count(h.id) FILTER (WHERE h.event = 'assigned'),
       count(h.id) FILTER (WHERE h.event IN ('abandoned', 'timed_out')),
       (SELECT avg(extract(epoch FROM i.assigned_at - i.entered_at))::float8 FROM queue_items i
         WHERE i.tenant_id = q.tenant_id AND i.queue_id = q.id
           AND i.assigned_at >= $1 AND i.assigned_at < $2),
       (SELECT avg(extract(epoch FROM i.ended_at - i.assigned_at))::float8 FROM queue_items i
         WHERE i.tenant_id = q.tenant_id AND i.queue_id = q.id AND i.status = 'completed'
           AND i.ended_at >= $1 AND i.ended_at < $2),
       count(h.id) FILTER (WHERE h.event IN ('abandoned', 'timed_out'))::float8
           / nullif(count(h.id) FILTER (WHERE h.event IN ('abandoned', 'timed_out',
                                                          'assigned')), 0),
       now()
  FROM queues q
  LEFT JOIN queue_history h ON h.tenant_id = q.tenant_id AND h.queue_id = q.id
       AND h.at >= $1 AND h.at < $2
 WHERE q.tenant_id = current_tenant_id()
 GROUP BY q.tenant_id, q.id
ON CONFLICT (tenant_id, queue_id, hour) DO UPDATE SET
    entries = excluded.entries, exits = excluded.exits, assigned = excluded.assigned,
    abandoned = excluded.abandoned, avg_wait_seconds = excluded.avg_wait_seconds,
    avg_handle_seconds = excluded.avg_handle_seconds,
    abandonment_rate = excluded.abandonment_rate, computed_at = excluded.computed_at
"""


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


async def aggregate_hour(pool: Pool, hour: datetime) -> list[uuid.UUID] | None:
    """Aggregate ``[hour, hour + 1h)`` for every tenant; the tenants done, or ``None`` when
    another process holds the lock (it is doing this very work)."""
    async with pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval(_TRY_LOCK, AGGREGATION_LOCK):
            return None
        tenants = [r["tenant_id"] for r in await conn.fetch(_TENANTS)]
        for tenant_id in tenants:
            await _aggregate_tenant(conn, tenant_id, hour)
    return tenants


async def _aggregate_tenant(conn: Connection, tenant_id: uuid.UUID, hour: datetime) -> None:
    # set_config(..., true) again inside the same transaction switches the tenant for RLS.
    await set_tenant(conn, tenant_id)
    await conn.execute(_UPSERT, hour, hour + timedelta(hours=1))


class HourlyAggregation:
    """The scheduled job: at ``minute`` past each hour, the hour that just ended."""

    def __init__(self, pool: Pool, *, minute: int) -> None:
        self._pool = pool
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._minute = minute
        self._running: asyncio.Task[Any] | None = None

    async def run(self) -> None:
        hour = hour_of(datetime.now(UTC)) - timedelta(hours=1)
        self._running = asyncio.current_task()
        try:
            done = await aggregate_hour(self._pool, hour)
        except Exception:  # a scheduled job must log, not die silently in APScheduler
            log.exception("queue metrics aggregation failed", hour=hour.isoformat())
            return
        finally:
            self._running = None
        if done is not None:
            log.info("queue metrics aggregated", hour=hour.isoformat(), tenants=len(done))

    def start(self) -> None:
        self._scheduler.add_job(
            self.run,
            CronTrigger(minute=self._minute, timezone=UTC),
            id="queue-metrics",
            misfire_grace_time=600,
            coalesce=True,
        )
        self._scheduler.start()

    async def stop(self) -> None:
        """Stop scheduling, and end a run in progress: it holds a pooled connection, and the
        pool is closed right after."""
        if self._scheduler.running:  # a web process never started it (roles.py)
            self._scheduler.shutdown(wait=False)
        running = self._running
        if running is not None and not running.done():
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
