"""In-place restore: safety backup first, every daemon in maintenance (API and webhooks 503 with
Retry-After) until the restored database is migrated, the restore itself in one transaction."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import replace

from pytake_daemon.backups.context import BackupContext
from pytake_daemon.backups.create import create_backup
from pytake_daemon.backups.restore import restore_in_place, restore_into
from pytake_daemon.db import migrations
from pytake_daemon.db.pool import Connection, connect
from pytake_daemon.protocol import Readiness
from tests.backups.conftest import RecordingReporter
from tests.conftest import ApiClient, MakeTenant
from tests.support import with_database


async def _wait_status(api: ApiClient, path: str, method: str, wanted: int) -> dict[str, str]:
    deadline = time.monotonic() + 15
    while True:  # a client polls like this; the daemons re-read the flag every second
        resp = await api.request(method, path, data=b"{}")
        if resp.status == wanted:
            return dict(resp.headers)
        assert time.monotonic() < deadline, f"{method} {path} stayed {resp.status}"
        await asyncio.sleep(0.05)


async def test_in_place_restore_with_maintenance_mode(
    api: ApiClient,
    backup_ctx: BackupContext,
    reporter: RecordingReporter,
    make_tenant: MakeTenant,
    admin_conn: Connection,
) -> None:
    await make_tenant()
    # A database of its own, so the session's database isn't rewound under other tests.
    seed = await create_backup(backup_ctx, reporter)
    assert seed is not None
    name = f"inplace_{uuid.uuid4().hex[:8]}"
    dsn = with_database(backup_ctx.admin_dsn, name)
    await restore_into(backup_ctx, seed, dsn, reporter)
    settings = backup_ctx.settings.model_copy(
        update={
            "backups": backup_ctx.settings.backups.model_copy(
                update={"maintenance_grace_seconds": 1.5}
            )
        }
    )
    ctx = replace(backup_ctx, admin_dsn=dsn, settings=settings)
    try:
        target = await connect(dsn)
        try:
            before = await create_backup(ctx, reporter)
            assert before is not None
            await target.execute("UPDATE tenants SET name = 'after the backup'")
            await target.execute("CREATE TABLE made_later (x int)")
        finally:
            await target.close()

        restoring = asyncio.create_task(restore_in_place(ctx, before, reporter))
        headers = await _wait_status(api, "/api/v1/auth/me", "GET", 503)
        assert headers["Retry-After"] == "30"
        await _wait_status(api, "/api/v1/whatsapp/webhook", "POST", 503)
        ready = await api.get("/readyz")
        assert ready.status == 200  # the probes stay exempt
        safety = await restoring
        await _wait_status(api, "/api/v1/auth/me", "GET", 401)

        target = await connect(dsn)
        try:
            names = {r["name"] for r in await target.fetch("SELECT name FROM tenants")}
            assert "after the backup" not in names
            assert await target.fetchval("SELECT to_regclass('public.made_later')") is None
            assert await migrations.current_version(target) == migrations.latest_version()
        finally:
            await target.close()
        assert safety.note == f"before restoring {before.id}"
        Readiness.model_validate(await ready.json())
    finally:
        await admin_conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
