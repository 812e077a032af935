"""Scheduled work across two real daemon processes on the shared PostgreSQL and Redis, their
clocks pinned (issue 20, part 5).

Two more ``pytake daemon`` processes run under Debian's libfaketime (preloaded, as
scripts/test-any-hour.sh runs the suite), both reading one offset from a file: they start at
02:50 UTC on 2031-01-06, and once both are ready the test moves them to 02:59:55 (an offset,
not a frozen clock: timeouts keep working; how long a start takes on a loaded machine no
longer matters). The backup schedule fires at 03:00 and queue aggregation at minute 0, in
both processes at once:

- the 03:00 backup slot is done once: one ``succeeded`` run for it (the other process found the
  advisory lock held, or the slot taken);
- the hour 02:00 is aggregated: one ``queue_metrics`` row per queue for it, written by one or
  both processes (aggregation's lock is transaction-scoped: a process that fires after the
  other's transaction committed does the same upsert again, to the same figures by design,
  attendance/aggregation.py), and neither process logged a failure.

PostgreSQL and Redis keep the real clock: nothing compared here depends on theirs.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import aiohttp
import pytest

from pytake_daemon.attendance import queues_db
from pytake_daemon.attendance.views import settings_values
from pytake_daemon.backups import db as backups_db
from pytake_daemon.config import Settings
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.embedded import EmbeddedStack
from pytake_daemon.protocol.queues import QueueSettings
from tests.private_stack import until, until_async
from tests.replicas.support import Replicas
from tests.support import TenantData, free_port
from tests.test_cross_process import START_TIMEOUT, Daemon, reaped, start_daemon

pytestmark = [pytest.mark.timeout(360), pytest.mark.xdist_group("replicas")]

LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
SLOT = datetime(2031, 1, 6, 3, 0, tzinfo=UTC)
# Where the pinned clocks start, and where the test moves them once both processes are ready
# (a start under libfaketime took 50 s on the loaded machine).
START = SLOT - timedelta(minutes=10)
STEP_TO = SLOT - timedelta(seconds=5)
# Every clock call goes through libfaketime: a start took 50-70 s on the loaded machine.
START_WAIT = START_TIMEOUT * 2
# A scheduled backup of the package's database, on a loaded machine.
BACKUP_TIMEOUT = 90.0


def pin(clock_file: Path, moment: datetime) -> None:
    """Set the pinned processes' clocks to read ``moment`` now (within the second they re-read
    the file)."""
    offset = int(moment.timestamp() - time.time())
    staged = clock_file.with_suffix(".new")
    staged.write_text(f"{offset:+d}s\n")
    staged.replace(clock_file)  # never a half-written offset


def pinned_env(base: dict[str, str], clock_file: Path) -> dict[str, str]:
    env = dict(base)
    env.update(
        PYTAKE_SERVER__PORT=str(free_port()),
        PYTAKE_QUEUES__AGGREGATION_MINUTE="0",
        PYTAKE_LOGGING__LEVEL="info",  # the aggregation's line is an info
        LD_PRELOAD=str(LIBFAKETIME),
        FAKETIME_TIMESTAMP_FILE=str(clock_file),
        FAKETIME_CACHE_DURATION="1",  # re-read each second (10 by default)
    )
    return env


async def ready(session: aiohttp.ClientSession, daemon: Daemon) -> bool:
    assert daemon.proc.poll() is None, f"daemon exited:\n{daemon.log()}"
    try:
        async with session.get(f"{daemon.url}/readyz") as resp:
            return resp.status == 200
    except aiohttp.ClientError:
        return False


async def test_scheduled_work_runs_once_across_two_processes(
    replica_config: Replicas,
    replica_settings: Settings,
    stack: EmbeddedStack,
    tenant: TenantData,
    replica_conn: Connection,
    session: aiohttp.ClientSession,
) -> None:
    if not LIBFAKETIME.exists():
        pytest.skip("Debian's libfaketime is not installed (apt-get install faketime)")
    # A queue for the aggregation to write a row for: written straight to the database, so the
    # test needs no daemon on the real clock (the package's pair need not be started for it).
    async with replica_conn.transaction():
        await set_tenant(replica_conn, tenant.id)
        queue_id = await queues_db.insert_queue(
            replica_conn, settings_values(QueueSettings(name="Scheduled"))
        )
    assert queue_id is not None

    before = await backups_db.get_schedule(replica_conn)
    await backups_db.set_schedule(
        replica_conn,
        backups_db.Schedule(
            enabled=True,
            backup_cron="0 3 * * *",
            drill_cron=None,
            keep_last=before.keep_last,
            keep_daily=before.keep_daily,
            keep_weekly=before.keep_weekly,
            keep_monthly=before.keep_monthly,
        ),
    )
    # One file for both: the same pinned moment in both processes.
    clock_file = stack.root / "pinned-clock"
    pin(clock_file, START)
    daemons = [
        start_daemon(pinned_env(env, clock_file), stack.root / f"pinned-{i}.log")
        for i, env in enumerate(replica_config.envs)
    ]
    try:
        with reaped(daemons):
            for daemon in daemons:
                try:
                    await until_async(partial(ready, session, daemon), START_WAIT, "a start")
                except AssertionError as exc:
                    raise AssertionError(f"{exc}\n{daemon.log()}") from None
            pin(clock_file, STEP_TO)

            async def backup_done() -> bool:
                statuses = await _slot_runs(replica_conn)
                return "succeeded" in statuses or "failed" in statuses

            await until_async(backup_done, BACKUP_TIMEOUT, "the 03:00 backup")
            await until(
                lambda: any(_aggregated(d) for d in daemons), BACKUP_TIMEOUT, "the aggregation"
            )
            runs = await _slot_runs(replica_conn)
            logs = "\n---\n".join(_log(d) for d in daemons)
            assert runs.count("succeeded") == 1, (runs, logs)
            assert set(runs) <= {"succeeded", "skipped"}, (runs, logs)
            rows = await replica_conn.fetch(
                "SELECT entries, exits FROM queue_metrics WHERE queue_id = $1 AND hour = $2",
                queue_id,
                SLOT - timedelta(hours=1),
            )
            assert len(rows) == 1
            assert "aggregation failed" not in logs
            assert "scheduled backup failed" not in logs
    finally:
        await backups_db.set_schedule(replica_conn, before)


async def _slot_runs(conn: Connection) -> list[str]:
    rows = await conn.fetch(
        "SELECT status FROM backup_runs WHERE kind = 'backup'"
        " AND (slot = $1 OR (detail->>'slot')::timestamptz = $1) ORDER BY status",
        SLOT,
    )
    return [r["status"] for r in rows]


def _log(daemon: Daemon) -> str:
    """The whole log (``Daemon.log`` keeps its end only; info lines fill it quickly)."""
    return daemon.log_path.read_text(errors="replace")


def _aggregated(daemon: Daemon) -> bool:
    hour = (SLOT - timedelta(hours=1)).isoformat()
    return any(
        "queue metrics aggregated" in line and hour in line for line in _log(daemon).splitlines()
    )
