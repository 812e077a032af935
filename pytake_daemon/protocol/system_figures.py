"""``GET /api/v1/system/figures``: one reading of the host, the daemon, PostgreSQL and Redis.

Counters and histograms are sent as the process's running totals (what the Prometheus registry
holds), not as rates: the console polls every few seconds and divides the difference between two
readings by the time between their ``read_at``, so several consoles never reset each other's
window and the daemon keeps no per-viewer state. The figures are installation-wide counts and
sizes (no tenant's data), for admins.
"""

from __future__ import annotations

from datetime import datetime

from pytake_daemon.protocol.common import WireModel

QUEUE_TABLES = ("jobs", "outbox", "queue_items")
"""The tables work queues through (claimed, then deleted or updated), whose dead rows slow a
claim down when autovacuum falls behind: their dead-row share is in every reading."""


class HostFigures(WireModel):
    """The machine the daemon runs on (psutil)."""

    cpu_percent: float | None
    """All cores, since the previous reading by this process; ``None`` on its first reading."""
    cpu_count: int
    load_1m: float
    memory_percent: float
    memory_used_bytes: int
    memory_total_bytes: int
    disk_path: str
    """The daemon's state dir (where the embedded PostgreSQL and the backups write)."""
    disk_percent: float
    disk_free_bytes: int
    disk_total_bytes: int


class Totals(WireModel):
    """A histogram's running totals: observations and the sum of their values (seconds)."""

    count: float
    sum: float


class JobKindFigures(WireModel):
    """Jobs of one kind waiting or leased, and the age of the oldest."""

    kind: str
    queued: int
    oldest_age_seconds: float | None


class DaemonFigures(WireModel):
    """This daemon process's figures, read from its Prometheus registry."""

    rss_bytes: float | None
    cpu_seconds: float | None
    """Process CPU time (user + system) since it started."""
    webhooks: dict[str, float]
    """Webhook POSTs since start, by outcome (accepted, unauthorized, bad_request, too_large,
    failed)."""
    ingest_commit: Totals
    """Ingest transactions: one per batch of webhooks, BEGIN to the end of COMMIT."""
    status_lag: Totals
    """From a status callback's timestamp at Meta to its commit here."""
    outbox_sends: Totals
    """Graph API send calls, every outcome."""
    event_loop_lag: Totals
    """How late the 0.5 s probe timer fired."""
    jobs: list[JobKindFigures]
    """Every job kind this process runs; empty when the database figures weren't read."""
    outbox_queued: int | None
    outbox_overdue_seconds: float | None
    """How long the most overdue outbox row has been due; ``None``: not read."""
    websocket_clients: int
    websocket_dropped: float
    """Slow WebSocket clients closed since start."""
    db_pool_in_use: int
    db_pool_max: int


class TableTuples(WireModel):
    """Live and dead rows of one queue table (PostgreSQL's statistics, not a count)."""

    table: str
    live: int
    dead: int


class PostgresFigures(WireModel):
    """The database server, as this daemon's role sees it."""

    connections: int
    """Backends connected to this database (every role's)."""
    max_connections: int
    longest_transaction_seconds: float | None
    """The oldest open transaction of this daemon's role (others' are hidden without
    ``pg_read_all_stats``); ``None``: none open."""
    database_bytes: int
    standby: bool
    replicas: int
    """Standbys streaming from this server."""
    replication_lag_seconds: float | None
    """On a standby, since the last replayed commit; on a primary, the largest replay lag
    (needs ``pg_monitor``); ``None`` without replication."""
    tables: list[TableTuples]


class RedisFigures(WireModel):
    used_memory_bytes: int
    clients: int
    ping_ms: float


class SystemFigures(WireModel):
    """One reading; a server that didn't answer within the deadline has its error instead."""

    read_at: datetime
    """The daemon's clock when it read them (rates are computed between two readings)."""
    host: HostFigures
    daemon: DaemonFigures
    postgres: PostgresFigures | None = None
    postgres_error: str | None = None
    redis: RedisFigures | None = None
    redis_error: str | None = None


ALERT_THRESHOLDS: dict[str, tuple[float, float]] = {
    "host.cpu": (70, 90),
    "host.memory": (80, 90),
    # The doctor's disk check fails under 5 % free: the error level says the same.
    "host.disk": (85, 95),
    "daemon.jobs": (1_000, 10_000),
    "daemon.job_age": (30, 300),
    "daemon.outbox": (1_000, 10_000),
    "daemon.pool": (80, 100),
    "daemon.rss": (1024**3, 2 * 1024**3),
    "pg.connections": (70, 90),
    "pg.longest": (60, 300),
    "pg.replication": (10, 60),
    **{f"pg.dead.{table}": (20, 50) for table in QUEUE_TABLES},
    "redis.ping": (5, 50),
    "lag.flow": (5, 30),
    "lag.outbox": (5, 60),
}
"""Warning and error thresholds (higher is worse) of the figures one reading shows on its own,
the System screen's (docs/tui.md): the daemon samples them and tells admins when one crosses
(pytake_daemon/system/alerts.py). Rates and means need two readings and only colour the
screen (:data:`SCREEN_THRESHOLDS`)."""

SCREEN_THRESHOLDS: dict[str, tuple[float, float]] = {
    "daemon.refused": (0.01, 1),
    "daemon.dropped": (1, 10),
    "daemon.loop_lag": (25, 100),
    "daemon.cpu": (70, 90),
    "lag.ingest": (100, 500),
    "lag.status": (30, 300),
}
"""Warning and error thresholds of the rates and means, which need two readings: the console
computes them (pytake_tui/system_view.py) and only colours them, no alert is sampled."""

THRESHOLDS: dict[str, tuple[float, float]] = {**ALERT_THRESHOLDS, **SCREEN_THRESHOLDS}
"""Every figure's thresholds, the one table the System screen and the alerts both read; a
figure missing here (a size, a count of clients) is only informative."""
