"""Pinned figures for the System screen: the ``n``-th reading, 3 s after the previous one by the
daemon's clock, with counters that grow by fixed steps; a scripted client that answers them in
order, and an app signed in on it as an admin."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.system_figures import (
    DaemonFigures,
    HostFigures,
    JobKindFigures,
    PostgresFigures,
    RedisFigures,
    SystemFigures,
    TableTuples,
    Totals,
)
from pytake_tui import PyTakeApp
from pytake_tui.client import DaemonError
from pytake_tui.screens.system import SystemScreen

from .dashboard_support import me_as
from .fake_daemon import ScriptedClient, hello_envelope
from .fake_world import demo_world
from .helpers import wait_until
from .identities import FIXED_AT
from .resumed_app import resumed_app, session_started

MIB = 1024**2
GIB = 1024**3
STEP = 3.0


def _totals(n: int, per_step: int, mean_of: Any) -> Totals:
    """``per_step`` observations a step; the i-th step's mean is ``mean_of(i)`` seconds."""
    return Totals(count=per_step * n, sum=sum(per_step * mean_of(i) for i in range(1, n + 1)))


def figures(n: int, *, postgres_down: bool = False) -> SystemFigures:
    """The ``n``-th reading (0 first). After 11 steps the disk (85.5 %) and the oldest job
    (34 s) are past their warning, the queue items' dead rows (61.5 %) past their error."""
    host = HostFigures(
        cpu_percent=None if n == 0 else 20.0 + 5 * (n % 5), cpu_count=2, load_1m=0.8,
        memory_percent=60.0 + n, memory_used_bytes=int((0.6 + n / 100) * 8 * GIB),
        memory_total_bytes=8 * GIB, disk_path="/var/lib/pytake", disk_percent=80.0 + n / 2,
        disk_free_bytes=int((20 - n / 2) / 100 * 64 * GIB), disk_total_bytes=64 * GIB,
    )  # fmt: skip
    daemon = DaemonFigures(
        rss_bytes=180 * MIB + n * MIB // 2, cpu_seconds=40.0 + 0.45 * n,
        webhooks={"accepted": float(sum(30 + 3 * (i % 4) for i in range(1, n + 1))),
                  "unauthorized": 2.0},
        ingest_commit=_totals(n, 10, lambda i: 0.003 + 0.001 * (i % 4)),
        status_lag=_totals(n, 5, lambda i: 2.0 + i % 3),
        outbox_sends=_totals(n, 15, lambda i: 0.08),
        event_loop_lag=_totals(n, 6, lambda i: 0.002 * (1 + i % 3)),
        jobs=[
            JobKindFigures(kind="ai_analysis", queued=40 + n, oldest_age_seconds=12.0 + 2 * n),
            JobKindFigures(kind="flow_inbound", queued=1,
                           oldest_age_seconds=1.5 + 0.5 * (n % 4)),
            JobKindFigures(kind="ingest", queued=n % 3,
                           oldest_age_seconds=0.4 if n % 3 else None),
        ],
        outbox_queued=3, outbox_overdue_seconds=0.0, websocket_clients=4, websocket_dropped=0.0,
        db_pool_in_use=2, db_pool_max=10,
    )  # fmt: skip
    postgres = PostgresFigures(
        connections=23, max_connections=100, longest_transaction_seconds=0.8,
        database_bytes=412 * MIB + n * MIB, standby=False, replicas=0,
        replication_lag_seconds=None,
        tables=[
            TableTuples(table="jobs", live=120, dead=30),
            TableTuples(table="outbox", live=900, dead=20),
            TableTuples(table="queue_items", live=50, dead=80),
        ],
    )  # fmt: skip
    return SystemFigures(
        read_at=FIXED_AT + timedelta(seconds=STEP * n),
        host=host,
        daemon=daemon,
        postgres=None if postgres_down else postgres,
        postgres_error="PostgreSQL did not answer within 3 s" if postgres_down else None,
        redis=RedisFigures(used_memory_bytes=int(3.2 * MIB), clients=9, ping_ms=0.4),
    )


class SystemClient(ScriptedClient):
    """Answers reading 0, 1, 2… in turn; ``fail_with`` makes the next reads fail."""

    def __init__(self, server: str, *, role: Role = Role.ADMIN) -> None:
        super().__init__(server, [hello_envelope(1)], demo_world(), me_as(role))
        self.reads = 0
        self.postgres_down = False
        self.fail_with: DaemonError | None = None

    async def system_figures(self) -> SystemFigures:
        if self.fail_with is not None:
            raise self.fail_with
        n = self.reads
        self.reads += 1
        return figures(n, postgres_down=self.postgres_down)


def system_app(tmp: Path, client: SystemClient) -> PyTakeApp:
    """An app resumed from a saved session on ``client``, clock at FIXED_AT."""
    return resumed_app(tmp, client)


async def signed_in(pilot: Pilot[Any]) -> PyTakeApp:
    return await session_started(pilot)


async def readings(pilot: Pilot[Any], screen: SystemScreen, count: int) -> None:
    """Press ctrl+r until the screen has shown ``count`` readings."""
    await wait_until(pilot, lambda: screen.loads >= 1, "the first reading")
    for wanted in range(screen.loads + 1, count + 1):
        await pilot.press("ctrl+r")
        # A default binds this turn's value (ruff B023); mypy can't type a lambda default.
        await wait_until(
            pilot,
            lambda at_least=wanted: screen.loads >= at_least,  # type: ignore[misc]
            f"reading {wanted}",
        )
    await pilot.pause()
