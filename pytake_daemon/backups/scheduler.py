"""The backup and drill schedule inside the daemon (APScheduler 3, cron triggers in UTC).

Every replica runs this scheduler; exactly one of them does each slot's work:
- a PostgreSQL advisory lock (session level, on a connection of its own) is held for the whole
  run, so a run that overruns into the next slot makes that slot skip instead of overlapping;
- the slot is recorded in ``backup_runs`` under a unique index, so a replica firing the same
  slot after the first finished finds it taken.
The schedule itself is a database row (``pytake backup schedule set``), re-read every 30 s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from pytake_daemon.backups import db
from pytake_daemon.backups.catalog import data_name, list_backups, manifest_name
from pytake_daemon.backups.context import BackupContext, SilentReporter, one_line
from pytake_daemon.backups.create import create_backup
from pytake_daemon.backups.cron import CronError, trigger
from pytake_daemon.backups.drill import run_drill
from pytake_daemon.backups.health import backup_health
from pytake_daemon.backups.retention import Retention, to_prune
from pytake_daemon.db.pool import connect
from pytake_daemon.protocol.backups import BackupAlert, RunKind

log = structlog.get_logger("pytake.backups")

# One advisory lock per kind of scheduled work ("pytakeBK" / "pytakeDR").
LOCKS: dict[RunKind, int] = {"backup": 0x7079_7461_6B65_424B, "drill": 0x7079_7461_6B65_4452}
# Cron slots are whole minutes; a firing more than this late is dropped (and reported overdue),
# so every replica that fires one slot computes the same minute for it.
MISFIRE_GRACE_SECONDS = 50
RELOAD_SECONDS = 30
OVERDUE_CHECK_SECONDS = 300

Alert = Callable[[BackupAlert], Awaitable[None]]


def slot_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


class BackupScheduler:
    def __init__(self, ctx: BackupContext, alert: Alert) -> None:
        self.ctx = ctx
        self._alert = alert
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._loaded: db.Schedule | None = None
        self._overdue_alerted: datetime | None = None

    def start(self) -> None:
        self._scheduler.add_job(
            self.reload,
            "interval",
            seconds=RELOAD_SECONDS,
            id="reload",
            next_run_time=datetime.now(UTC),
        )
        self._scheduler.add_job(
            self.check_overdue, "interval", seconds=OVERDUE_CHECK_SECONDS, id="overdue"
        )
        self._scheduler.start()

    def shutdown(self) -> None:
        self._scheduler.shutdown(wait=False)

    def next_run(self, job_id: RunKind) -> datetime | None:
        job = self._scheduler.get_job(job_id)
        return None if job is None else job.next_run_time

    async def reload(self) -> None:
        """Follow the schedule row: (re)schedule or remove the backup and drill jobs."""
        conn = await connect(self.ctx.admin_dsn)
        try:
            schedule = await db.get_schedule(conn)
        finally:
            await conn.close()
        if schedule == self._loaded:
            return
        self._loaded = schedule
        for kind, expression in (("backup", schedule.backup_cron), ("drill", schedule.drill_cron)):
            if self._scheduler.get_job(kind) is not None:
                self._scheduler.remove_job(kind)
            if not schedule.enabled or expression is None:
                continue
            try:
                cron = trigger(expression)
            except CronError as exc:
                log.error("backup schedule unusable", error=str(exc))
                continue
            self._scheduler.add_job(
                self.run_backup_now if kind == "backup" else self.run_drill_now,
                cron,
                id=kind,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=MISFIRE_GRACE_SECONDS,
            )

    async def run_backup_now(self) -> None:
        await self.run_slot("backup", slot_of(datetime.now(UTC)))

    async def run_drill_now(self) -> None:
        await self.run_slot("drill", slot_of(datetime.now(UTC)))

    async def run_slot(self, kind: RunKind, slot: datetime) -> bool:
        """Do one slot's work unless another process has it; True if this process did it."""
        lock = await connect(self.ctx.admin_dsn)
        try:
            if not await lock.fetchval("SELECT pg_try_advisory_lock($1)", LOCKS[kind]):
                await db.record_skip(lock, kind, slot, "the previous run was still going")
                return False
            try:
                if kind == "backup":
                    return await self._backup(slot)
                return await self._drill(slot)
            finally:
                await lock.execute("SELECT pg_advisory_unlock($1)", LOCKS[kind])
        finally:
            await lock.close()

    async def _backup(self, slot: datetime) -> bool:
        try:
            manifest = await create_backup(
                self.ctx, SilentReporter(), trigger="schedule", slot=slot
            )
        except Exception as exc:
            log.error("scheduled backup failed", error=one_line(exc))
            await self._alert(
                BackupAlert(reason="backup_failed", message=f"backup failed: {one_line(exc)}")
            )
            return True
        if manifest is None:
            return False
        await self.prune()
        return True

    async def _drill(self, slot: datetime) -> bool:
        try:
            result = await run_drill(self.ctx, SilentReporter(), trigger="schedule", slot=slot)
        except Exception as exc:
            await self._alert(
                BackupAlert(reason="drill_failed", message=f"restore drill failed: {one_line(exc)}")
            )
            return True
        if result is None:
            return False
        if not result.ok:
            await self._alert(
                BackupAlert(
                    reason="drill_failed",
                    message=f"restore drill of {result.backup_id} found differences: "
                    + "; ".join(result.differences[:3]),
                )
            )
        return True

    async def prune(self) -> list[str]:
        """Apply retention to stored backups; returns the ids removed."""
        conn = await connect(self.ctx.admin_dsn)
        try:
            schedule = await db.get_schedule(conn)
        finally:
            await conn.close()
        return await prune(self.ctx, _retention(schedule))

    async def check_overdue(self) -> None:
        conn = await connect(self.ctx.admin_dsn)
        try:
            health = await backup_health(
                conn,
                datetime.now(UTC),
                grace_minutes=self.ctx.settings.backups.overdue_grace_minutes,
            )
        finally:
            await conn.close()
        if health.overdue and health.next_due_at != self._overdue_alerted:
            self._overdue_alerted = health.next_due_at
            await self._alert(
                BackupAlert(
                    reason="backup_overdue",
                    message=f"no successful backup since {health.last_success_at:%Y-%m-%d %H:%M} "
                    f"UTC (one was due at {health.next_due_at:%Y-%m-%d %H:%M} UTC)",
                )
            )


def _retention(schedule: db.Schedule) -> Retention:
    return Retention(
        keep_last=schedule.keep_last,
        keep_daily=schedule.keep_daily,
        keep_weekly=schedule.keep_weekly,
        keep_monthly=schedule.keep_monthly,
    )


async def prune(ctx: BackupContext, policy: Retention) -> list[str]:
    """Delete what retention drops: manifest first, so a half-deleted backup is never listed."""
    dropped = to_prune(await list_backups(ctx), policy)
    for manifest in dropped:
        await asyncio.to_thread(ctx.storage.delete, manifest_name(manifest.id))
        await asyncio.to_thread(ctx.storage.delete, data_name(manifest.id))
    return [m.id for m in dropped]
