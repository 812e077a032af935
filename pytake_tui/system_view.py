"""The System screen's figures: what each one is, its thresholds, and the samples kept.

Every figure is a number where higher is worse; at or past ``warn`` it is drawn in the warning
colour, at or past ``error`` in the error colour. The thresholds are the daemon's
(``protocol.system_figures.THRESHOLDS``, listed in docs/tui.md), the same lines its alerts
cross; a figure without them is only informative. The daemon sends running totals for counters and
histograms; rates and means here are over the time between two readings, by the daemon's clock
(``read_at``), so the console's own clock plays no part.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum

from pytake_daemon.protocol.system_figures import QUEUE_TABLES, THRESHOLDS, SystemFigures, Totals
from pytake_i18n import format_number
from pytake_tui.i18n import N_, _

SAMPLES = 60
"""Readings kept per figure for its sparkline (three minutes at the screen's poll interval)."""


class Unit(StrEnum):
    PERCENT = "%"
    MS = "ms"
    SECONDS = "s"
    BYTES = "B"
    COUNT = ""
    RATE = "/s"


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Figure:
    key: str
    label: str
    """Marked with ``N_``: :meth:`title` translates it where it is shown."""
    unit: Unit

    @property
    def warn(self) -> float | None:
        return THRESHOLDS[self.key][0] if self.key in THRESHOLDS else None

    @property
    def error(self) -> float | None:
        return THRESHOLDS[self.key][1] if self.key in THRESHOLDS else None

    def title(self) -> str:
        """The label in the language in force (a queue table's name filled in)."""
        return _(self.label).format(table=self.key.rsplit(".", 1)[-1])

    def level(self, value: float | None) -> Level:
        if value is None:
            return Level.OK
        if self.error is not None and value >= self.error:
            return Level.ERROR
        if self.warn is not None and value >= self.warn:
            return Level.WARN
        return Level.OK


FLOW_JOB = "flow_inbound"

FIGURES: dict[str, Figure] = {
    f.key: f
    for f in (
        Figure("host.cpu", N_("CPU"), Unit.PERCENT),
        Figure("host.memory", N_("Memory"), Unit.PERCENT),
        Figure("host.disk", N_("Disk (state dir)"), Unit.PERCENT),
        Figure("daemon.webhooks", N_("Webhooks accepted"), Unit.RATE),
        Figure("daemon.refused", N_("Webhooks refused/failed"), Unit.RATE),
        Figure("daemon.sends", N_("Graph API sends"), Unit.RATE),
        Figure("daemon.jobs", N_("Jobs queued"), Unit.COUNT),
        Figure("daemon.job_age", N_("Oldest job"), Unit.SECONDS),
        Figure("daemon.outbox", N_("Outbox queued"), Unit.COUNT),
        Figure("daemon.websockets", N_("WebSocket clients"), Unit.COUNT),
        Figure("daemon.dropped", N_("Slow clients cut off"), Unit.COUNT),
        Figure("daemon.loop_lag", N_("Event-loop lag"), Unit.MS),
        Figure("daemon.pool", N_("DB pool in use"), Unit.PERCENT),
        Figure("daemon.rss", N_("Process memory"), Unit.BYTES),
        Figure("daemon.cpu", N_("Process CPU"), Unit.PERCENT),
        Figure("pg.connections", N_("Connections"), Unit.PERCENT),
        Figure("pg.longest", N_("Longest transaction"), Unit.SECONDS),
        Figure("pg.size", N_("Database size"), Unit.BYTES),
        Figure("pg.replication", N_("Replication lag"), Unit.SECONDS),
        *(Figure(f"pg.dead.{t}", N_("Dead rows {table}"), Unit.PERCENT) for t in QUEUE_TABLES),
        Figure("redis.memory", N_("Used memory"), Unit.BYTES),
        Figure("redis.clients", N_("Clients"), Unit.COUNT),
        Figure("redis.ping", N_("Ping"), Unit.MS),
        Figure("lag.ingest", N_("Ingest commit"), Unit.MS),
        Figure("lag.flow", N_("Flow (oldest waiting)"), Unit.SECONDS),
        Figure("lag.outbox", N_("Outbox (overdue)"), Unit.SECONDS),
        Figure("lag.status", N_("Status (Meta → here)"), Unit.SECONDS),
    )
}


@dataclass(frozen=True, slots=True)
class Point:
    """One figure in one reading: ``None`` when not measured (nothing happened, not read)."""

    value: float | None
    detail: str = ""


def formatted(figure: Figure, value: float | None) -> str:
    """The value as the screen shows it ("—" when not measured)."""
    if value is None:
        return "—"
    match figure.unit:
        case Unit.PERCENT:
            return f"{_n(value, '0.0')} %"
        case Unit.MS:
            return f"{_n(value, '0.0')} ms" if value < 100 else f"{_n(value, '#,##0')} ms"
        case Unit.SECONDS:
            return seconds_text(value)
        case Unit.BYTES:
            return size_text(value)
        case Unit.RATE:
            return f"{_n(value, '0.00')}/s" if value < 10 else f"{_n(value, '#,##0')}/s"
        case Unit.COUNT:
            return _n(value, "#,##0")


def _n(value: float, pattern: str) -> str:
    """The locale's decimal mark and grouping ("99,3" in Portuguese), Babel's pattern."""
    return format_number(value, pattern=pattern)


def seconds_text(value: float) -> str:
    if value < 10:
        return f"{_n(value, '0.0')} s"
    if value < 120:
        return f"{value:.0f} s"
    if value < 7200:
        return f"{value // 60:.0f} min {value % 60:02.0f} s"
    return f"{_n(value / 3600, '0.0')} h"


def size_text(value: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{_n(value, '0.0')} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def _rate(now: float, before: float, seconds: float | None) -> float | None:
    # A counter that went down: the daemon restarted between the readings.
    if seconds is None or now < before:
        return None
    return (now - before) / seconds


def _mean_ms(now: Totals, before: Totals) -> float | None:
    count = now.count - before.count
    if count <= 0:
        return None  # nothing observed between the readings
    return (now.sum - before.sum) / count * 1000


def _share(part: float, whole: float) -> float | None:
    return part / whole * 100 if whole > 0 else None


def reading(previous: SystemFigures | None, current: SystemFigures) -> dict[str, Point]:
    """Every figure of ``current``; rates and means need ``previous`` (``None``: not yet)."""
    points: dict[str, Point] = {}
    host = current.host
    points["host.cpu"] = Point(
        host.cpu_percent,
        _("{cores} cores, load {load}").format(cores=host.cpu_count, load=_n(host.load_1m, "0.00")),
    )
    points["host.memory"] = Point(
        host.memory_percent,
        _("{used} of {total}").format(
            used=size_text(host.memory_used_bytes), total=size_text(host.memory_total_bytes)
        ),
    )
    points["host.disk"] = Point(
        host.disk_percent, _("{size} free").format(size=size_text(host.disk_free_bytes))
    )
    points.update(_daemon(previous, current))
    points.update(_postgres(current))
    redis = current.redis
    points["redis.memory"] = Point(redis.used_memory_bytes if redis else None)
    points["redis.clients"] = Point(redis.clients if redis else None)
    points["redis.ping"] = Point(redis.ping_ms if redis else None)
    return points


def _daemon(previous: SystemFigures | None, current: SystemFigures) -> dict[str, Point]:
    d = current.daemon
    p = previous.daemon if previous is not None else None
    seconds: float | None = None
    if previous is not None:
        elapsed = (current.read_at - previous.read_at).total_seconds()
        seconds = elapsed if elapsed > 0 else None
    refused = sum(v for k, v in d.webhooks.items() if k != "accepted")
    queued = sum(j.queued for j in d.jobs)
    ages = [j.oldest_age_seconds for j in d.jobs if j.oldest_age_seconds is not None]
    read = bool(d.jobs)
    flow = next((j for j in d.jobs if j.kind == FLOW_JOB), None)
    points = {
        "daemon.jobs": Point(queued if read else None, _("{n} kinds").format(n=len(d.jobs))),
        "daemon.job_age": Point((max(ages) if ages else 0.0) if read else None),
        "daemon.outbox": Point(d.outbox_queued),
        "daemon.websockets": Point(d.websocket_clients),
        "daemon.pool": Point(
            _share(d.db_pool_in_use, d.db_pool_max),
            _("{used} of {total}").format(used=d.db_pool_in_use, total=d.db_pool_max),
        ),
        "daemon.rss": Point(d.rss_bytes),
        "lag.flow": Point(
            (flow.oldest_age_seconds or 0.0) if flow is not None else None,
            _("{n} waiting").format(n=flow.queued) if flow is not None else "",
        ),
        "lag.outbox": Point(d.outbox_overdue_seconds),
    }
    if p is None:
        for key in ("webhooks", "refused", "sends", "dropped", "loop_lag", "cpu"):
            points[f"daemon.{key}"] = Point(None)
        points["lag.ingest"] = points["lag.status"] = Point(None)
        return points
    points["daemon.webhooks"] = Point(
        _rate(d.webhooks.get("accepted", 0), p.webhooks.get("accepted", 0), seconds)
    )
    before_refused = sum(v for k, v in p.webhooks.items() if k != "accepted")
    points["daemon.refused"] = Point(_rate(refused, before_refused, seconds))
    points["daemon.sends"] = Point(_rate(d.outbox_sends.count, p.outbox_sends.count, seconds))
    dropped = d.websocket_dropped - p.websocket_dropped
    points["daemon.dropped"] = Point(dropped if dropped >= 0 else None, _("since last reading"))
    points["daemon.loop_lag"] = Point(_mean_ms(d.event_loop_lag, p.event_loop_lag))
    cpu = None
    if d.cpu_seconds is not None and p.cpu_seconds is not None:
        rate = _rate(d.cpu_seconds, p.cpu_seconds, seconds)
        cpu = rate * 100 if rate is not None else None
    points["daemon.cpu"] = Point(cpu, _("of one core"))
    points["lag.ingest"] = Point(_mean_ms(d.ingest_commit, p.ingest_commit))
    status = _mean_ms(d.status_lag, p.status_lag)
    points["lag.status"] = Point(status / 1000 if status is not None else None)
    return points


def _postgres(current: SystemFigures) -> dict[str, Point]:
    pg = current.postgres
    if pg is None:
        keys = ["pg.connections", "pg.longest", "pg.size", "pg.replication"]
        return {k: Point(None) for k in keys + [f"pg.dead.{t}" for t in QUEUE_TABLES]}
    if pg.standby:
        replication = _("this server is a standby")
    elif pg.replicas:
        replication = _("{n} standby(s)").format(n=pg.replicas)
    else:
        replication = _("no standbys")
    points = {
        "pg.connections": Point(
            _share(pg.connections, pg.max_connections),
            _("{used} of {total}").format(used=pg.connections, total=pg.max_connections),
        ),
        "pg.longest": Point(pg.longest_transaction_seconds or 0.0),
        "pg.size": Point(pg.database_bytes),
        "pg.replication": Point(pg.replication_lag_seconds, replication),
    }
    tables = {t.table: t for t in pg.tables}
    for name in QUEUE_TABLES:
        found = tables.get(name)
        points[f"pg.dead.{name}"] = (
            Point(
                _share(found.dead, found.live + found.dead) or 0.0,
                _("{n:,} dead").format(n=found.dead),
            )
            if found is not None
            else Point(None)
        )
    return points


class FigureHistory:
    """The last :data:`SAMPLES` readings of every figure, for the sparklines."""

    def __init__(self, size: int = SAMPLES) -> None:
        self._size = size
        self.document: SystemFigures | None = None
        self.latest: dict[str, Point] = {}
        self._series: dict[str, deque[float | None]] = {}

    @property
    def readings(self) -> int:
        return max((len(s) for s in self._series.values()), default=0)

    def add(self, figures: SystemFigures) -> None:
        self.latest = reading(self.document, figures)
        self.document = figures
        for key, point in self.latest.items():
            self._series.setdefault(key, deque(maxlen=self._size)).append(point.value)

    def series(self, key: str) -> list[float]:
        """The figure's measured values, oldest first (readings without one are skipped)."""
        return [v for v in self._series.get(key, ()) if v is not None]
