"""``GET /metrics``: Prometheus' text format from a registry the app owns.

Protected by a bearer token from config (``metrics.token``) rather than a second listener: the
daemon already sits behind one proxy with one TLS setup, and Prometheus sends a token from a
file (``authorization.credentials_file``) as easily as it scrapes another port. The path is
answered by a middleware ahead of the API's authentication (the metrics token is not an API
token, and the figures span every tenant, so no API role may read them). No token configured:
404. No ``Authorization``: 401. Another token: 403.

A scrape first reads what needs I/O (PostgreSQL figures, a Redis PING) with a deadline, then
renders: collectors run synchronously, so they only format what was read.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import time
from collections.abc import AsyncIterator, Iterable, Iterator

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    PLATFORM_COLLECTOR,
    CollectorRegistry,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from pytake_daemon.errors import Forbidden, MethodNotAllowed, NotFound, Unauthorized
from pytake_daemon.health.figures import DEPTH_CAP, Figures, read_figures
from pytake_daemon.keys import DB_POOL, HUB, LOOPS, REDIS, SETTINGS, WEBHOOK_ROUTING
from pytake_daemon.metrics import families

log = structlog.get_logger("pytake.metrics")

METRICS_PATH = "/metrics"
# Well inside Prometheus' default scrape_timeout (10 s): a loaded database still gets its
# figures read, and one that doesn't answer still gets the rest of the scrape.
_READ_TIMEOUT = 5.0
# The event loop's own lag probe: a pass is 0.5 s; missing passes for this long means the
# loop is blocked, which readiness should say.
_LAG_DEADLINE = 30.0


class AppFigures(Collector):
    """This app's figures: what the last scrape read, plus counts kept in memory."""

    def __init__(self, app: web.Application) -> None:
        self._app = app
        self.figures: Figures | None = None
        self.redis_seconds: float | None = None

    async def refresh(self) -> None:
        """Read the figures that need I/O; a source that fails is reported as down."""
        app = self._app
        try:
            async with asyncio.timeout(_READ_TIMEOUT), app[DB_POOL].acquire() as conn:
                self.figures = await read_figures(conn, sorted(families.JOB_KINDS))
        except Exception as exc:  # a scrape must answer with what it has, never a 500
            log.warning("metrics: database figures not read", error=str(exc) or repr(exc))
            self.figures = None
        try:
            async with asyncio.timeout(_READ_TIMEOUT):
                start = time.perf_counter()
                await app[REDIS].ping()
                self.redis_seconds = time.perf_counter() - start
        except Exception as exc:
            log.warning("metrics: redis not answering", error=str(exc) or repr(exc))
            self.redis_seconds = None

    def describe(self) -> Iterable[Metric]:
        # Nothing to describe up front: registering must not run collect() (no I/O, no app).
        return []

    def collect(self) -> Iterable[Metric]:
        app = self._app
        yield _gauge(
            "pytake_websocket_clients",
            "WebSocket consoles connected to this process.",
            app[HUB].count(),
        )
        pool = app[DB_POOL]
        conns = GaugeMetricFamily(
            "pytake_db_pool_connections",
            "This process's PostgreSQL pool: in_use, idle, max.",
            labels=["state"],
        )
        conns.add_metric(["in_use"], pool.get_size() - pool.get_idle_size())
        conns.add_metric(["idle"], pool.get_idle_size())
        conns.add_metric(["max"], pool.get_max_size())
        yield conns
        yield _gauge(
            "pytake_redis_up",
            "Redis answered PING during this scrape (1) or not (0).",
            0 if self.redis_seconds is None else 1,
        )
        if self.redis_seconds is not None:
            yield _gauge(
                "pytake_redis_round_trip_seconds",
                "Time of a PING during this scrape.",
                self.redis_seconds,
            )
        loops = GaugeMetricFamily(
            "pytake_loop_healthy", "Background loops of this process (1 healthy).", labels=["loop"]
        )
        for report in app[LOOPS].report():
            loops.add_metric([report.name], 1 if report.healthy else 0)
        yield loops
        routing = app.get(WEBHOOK_ROUTING)
        if routing is not None:
            yield _gauge(
                "pytake_numbers_undecryptable",
                "Numbers whose stored secrets this process's secrets key can't decrypt.",
                len(routing.undecryptable),
            )
        yield _gauge(
            "pytake_figures_up",
            "The database figures below were read in this scrape.",
            0 if self.figures is None else 1,
        )
        if self.figures is not None:
            yield from _database_figures(self.figures)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _database_figures(f: Figures) -> Iterator[Metric]:
    depth = GaugeMetricFamily(
        "pytake_jobs_queued",
        f"Jobs waiting or leased, by kind (counted up to {DEPTH_CAP}).",
        labels=["kind"],
    )
    age = GaugeMetricFamily(
        "pytake_jobs_oldest_age_seconds",
        "Age of the oldest job of each kind (0: none).",
        labels=["kind"],
    )
    for kind, (count, oldest) in sorted(f.jobs.items()):
        depth.add_metric([kind], count)
        age.add_metric([kind], oldest or 0.0)
    yield depth
    yield age
    yield _gauge(
        "pytake_outbox_queued",
        f"Messages in the outbox (counted up to {DEPTH_CAP}).",
        f.outbox_depth,
    )
    yield _gauge(
        "pytake_outbox_overdue_seconds",
        "How long the most overdue outbox row has been due (0: nothing due).",
        f.outbox_overdue_seconds,
    )
    items = GaugeMetricFamily(
        "pytake_queue_items",
        "Queue items by tenant, queue and state (waiting, in_progress).",
        labels=["tenant", "queue", "state"],
    )
    for tenant, queue, waiting, in_progress in f.queues:
        items.add_metric([tenant, queue, "waiting"], waiting)
        items.add_metric([tenant, queue, "in_progress"], in_progress)
    yield items
    backup = GaugeMetricFamily(
        "pytake_backup_last_success_age_seconds",
        "Seconds since the last successful full backup finished (no sample: never).",
    )
    if f.backup_age_seconds is not None:
        backup.add_metric([], f.backup_age_seconds)
    yield backup
    chains = GaugeMetricFamily(
        "pytake_audit_chain_entries",
        "Entries in each tenant's audit hash chain.",
        labels=["tenant"],
    )
    for tenant, entries in sorted(f.audit_chains.items()):
        chains.add_metric([tenant], entries)
    yield chains


