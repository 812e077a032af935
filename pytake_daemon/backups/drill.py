"""The restore drill: restore the latest full backup into a scratch database and compare every
table's row count and checksum with what the backup recorded (only a test restore proves a
backup, as PostgreSQL's own documentation says)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from pytake_daemon.backups import db
from pytake_daemon.backups.catalog import list_backups
from pytake_daemon.backups.context import BackupContext, BackupError, Reporter, one_line
from pytake_daemon.backups.pgtools import database_of, with_database
from pytake_daemon.backups.restore import restore_into
from pytake_daemon.backups.tables import full_stats, stat_differences
from pytake_daemon.db.migrations import quote_ident
from pytake_daemon.db.pool import connect
from pytake_daemon.protocol.backups import BackupManifest, RunTrigger


@dataclass(frozen=True)
class DrillResult:
    backup_id: str
    ok: bool
    differences: list[str]
    tables: int
    rows: int


@asynccontextmanager
async def scratch_restore(
    ctx: BackupContext, manifest: BackupManifest, reporter: Reporter
) -> AsyncIterator[str]:
    """The backup restored into a scratch database (its DSN), dropped afterwards."""
    name = f"{database_of(ctx.admin_dsn)[:30]}_drill_{secrets.token_hex(4)}"
    dsn = with_database(ctx.admin_dsn, name)
    try:
        await restore_into(ctx, manifest, dsn, reporter, migrate=False)
        yield dsn
    finally:
        server = await connect(with_database(ctx.admin_dsn, "postgres"))
        try:
            await asyncio.shield(
                server.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")
            )
        finally:
            await server.close()


async def compare(manifest: BackupManifest, dsn: str) -> DrillResult:
    """Row counts and checksums of a restored database against the backup's manifest."""
    conn = await connect(dsn)
    try:
        found = await full_stats(conn)
    finally:
        await conn.close()
    differences = stat_differences(manifest.tables, found)
    return DrillResult(
        backup_id=manifest.id,
        ok=not differences,
        differences=differences,
        tables=len(found),
        rows=sum(s.rows for s in found),
    )


async def latest_full(ctx: BackupContext) -> BackupManifest:
    full = [m for m in await list_backups(ctx) if m.scope == "full"]
    if not full:
        raise BackupError("no full backup to drill yet ('pytake backup create' makes one)")
    return full[-1]


async def run_drill(
    ctx: BackupContext,
    reporter: Reporter,
    *,
    trigger: RunTrigger = "manual",
    slot: datetime | None = None,
) -> DrillResult | None:
    """Drill the latest full backup and record the result; ``None`` if the slot was taken."""
    admin = await connect(ctx.admin_dsn)
    try:
        run_id = await db.start_run(
            admin,
            kind="drill",
            scope="full",
            tenant_id=None,
            trigger=trigger,
            slot=slot,
        )
        if run_id is None:
            return None
        try:
            manifest = await latest_full(ctx)
            async with scratch_restore(ctx, manifest, reporter) as dsn:
                result = await compare(manifest, dsn)
        except BaseException as exc:
            await asyncio.shield(db.finish_run(admin, run_id, status="failed", error=one_line(exc)))
            raise
        await db.finish_run(
            admin,
            run_id,
            status="succeeded" if result.ok else "failed",
            backup_id=result.backup_id,
            error=None if result.ok else "; ".join(result.differences)[:500],
            detail={
                "tables": result.tables,
                "rows": result.rows,
                "differences": result.differences,
            },
        )
        return result
    finally:
        await admin.close()
