"""Full backups: the round trip through pg_dump, zstd, age and storage, and restore into a new
database whose every table equals the source's."""

from __future__ import annotations

import uuid

import asyncpg

from pytake_daemon.backups.catalog import get_manifest, list_backups
from pytake_daemon.backups.context import BackupContext
from pytake_daemon.backups.create import create_backup
from pytake_daemon.backups.restore import restore_into
from pytake_daemon.backups.tables import full_stats
from pytake_daemon.db.pool import Connection, connect
from tests.backups.conftest import RecordingReporter
from tests.conftest import MakeTenant
from tests.support import with_database


async def _drop(admin_conn: Connection, name: str) -> None:
    await admin_conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _table_dump(dsn: str) -> dict[str, list[str]]:
    """Every row of every table as text, ordered: a logical dump to compare databases."""
    conn = await asyncpg.connect(dsn)
    try:
        names = [
            r["relname"]
            for r in await conn.fetch(
                "SELECT relname FROM pg_class WHERE relkind = 'r' "
                "AND relnamespace = 'public'::regnamespace"
            )
        ]
        out = {}
        for name in names:
            rows = await conn.fetch(f'SELECT t::text AS r FROM "{name}" t ORDER BY 1')
            out[name] = [r["r"] for r in rows]
        return out
    finally:
        await conn.close()


async def test_full_backup_restores_into_new_database_identically(
    backup_ctx: BackupContext,
    reporter: RecordingReporter,
    make_tenant: MakeTenant,
    admin_conn: Connection,
) -> None:
    await make_tenant()
    manifest = await create_backup(backup_ctx, reporter, note="round trip")
    assert manifest is not None
    assert manifest.scope == "full"
    assert manifest.payload == "pg_dump-custom"
    assert reporter.advanced >= manifest.payload_bytes > 0
    assert manifest.stored_bytes < manifest.payload_bytes  # compressed
    assert [m.id for m in await list_backups(backup_ctx)] == [manifest.id]
    assert await get_manifest(backup_ctx, manifest.id) == manifest
    # The source changes after the backup; the restore must show the backup's moment.
    await make_tenant()
    source = backup_ctx.admin_dsn
    target_name = f"restored_{uuid.uuid4().hex[:8]}"
    target = with_database(source, target_name)
    try:
        await restore_into(backup_ctx, manifest, target, reporter)
        restored_conn = await connect(target)
        try:
            assert await full_stats(restored_conn) == manifest.tables
        finally:
            await restored_conn.close()
        restored = await _table_dump(target)
        assert set(restored) == {s.table for s in manifest.tables}
        assert {t: len(rows) for t, rows in restored.items()} == {
            s.table: s.rows for s in manifest.tables
        }
    finally:
        await _drop(admin_conn, target_name)
