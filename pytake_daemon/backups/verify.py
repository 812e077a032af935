"""Verify: download, check size and SHA-256, decrypt and decompress, compare the payload."""

from __future__ import annotations

from pytake_daemon.backups import db
from pytake_daemon.backups.catalog import fetch_checked
from pytake_daemon.backups.codec import BackupCorruptError
from pytake_daemon.backups.context import BackupContext, BackupError, Reporter
from pytake_daemon.backups.keyring import BackupKeyError
from pytake_daemon.backups.storage import StorageError
from pytake_daemon.db.pool import connect
from pytake_daemon.protocol.backups import BackupManifest, RunTrigger, VerifyResult


async def verify_backup(
    ctx: BackupContext, manifest: BackupManifest, reporter: Reporter, *, trigger: RunTrigger
) -> VerifyResult:
    """Check one backup end to end and record the run; a bad backup is a result, not an error."""
    conn = await connect(ctx.admin_dsn)
    try:
        run_id = await db.start_run(
            conn, kind="verify", scope=manifest.scope, tenant_id=manifest.tenant_id, trigger=trigger
        )
        assert run_id is not None, "only slotted runs conflict"
        try:
            with ctx.workdir() as workdir:
                await fetch_checked(ctx, manifest, workdir, reporter)
        except (BackupCorruptError, BackupKeyError, BackupError, StorageError) as exc:
            await db.finish_run(
                conn, run_id, status="failed", backup_id=manifest.id, error=str(exc)
            )
            return VerifyResult(backup_id=manifest.id, ok=False, detail=str(exc))
        await db.finish_run(
            conn,
            run_id,
            status="succeeded",
            backup_id=manifest.id,
            size_bytes=manifest.stored_bytes,
        )
    finally:
        await conn.close()
    return VerifyResult(
        backup_id=manifest.id,
        ok=True,
        detail=f"{manifest.stored_bytes} bytes stored, checksums match, decrypts and decompresses",
    )
