"""The restore drill finds a corrupted restore; the schedule runs a slot exactly once across
processes and never overlaps a run still going."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from pytake_daemon.backups import db
from pytake_daemon.backups.context import BackupContext
from pytake_daemon.backups.create import create_backup
from pytake_daemon.backups.drill import compare, run_drill, scratch_restore
from pytake_daemon.backups.scheduler import LOCKS, BackupScheduler
from pytake_daemon.db.pool import Connection, connect
from pytake_daemon.protocol.backups import BackupAlert
from tests.backups.conftest import RecordingReporter
from tests.conftest import MakeTenant


async def test_drill_passes_then_detects_a_corrupted_restore(
    backup_ctx: BackupContext, reporter: RecordingReporter, make_tenant: MakeTenant
) -> None:
    await make_tenant()
    manifest = await create_backup(backup_ctx, reporter)
    assert manifest is not None
    result = await run_drill(backup_ctx, reporter)
    assert result is not None
    assert result.ok, result.differences
    assert result.backup_id == manifest.id
    assert result.rows > 0

    async with scratch_restore(backup_ctx, manifest, reporter) as dsn:
        conn = await connect(dsn)
        try:
            await conn.execute("ALTER TABLE users DISABLE TRIGGER ALL")
            await conn.execute(
                "UPDATE users SET name = name || '!' WHERE ctid IN (SELECT ctid FROM users LIMIT 1)"
            )
        finally:
            await conn.close()
        broken = await compare(manifest, dsn)
    assert not broken.ok
    assert broken.differences == [f"users: content checksum differs ({_rows(manifest)} rows)"]


def _rows(manifest: object) -> int:
    from pytake_daemon.protocol.backups import BackupManifest

    assert isinstance(manifest, BackupManifest)
    return next(s.rows for s in manifest.tables if s.table == "users")


async def _noop_alert(event: BackupAlert) -> None:
    raise AssertionError(f"unexpected alert: {event}")


async def _runs_of_slot(admin_conn: Connection, slot: datetime) -> list[str]:
    rows = await admin_conn.fetch(
        "SELECT status FROM backup_runs WHERE kind = 'backup' "
        "AND (slot = $1 OR (detail->>'slot')::timestamptz = $1) ORDER BY status",
        slot,
    )
    return [r["status"] for r in rows]


async def test_two_processes_firing_one_slot_make_one_backup(
    backup_ctx: BackupContext, admin_conn: Connection
) -> None:
    # Two schedulers, each with its own connections, as two daemon processes would have.
    first = BackupScheduler(backup_ctx, _noop_alert)
    second = BackupScheduler(backup_ctx, _noop_alert)
    slot = datetime(2001, 1, 1, 3, 0, tzinfo=UTC).replace(microsecond=uuid_micro())
    did = await asyncio.gather(first.run_slot("backup", slot), second.run_slot("backup", slot))
    assert sorted(did) == [False, True]
    # The loser either found the lock held (a skip, recorded as such) or the slot taken.
    assert (await _runs_of_slot(admin_conn, slot))[-1:] == ["succeeded"]
    assert len([s for s in await _runs_of_slot(admin_conn, slot) if s == "succeeded"]) == 1
    # Later, the same slot again (a replica whose clock lagged): still one.
    assert await first.run_slot("backup", slot) is False
    assert (await _runs_of_slot(admin_conn, slot)).count("succeeded") == 1


def uuid_micro() -> int:
    import secrets

    return secrets.randbelow(999_999)


async def test_a_slot_firing_while_a_run_is_still_going_is_skipped(
    backup_ctx: BackupContext, admin_conn: Connection
) -> None:
    scheduler = BackupScheduler(backup_ctx, _noop_alert)
    holder = await connect(backup_ctx.admin_dsn)
    try:
        assert await holder.fetchval("SELECT pg_try_advisory_lock($1)", LOCKS["backup"])
        slot = datetime(2002, 1, 1, 3, 0, tzinfo=UTC).replace(microsecond=uuid_micro())
        assert await scheduler.run_slot("backup", slot) is False
        assert await _runs_of_slot(admin_conn, slot) == ["skipped"]
    finally:
        await holder.close()


async def test_scheduler_follows_the_schedule_row(
    backup_ctx: BackupContext, admin_conn: Connection
) -> None:
    scheduler = BackupScheduler(backup_ctx, _noop_alert)
    scheduler.start()
    try:
        await scheduler.reload()
        schedule = await db.get_schedule(admin_conn)
        assert schedule.enabled
        nxt = scheduler.next_run("backup")
        assert nxt is not None
        assert nxt.minute == 0
        assert nxt.hour == 3
    finally:
        scheduler.shutdown()


@pytest.mark.parametrize("expression", ["every day", "61 * * * *"])
def test_bad_cron_is_one_line(expression: str) -> None:
    from pytake_daemon.backups.cron import CronError, trigger

    with pytest.raises(CronError, match="schedule"):
        trigger(expression)
