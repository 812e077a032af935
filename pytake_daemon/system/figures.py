"""What ``GET /api/v1/system/figures`` reads: the host (psutil), the daemon's own figures (its
Prometheus registry, the same one ``GET /metrics`` renders), PostgreSQL's statistics views and
Redis' INFO.

The PostgreSQL statements read catalog views only, each a handful of rows: ``pg_stat_activity``
(one row per backend), ``pg_stat_replication`` (one per standby) and ``pg_stat_user_tables``
filtered to the queue tables by name. None takes a lock a writer waits on.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import psutil
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol.system_figures import (
    QUEUE_TABLES,
    DaemonFigures,
    HostFigures,
    JobKindFigures,
    PostgresFigures,
    RedisFigures,
    TableTuples,
    Totals,
)

_SERVER = """
SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()) AS connections,
       current_setting('max_connections')::int AS max_connections,
       (SELECT extract(epoch FROM max(now() - xact_start))::float8 FROM pg_stat_activity
         WHERE datname = current_database() AND backend_type = 'client backend'
           AND xact_start IS NOT NULL AND pid <> pg_backend_pid()) AS longest_transaction,
       pg_database_size(current_database()) AS database_bytes,
       pg_is_in_recovery() AS standby,
       CASE WHEN pg_is_in_recovery()
            THEN extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8
       END AS standby_lag
"""
# replay_lag is NULL for roles without pg_monitor (and while a standby is idle): then the
# number of standbys is still told.
_REPLICAS = """
SELECT count(*)::int AS replicas, extract(epoch FROM max(replay_lag))::float8 AS lag
  FROM pg_stat_replication
"""
_TABLES = """
SELECT relname AS table, n_live_tup AS live, n_dead_tup AS dead
  FROM pg_stat_user_tables
 WHERE schemaname = current_schema() AND relname = ANY($1::text[])
 ORDER BY relname
"""


class CpuMeter:
    """Host CPU between two readings; the first has nothing to compare with (``None``)."""

    def __init__(self) -> None:
        self._primed = False

    def percent(self) -> float | None:
        # psutil compares with its previous call in this process: without one it answers 0.0,
        # which would draw a false idle point.
        value = psutil.cpu_percent(interval=None)
        if not self._primed:
            self._primed = True
            return None
        return float(value)


def host_figures(cpu: CpuMeter, disk_path: str) -> HostFigures:
    memory = psutil.virtual_memory()
    disk = psutil.disk_usage(disk_path)
    return HostFigures(
        cpu_percent=cpu.percent(),
        cpu_count=psutil.cpu_count() or 1,
        load_1m=psutil.getloadavg()[0],
        memory_percent=memory.percent,
        memory_used_bytes=memory.total - memory.available,
        memory_total_bytes=memory.total,
        disk_path=disk_path,
        disk_percent=disk.percent,
        disk_free_bytes=disk.free,
        disk_total_bytes=disk.total,
    )


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def registry_samples(registry: CollectorRegistry) -> Samples:
    """Every sample the registry renders, by name and sorted labels."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in registry.collect()
        for s in family.samples
    }


def _by_label(samples: Samples, name: str, label: str) -> dict[str, float]:
    return {
        dict(labels)[label]: value
        for (sample, labels), value in samples.items()
        if sample == name and label in dict(labels)
    }


def _totals(samples: Samples, name: str) -> Totals:
    def summed(suffix: str) -> float:
        return sum(v for (s, _), v in samples.items() if s == f"{name}{suffix}")

    return Totals(count=summed("_count"), sum=summed("_sum"))


def _one(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def daemon_figures(samples: Samples, *, figures_read: bool) -> DaemonFigures:
    """The daemon's figures out of its registry's samples (``figures_read``: the scrape-time
    database figures are in them)."""
    queued = _by_label(samples, "pytake_jobs_queued", "kind")
    ages = _by_label(samples, "pytake_jobs_oldest_age_seconds", "kind")
    pool = _by_label(samples, "pytake_db_pool_connections", "state")
    outbox = _one(samples, "pytake_outbox_queued")
    overdue = _one(samples, "pytake_outbox_overdue_seconds")
    return DaemonFigures(
        rss_bytes=_one(samples, "process_resident_memory_bytes"),
        cpu_seconds=_one(samples, "process_cpu_seconds_total"),
        webhooks=_by_label(samples, "pytake_webhook_requests_total", "outcome"),
        ingest_commit=_totals(samples, "pytake_ingest_commit_seconds"),
        status_lag=_totals(samples, "pytake_status_lag_seconds"),
        outbox_sends=_totals(samples, "pytake_outbox_send_seconds"),
        event_loop_lag=_totals(samples, "pytake_event_loop_lag_seconds"),
        jobs=[
            JobKindFigures(
                kind=kind,
                queued=int(count),
                # The gauge says 0 for "none queued": no age then, rather than a zero one.
                oldest_age_seconds=ages.get(kind) if count else None,
            )
            for kind, count in sorted(queued.items())
        ]
        if figures_read
        else [],
        outbox_queued=int(outbox) if figures_read and outbox is not None else None,
        outbox_overdue_seconds=overdue if figures_read else None,
        websocket_clients=int(_one(samples, "pytake_websocket_clients") or 0),
        websocket_dropped=_one(samples, "pytake_websocket_slow_clients_dropped_total") or 0.0,
        db_pool_in_use=int(pool.get("in_use", 0)),
        db_pool_max=int(pool.get("max", 0)),
    )


async def postgres_figures(
    conn: Connection, tables: Iterable[str] = QUEUE_TABLES
) -> PostgresFigures:
    """The server's figures, in one read-only transaction."""
    async with conn.transaction(readonly=True):
        server = await conn.fetchrow(_SERVER)
        replicas = await conn.fetchrow(_REPLICAS)
        tables_found = await conn.fetch(_TABLES, list(tables))
    assert server is not None  # one row each, always
    assert replicas is not None
    standby: bool = server["standby"]
    return rows.of(
        PostgresFigures,
        server,
        longest_transaction_seconds=server["longest_transaction"],
        replicas=replicas["replicas"],
        replication_lag_seconds=server["standby_lag"] if standby else replicas["lag"],
        tables=rows.many(TableTuples, tables_found),
    )


async def redis_figures(redis: Redis) -> RedisFigures:
    start = time.perf_counter()
    await redis.ping()
    ping_ms = (time.perf_counter() - start) * 1000
    memory = await redis.info("memory")
    clients = await redis.info("clients")
    return RedisFigures(
        used_memory_bytes=int(memory["used_memory"]),
        clients=int(clients["connected_clients"]),
        ping_ms=ping_ms,
    )