METRICS = web.AppKey("metrics", AppFigures)
METRICS_REGISTRY = web.AppKey("metrics_registry", CollectorRegistry)


def build_registry(figures: AppFigures) -> CollectorRegistry:
    """The app's own registry: the process-wide families, process figures, this app's figures."""
    registry = CollectorRegistry()
    for family in families.recorded_families():
        registry.register(family)
    ProcessCollector(registry=registry)
    registry.register(PLATFORM_COLLECTOR)
    registry.register(figures)
    return registry


async def metrics_ctx(app: web.Application) -> AsyncIterator[None]:
    """The registry, and the event-loop lag probe (a supervised loop like the others)."""
    figures = AppFigures(app)
    app[METRICS] = figures
    app[METRICS_REGISTRY] = build_registry(figures)
    task = app[LOOPS].start("event-loop-lag", families.measure_loop_lag, deadline=_LAG_DEADLINE)
    yield
    task.cancel()
    with contextlib.suppress(BaseException):
        await task
    app[LOOPS].forget("event-loop-lag")


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer ``/metrics`` before the API's authentication sees its token."""
    if request.path != METRICS_PATH:
        return await handler(request)
    if request.method not in ("GET", "HEAD"):
        raise MethodNotAllowed(f"{METRICS_PATH} answers GET only", headers={"Allow": "GET"})
    _check_token(request)
    figures = request.app[METRICS]
    await figures.refresh()
    body = generate_latest(request.app[METRICS_REGISTRY])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def _check_token(request: web.Request) -> None:
    configured = request.app[SETTINGS].metrics.token
    if configured is None:
        raise NotFound("metrics are off: set metrics.token (docs/operations.md)")
    header = request.headers.get("Authorization")
    if header is None:
        raise Unauthorized("GET /metrics needs 'Authorization: Bearer <metrics.token>'")
    scheme, _, token = header.partition(" ")
    expected = configured.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected):
        raise Forbidden("that is not the metrics token")
