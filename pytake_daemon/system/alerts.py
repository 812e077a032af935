"""The System screen's figures as notifications: every ``metrics.alert_seconds`` the daemon reads
the figures the screen shows and, when one crosses its threshold, tells every tenant's admins.

Once per crossing, not once per reading:

- the level a figure was last seen at (ok, warn, error) is a row of ``system_alert_levels``
  (migration 0043); a reading at the same level changes nothing;
- levels fall with hysteresis: a figure at a level stays there until it is below 90 % of that
  level's threshold, so a value hovering at the line doesn't notify on every reading;
- replicas share the rows: a figure of the shared servers (PostgreSQL, Redis, the queues) reads
  the same in every replica, and the row lock makes the one whose update changes the level the
  one that notifies. Host figures are keyed by host name, a process's by host and port.

A rise (to warn or to error) is a warning or an urgent notification; the return to ok an info.
A fall from error to warn says nothing: the figure is still past a line. Rates and means (the
webhooks refused, the event-loop lag) need two readings and only colour the screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum

import structlog
from aiohttp import web

from pytake_daemon.db.pool import Connection, Pool, tenant_transaction
from pytake_daemon.keys import DB_POOL, EVENT_BUS, LOOPS, SETTINGS
from pytake_daemon.notifications import audience, service, system_rules
from pytake_daemon.protocol.system_figures import ALERT_THRESHOLDS, QUEUE_TABLES, SystemFigures
from pytake_daemon.realtime.bus import EventBus, number_events
from pytake_daemon.system.figures_routes import read_figures

log = structlog.get_logger("pytake.system")

RECOVERY = 0.9
"""A level is left once the figure is below this share of the level's threshold."""

_LEVEL = """
INSERT INTO system_alert_levels (figure, level, value, changed_at)
VALUES ($1, 'ok', $2, $3)
ON CONFLICT (figure) DO NOTHING
"""
# The row lock orders replicas reading the same figure: the second sees the first's level.
_LOCK = "SELECT level FROM system_alert_levels WHERE figure = $1 FOR UPDATE"
_SET = "UPDATE system_alert_levels SET level = $2, value = $3, changed_at = $4 WHERE figure = $1"
_TENANTS = "SELECT tenant_id FROM system_alert_tenants()"


class Level(IntEnum):
    OK = 0
    WARN = 1
    ERROR = 2


@dataclass(frozen=True, slots=True)
class Crossing:
    """A figure that changed level in this reading."""

    key: str
    """The figure's key (``host.cpu``), as in ALERT_THRESHOLDS and the screen."""
    where: str
    """Whose figure: a host, a process (``host:port``), or "" for the shared servers'."""
    value: float
    before: Level
    after: Level

    @property
    def threshold(self) -> float:
        warn, error = ALERT_THRESHOLDS[self.key]
        return error if self.after is Level.ERROR else warn


def level_of(key: str, value: float, before: Level) -> Level:
    """The level of ``value``, leaving a level only below :data:`RECOVERY` of its threshold."""
    warn, error = ALERT_THRESHOLDS[key]
    for level, threshold in ((Level.ERROR, error), (Level.WARN, warn)):
        if value >= threshold * (RECOVERY if before >= level else 1.0):
            return level
    return Level.OK


