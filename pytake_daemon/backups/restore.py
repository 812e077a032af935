"""Restoring: a full backup into a new database or in place, or one tenant's rows.

Every path fetches and checks the whole backup (size, SHA-256, age authentication, payload
SHA-256) before it changes anything, so a truncated, tampered or wrongly keyed file is refused
with the database untouched.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
from pathlib import Path

import asyncpg
from redis.asyncio import Redis

from pytake_daemon.backups import db
from pytake_daemon.backups.catalog import check_schema, fetch_checked
from pytake_daemon.backups.context import BackupContext, BackupError, Reporter, one_line
from pytake_daemon.backups.create import create_backup, resolve_tenant
from pytake_daemon.backups.maintenance import maintenance
from pytake_daemon.backups.pgtools import (
    PgTools,
    database_of,
    find_tools,
    libpq_target,
    server_info,
    with_database,
)
from pytake_daemon.backups.tenant_archive import import_tenant
from pytake_daemon.db import migrations
from pytake_daemon.db.migrations import quote_ident
from pytake_daemon.db.pool import Connection, connect
from pytake_daemon.protocol.backups import BackupManifest, RunTrigger

# What an in-place restore runs first, in the same transaction as the restore script: the
# backup may predate tables created since, which a plain --clean would leave behind.
_RESET_SCHEMA = """
DROP SCHEMA public CASCADE;
CREATE SCHEMA public AUTHORIZATION pg_database_owner;
GRANT USAGE ON SCHEMA public TO PUBLIC;
"""


async def _record(
    ctx: BackupContext,
    manifest: BackupManifest,
    *,
    status: str,
    error: str | None = None,
    trigger: RunTrigger = "manual",
) -> None:
    conn = await connect(ctx.admin_dsn)
    try:
        run_id = await db.start_run(
            conn,
            kind="restore",
            scope=manifest.scope,
            tenant_id=manifest.tenant_id,
            trigger=trigger,
        )
        assert run_id is not None, "only slotted runs conflict"
        await db.finish_run(conn, run_id, status=status, backup_id=manifest.id, error=error)
    finally:
        await conn.close()


async def restore_into(
    ctx: BackupContext,
    manifest: BackupManifest,
    target_dsn: str,
    reporter: Reporter,
    *,
    migrate: bool = True,
) -> None:
    """Restore a full backup into a database that doesn't exist yet (created here).

    It is built under a temporary name and renamed only when complete and migrated, so an
    interruption (Ctrl-C included) leaves the target absent, never half-restored.
    """
    if manifest.scope != "full":
        raise BackupError(f"{manifest.id} is a per-tenant backup: restore it with --tenant")
    check_schema(manifest)
    target = database_of(target_dsn)
    server = await connect(with_database(target_dsn, "postgres"))
    try:
        if await server.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", target):
            raise BackupError(f"database {target} already exists; choose a new name")
        tools = find_tools(ctx.settings, (await server_info(server)).major)
        with ctx.workdir() as workdir:
            payload = workdir / "payload.dump"
            with payload.open("wb") as out:
                await fetch_checked(ctx, manifest, workdir, reporter, into=out)
            scratch = f"{target[:40]}_restoring_{secrets.token_hex(4)}"
            await server.execute(f"CREATE DATABASE {quote_ident(scratch)}")
            try:
                await _pg_restore(tools, target_dsn, scratch, payload, reporter)
                if migrate:
                    await _migrate(target_dsn, scratch, ctx.app_role)
                await server.execute(
                    f"ALTER DATABASE {quote_ident(scratch)} RENAME TO {quote_ident(target)}"
                )
            except BaseException:
                await asyncio.shield(
                    server.execute(f"DROP DATABASE IF EXISTS {quote_ident(scratch)} WITH (FORCE)")
                )
                raise
    finally:
        await server.close()


async def restore_in_place(
    ctx: BackupContext, manifest: BackupManifest, reporter: Reporter
) -> BackupManifest:
    """Replace the live database with a full backup; returns the safety backup taken first.

    The daemons answer 503 (webhooks included, so Meta redelivers) from before the safety
    backup until the restored database is migrated; the restore itself is one transaction.
    """
    if manifest.scope != "full":
        raise BackupError(f"{manifest.id} is a per-tenant backup: restore it with --tenant")
    check_schema(manifest)
    admin = await connect(ctx.admin_dsn)
    try:
        tools = find_tools(ctx.settings, (await server_info(admin)).major)
    finally:
        await admin.close()
    with ctx.workdir() as workdir:
        payload = workdir / "payload.dump"
        with payload.open("wb") as out:
            await fetch_checked(ctx, manifest, workdir, reporter, into=out)
        redis = Redis.from_url(ctx.redis_url)
        try:
            async with maintenance(redis, ctx.redis_prefix, f"restoring backup {manifest.id}"):
                await asyncio.sleep(ctx.settings.backups.maintenance_grace_seconds)
                safety = await create_backup(
                    ctx, reporter, note=f"before restoring {manifest.id}", trigger="safety"
                )
                assert safety is not None, "only slotted runs are skipped"
                try:
                    await _replace_database(tools, ctx.admin_dsn, payload, reporter)
                    await _migrate(ctx.admin_dsn, None, ctx.app_role)
                except BaseException as exc:
                    await asyncio.shield(
                        _record(ctx, manifest, status="failed", error=one_line(exc))
                    )
                    raise
        finally:
            await redis.aclose()
    await _record(ctx, manifest, status="succeeded")
    return safety


async def restore_tenant(
    ctx: BackupContext, manifest: BackupManifest, tenant: str, reporter: Reporter
) -> dict[str, int]:
    """Replace one tenant's rows with the backup's, in one transaction; rows loaded per table."""
    if manifest.scope != "tenant" or manifest.tenant_id is None:
        raise BackupError(
            f"{manifest.id} is a full backup; per-tenant restores need a per-tenant backup "
            "('pytake backup create --tenant T')"
        )
    check_schema(manifest)
    admin = await connect(ctx.admin_dsn)
    try:
        ref = await resolve_tenant(admin, tenant)
        if ref.id != manifest.tenant_id:
            raise BackupError(
                f"{manifest.id} belongs to tenant {manifest.tenant_slug}, not {ref.slug}"
            )
        current = await migrations.current_version(admin) or 0
        if manifest.schema_version != current:
            raise BackupError(
                f"{manifest.id} has schema version {manifest.schema_version}, the database "
                f"{current}: restore it into a scratch database with a full backup of that "
                "version, or migrate first"
            )
        with ctx.workdir() as workdir:
            archive = workdir / "tenant.tar"
            with archive.open("wb") as out:
                await fetch_checked(ctx, manifest, workdir, reporter, into=out)
            reporter.phase(f"replace tenant {ref.slug}'s rows", total=None, unit="rows")
            try:
                async with admin.transaction():
                    loaded = await import_tenant(admin, archive, ref.id, workdir / "rows")
            except BaseException as exc:
                await asyncio.shield(_record(ctx, manifest, status="failed", error=one_line(exc)))
                raise
            reporter.advance(sum(loaded.values()))
    finally:
        await admin.close()
    await _record(ctx, manifest, status="succeeded")
    return loaded


async def _pg_restore(
    tools: PgTools, dsn: str, database: str, payload: Path, reporter: Reporter
) -> None:
    target, env = libpq_target(dsn, database)
    reporter.phase(f"pg_restore into {database}", total=None)
    await _run(
        [tools.path("pg_restore"), "--exit-on-error", "-d", target, str(payload)], env, "pg_restore"
    )


async def _replace_database(tools: PgTools, dsn: str, payload: Path, reporter: Reporter) -> None:
    """Drop and recreate the schema and restore the dump, all in one transaction (psql -1)."""
    target, env = libpq_target(dsn)
    script = payload.with_suffix(".sql")
    reporter.phase("pg_restore in place (one transaction)", total=None)
    await _run([tools.path("pg_restore"), "-f", str(script), str(payload)], env, "pg_restore")
    reset = payload.with_name("reset.sql")
    reset.write_text(_RESET_SCHEMA)
    await _run(
        [
            tools.path("psql"),
            "-X",
            "-q",
            "-1",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            target,
            "-f",
            str(reset),
            "-f",
            str(script),
        ],
        env,
        "psql",
    )


async def _run(argv: list[str], env: dict[str, str], name: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **env},
    )
    try:
        _, err = await proc.communicate()
    except BaseException:
        proc.kill()
        await proc.wait()
        raise
    if proc.returncode != 0:
        lines = err.decode(errors="replace").strip().splitlines()
        raise BackupError(f"{name} failed (exit {proc.returncode}): {' '.join(lines[-2:])}")


async def _migrate(dsn: str, database: str | None, app_role: str) -> None:
    """Bring a restored older schema up to this PyTake's (a newer one was refused earlier)."""
    conn: Connection = await connect(with_database(dsn, database) if database else dsn)
    try:
        await migrations.upgrade(conn, app_role)
    except asyncpg.PostgresError as exc:
        raise BackupError(f"migrating the restored database failed: {exc}") from None
    finally:
        await conn.close()
