"""Making a backup: one snapshot, streamed through zstd and age, stored and read back."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pytake_daemon.backups import db
from pytake_daemon.backups.catalog import data_name, manifest_name
from pytake_daemon.backups.codec import Digest, seal
from pytake_daemon.backups.context import BackupContext, BackupError, Reporter, one_line
from pytake_daemon.backups.pgtools import find_tools, libpq_target, server_info
from pytake_daemon.backups.tables import full_stats
from pytake_daemon.backups.tenant_archive import export_tenant
from pytake_daemon.db import migrations
from pytake_daemon.db.pool import Connection, connect
from pytake_daemon.errors import PyTakeError
from pytake_daemon.protocol.backups import BackupManifest, RunTrigger, TableStat
from pytake_daemon.tenancy import db as tenancy_db


@dataclass(frozen=True)
class TenantRef:
    id: uuid.UUID
    slug: str


async def resolve_tenant(conn: Connection, tenant: str) -> TenantRef:
    found = await tenancy_db.tenant_id(conn, tenant)
    if found is None:
        raise PyTakeError(f"no tenant {tenant!r} (see 'pytake tenant list')")
    slug = await conn.fetchval("SELECT slug FROM tenants WHERE id = $1", found)
    return TenantRef(found, slug)


async def create_backup(
    ctx: BackupContext,
    reporter: Reporter,
    *,
    tenant: str | None = None,
    note: str | None = None,
    trigger: RunTrigger = "manual",
    slot: datetime | None = None,
) -> BackupManifest | None:
    """Back up everything (or one tenant); recorded in ``backup_runs`` whatever happens.

    With ``slot`` (a scheduled run) returns ``None`` when another process already took it.
    """
    admin = await connect(ctx.admin_dsn)
    try:
        ref = await resolve_tenant(admin, tenant) if tenant is not None else None
        run_id = await db.start_run(
            admin,
            kind="backup",
            scope="tenant" if ref else "full",
            tenant_id=ref.id if ref else None,
            trigger=trigger,
            slot=slot,
        )
        if run_id is None:
            return None
        try:
            manifest = await _create(ctx, reporter, ref, note)
        except BaseException as exc:
            await asyncio.shield(db.finish_run(admin, run_id, status="failed", error=one_line(exc)))
            raise
        await db.finish_run(
            admin,
            run_id,
            status="succeeded",
            backup_id=manifest.id,
            size_bytes=manifest.stored_bytes,
            detail={"duration_seconds": manifest.duration_seconds},
        )
        return manifest
    finally:
        await admin.close()


async def _create(
    ctx: BackupContext, reporter: Reporter, ref: TenantRef | None, note: str | None
) -> BackupManifest:
    started = datetime.now(UTC)
    clock = time.perf_counter()
    scope = f"tenant-{ref.slug}" if ref else "full"
    backup_id = f"{started:%Y%m%dT%H%M%SZ}-{scope}-{secrets.token_hex(3)}"
    snap = await connect(ctx.admin_dsn)
    try:
        with ctx.workdir() as workdir:
            sealed = workdir / data_name(backup_id)
            # One snapshot for the data, the row counts and the checksums: what the manifest
            # says is exactly what the file holds, whatever commits meanwhile.
            async with snap.transaction(isolation="repeatable_read", readonly=True):
                info = await server_info(snap)
                schema_version = await migrations.current_version(snap) or 0
                if ref is None:
                    payload, stored, stats = await _dump_full(
                        ctx, snap, sealed, reporter, info.major
                    )
                else:
                    payload, stored, stats = await _dump_tenant(
                        ctx, snap, sealed, workdir, reporter, ref, schema_version
                    )
            manifest = BackupManifest(
                id=backup_id,
                scope="tenant" if ref else "full",
                tenant_id=ref.id if ref else None,
                tenant_slug=ref.slug if ref else None,
                note=note,
                created_at=started,
                finished_at=datetime.now(UTC),
                duration_seconds=round(time.perf_counter() - clock, 3),
                schema_version=schema_version,
                postgres_version=info.version,
                payload="tar-copy-csv" if ref else "pg_dump-custom",
                recipients=ctx.keyring.encrypt_to,
                payload_bytes=payload.size,
                payload_sha256=payload.sha256,
                stored_bytes=stored.size,
                stored_sha256=stored.sha256,
                tables=stats,
            )
            reporter.phase(f"upload to {ctx.storage.describe()}", total=stored.size)
            await asyncio.to_thread(ctx.storage.put_file, sealed, data_name(backup_id), stored)
            reporter.advance(stored.size)
            try:
                body = json.dumps(manifest.model_dump(mode="json"), indent=2).encode()
                await asyncio.to_thread(ctx.storage.put_bytes, manifest_name(backup_id), body)
            except BaseException:
                await asyncio.to_thread(ctx.storage.delete, data_name(backup_id))
                raise
            return manifest
    finally:
        await snap.close()


async def _dump_full(
    ctx: BackupContext, snap: Connection, sealed: Path, reporter: Reporter, major: int
) -> tuple[Digest, Digest, list[TableStat]]:
    tools = find_tools(ctx.settings, major)
    snapshot = await snap.fetchval("SELECT pg_export_snapshot()")
    size = await snap.fetchval("SELECT pg_database_size(current_database())")
    dsn, env = libpq_target(ctx.admin_dsn)
    reporter.phase("pg_dump → zstd → age", total=size)
    with (sealed.parent / "pg_dump.err").open("w+b") as errors:
        # -Z0: zstd compresses once, better and faster than pg_dump's own gzip would first.
        # Popen (not asyncio's): a worker thread reads its stdout as a plain file; starting it
        # is a fork/exec, as quick as the loop's own.
        proc = subprocess.Popen(  # noqa: S603, ASYNC220 - our binary, our arguments
            [tools.path("pg_dump"), "-Fc", "-Z0", f"--snapshot={snapshot}", "-d", dsn],
            stdout=subprocess.PIPE,
            stderr=errors,
            env={**os.environ, **env},
        )
        assert proc.stdout is not None
        try:
            # The checksums read the same snapshot while pg_dump streams it.
            (payload, stored), stats = await asyncio.gather(
                asyncio.to_thread(
                    seal,
                    proc.stdout,
                    sealed,
                    ctx.keyring.recipients(),
                    level=ctx.settings.backups.compression_level,
                    progress=reporter.advance,
                ),
                full_stats(snap),
            )
            code = await asyncio.to_thread(proc.wait)
        except BaseException:
            proc.kill()
            await asyncio.to_thread(proc.wait)
            raise
        finally:
            proc.stdout.close()
        if code != 0:
            errors.seek(0)
            tail = errors.read().decode(errors="replace").strip().splitlines()[-1:]
            raise BackupError(f"pg_dump failed (exit {code}): {' '.join(tail)}")
    return payload, stored, stats


async def _dump_tenant(
    ctx: BackupContext,
    snap: Connection,
    sealed: Path,
    workdir: Path,
    reporter: Reporter,
    ref: TenantRef,
    schema_version: int,
) -> tuple[Digest, Digest, list[TableStat]]:
    reporter.phase(f"export tenant {ref.slug}", total=None, unit="rows")
    archive, stats = await export_tenant(snap, ref.id, workdir, schema_version=schema_version)
    reporter.advance(sum(s.rows for s in stats))
    reporter.phase("zstd → age", total=archive.stat().st_size)
    with archive.open("rb") as source:
        payload, stored = await asyncio.to_thread(
            seal,
            source,
            sealed,
            ctx.keyring.recipients(),
            level=ctx.settings.backups.compression_level,
            progress=reporter.advance,
        )
    archive.unlink()
    return payload, stored, stats