def single_readings(figures: SystemFigures) -> Iterator[tuple[str, float]]:
    """The figures one reading shows on its own, computed as the System screen computes them
    (pytake_tui/system_view.py); those not measured in this reading are left out."""
    host, daemon = figures.host, figures.daemon
    if host.cpu_percent is not None:
        yield "host.cpu", host.cpu_percent
    yield "host.memory", host.memory_percent
    yield "host.disk", host.disk_percent
    if daemon.jobs:
        yield "daemon.jobs", float(sum(j.queued for j in daemon.jobs))
        ages = [j.oldest_age_seconds for j in daemon.jobs if j.oldest_age_seconds is not None]
        yield "daemon.job_age", max(ages, default=0.0)
        flow = next((j for j in daemon.jobs if j.kind == "flow_inbound"), None)
        yield "lag.flow", (flow.oldest_age_seconds or 0.0) if flow is not None else 0.0
    if daemon.outbox_queued is not None:
        yield "daemon.outbox", float(daemon.outbox_queued)
    if daemon.outbox_overdue_seconds is not None:
        yield "lag.outbox", daemon.outbox_overdue_seconds
    if daemon.db_pool_max:
        yield "daemon.pool", daemon.db_pool_in_use / daemon.db_pool_max * 100
    if daemon.rss_bytes is not None:
        yield "daemon.rss", daemon.rss_bytes
    pg = figures.postgres
    if pg is not None:
        if pg.max_connections:
            yield "pg.connections", pg.connections / pg.max_connections * 100
        yield "pg.longest", pg.longest_transaction_seconds or 0.0
        if pg.replication_lag_seconds is not None:
            yield "pg.replication", pg.replication_lag_seconds
        for table in pg.tables:
            total = table.live + table.dead
            if table.table in QUEUE_TABLES and total:
                yield f"pg.dead.{table.table}", table.dead / total * 100
    if figures.redis is not None:
        yield "redis.ping", figures.redis.ping_ms


def scope_of(key: str, host: str, process: str) -> str:
    if key.startswith("host."):
        return host
    if key in ("daemon.pool", "daemon.rss"):
        return process
    return ""  # the shared servers' and queues' figures: one row for every replica


async def record(
    conn: Connection, figures: SystemFigures, *, host: str, process: str, now: datetime
) -> list[Crossing]:
    """Record this reading's levels; the figures whose level changed (in one transaction)."""
    crossings = []
    async with conn.transaction():
        for key, value in single_readings(figures):
            where = scope_of(key, host, process)
            row_key = f"{key}@{where}" if where else key
            await conn.execute(_LEVEL, row_key, value, now)
            before = Level[str(await conn.fetchval(_LOCK, row_key)).upper()]
            after = level_of(key, value, before)
            if after is not before:
                await conn.execute(_SET, row_key, after.name.lower(), value, now)
                crossings.append(Crossing(key, where, value, before, after))
    return crossings


async def tell_admins(
    pool: Pool,
    bus: EventBus,
    crossings: list[Crossing],
    now: datetime,
    *,
    tenants: list[uuid.UUID] | None = None,
) -> int:
    """Every tenant's admins (or ``tenants``') hear of the crossings worth telling; the
    notifications written."""
    told = [c for c in crossings if c.after > c.before or c.after is Level.OK]
    if not told:
        return 0
    if tenants is None:
        async with pool.acquire() as conn:
            tenants = [r["tenant_id"] for r in await conn.fetch(_TENANTS)]
    written = 0
    for tenant_id in tenants:
        try:
            async with tenant_transaction(pool, tenant_id) as conn:
                who = await audience.load(conn, [])
                intents = [i for c in told for i in system_rules.figure_alert(c, who)]
                events = await service.write(conn, intents, now)
                numbered = await number_events(conn, tenant_id, events)
            await bus.deliver(numbered)
            written += len(events)
        except Exception:  # one tenant's failure must not silence the others
            log.exception("system alert not written", tenant_id=str(tenant_id))
    return written


async def system_alerts_ctx(app: web.Application) -> AsyncIterator[None]:
    """The sampling loop, after the registry (metrics_ctx) and the notifications exist."""
    settings = app[SETTINGS]
    every = settings.metrics.alert_seconds
    if every <= 0:
        yield
        return
    host = socket.gethostname()
    process = f"{host}:{settings.server.port}"
    pool, bus = app[DB_POOL], app[EVENT_BUS]

    async def sample() -> None:
        await asyncio.sleep(every)  # the sampling interval itself, not synchronisation
        try:
            figures = await read_figures(app)
            now = datetime.now(UTC)
            async with pool.acquire() as conn:
                crossings = await record(conn, figures, host=host, process=process, now=now)
            await tell_admins(pool, bus, crossings, now)
        except Exception as exc:
            # Best effort: with PostgreSQL away /readyz already says so, and an alert loop
            # that failed must not make a daemon unready by itself.
            log.warning("system figures not sampled for alerts", error=str(exc))

    task = app[LOOPS].start("system-alerts", sample, deadline=every * 2 + 60)
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    app[LOOPS].forget("system-alerts")
