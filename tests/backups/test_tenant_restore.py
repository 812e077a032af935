"""Per-tenant backups: restoring one tenant replaces exactly its rows, in one transaction, and
leaves every other tenant byte-identical."""

from __future__ import annotations

import uuid

import pytest

from pytake_daemon.backups.context import BackupContext, BackupError
from pytake_daemon.backups.create import create_backup
from pytake_daemon.backups.restore import restore_tenant
from pytake_daemon.backups.tables import tenant_tables
from pytake_daemon.db.migrations import quote_ident
from pytake_daemon.db.pool import Connection
from tests.backups.conftest import RecordingReporter
from tests.conftest import MakeTenant


async def _tenant_rows(conn: Connection, tenant_id: uuid.UUID) -> dict[str, list[str]]:
    out = {}
    for table in await tenant_tables(conn):
        rows = await conn.fetch(
            f"SELECT t::text AS r FROM {quote_ident(table.name)} t "
            f"WHERE {quote_ident(table.key)} = $1 ORDER BY 1",
            tenant_id,
        )
        out[table.name] = [r["r"] for r in rows]
    return out


async def test_tenant_restore_brings_back_deleted_rows_and_leaves_others_identical(
    backup_ctx: BackupContext,
    reporter: RecordingReporter,
    make_tenant: MakeTenant,
    admin_conn: Connection,
) -> None:
    victim = await make_tenant()
    bystander = await make_tenant()
    manifest = await create_backup(backup_ctx, reporter, tenant=victim.slug)
    assert manifest is not None
    assert manifest.scope == "tenant"
    assert manifest.payload == "tar-copy-csv"
    before = await _tenant_rows(admin_conn, victim.id)
    assert len(before["users"]) == 4

    # A mistake: the victim loses users (and, by cascade, their tokens) and its name changes;
    # meanwhile the bystander keeps working.
    await admin_conn.execute(
        "DELETE FROM users WHERE tenant_id = $1 AND role <> 'owner'", victim.id
    )
    await admin_conn.execute("UPDATE tenants SET name = 'oops' WHERE id = $1", victim.id)
    await admin_conn.execute("UPDATE users SET name = 'changed' WHERE tenant_id = $1", bystander.id)
    bystander_now = await _tenant_rows(admin_conn, bystander.id)

    loaded = await restore_tenant(backup_ctx, manifest, victim.slug, reporter)

    assert loaded["users"] == 4
    assert await _tenant_rows(admin_conn, victim.id) == before
    assert await _tenant_rows(admin_conn, bystander.id) == bystander_now


async def test_tenant_backup_refuses_another_tenant_and_full_restore_path(
    backup_ctx: BackupContext,
    reporter: RecordingReporter,
    make_tenant: MakeTenant,
    admin_conn: Connection,
) -> None:
    owner = await make_tenant()
    other = await make_tenant()
    manifest = await create_backup(backup_ctx, reporter, tenant=owner.slug)
    assert manifest is not None
    before = await _tenant_rows(admin_conn, other.id)
    with pytest.raises(BackupError, match="belongs to tenant"):
        await restore_tenant(backup_ctx, manifest, other.slug, reporter)
    assert await _tenant_rows(admin_conn, other.id) == before
