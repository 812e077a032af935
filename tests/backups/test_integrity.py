"""Tampered, truncated and wrongly keyed backups are refused before anything changes."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from pyrage import x25519

from pytake_daemon.backups.catalog import data_name, fetch_checked
from pytake_daemon.backups.codec import BackupCorruptError, check_stored, unseal
from pytake_daemon.backups.context import BackupContext
from pytake_daemon.backups.create import create_backup
from pytake_daemon.backups.keyring import BackupKeyError
from pytake_daemon.backups.restore import restore_tenant
from pytake_daemon.backups.verify import verify_backup
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection
from tests.backups.conftest import RecordingReporter, backup_settings
from tests.conftest import MakeTenant


def _stored_path(ctx: BackupContext, backup_id: str) -> Path:
    return Path(ctx.storage.describe()) / data_name(backup_id)


async def test_every_single_byte_flip_is_refused(
    backup_ctx: BackupContext, reporter: RecordingReporter, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    manifest = await create_backup(backup_ctx, reporter, tenant=tenant.slug)
    assert manifest is not None
    original = _stored_path(backup_ctx, manifest.id).read_bytes()
    rng = random.Random(8)
    for _ in range(100):
        damaged = bytearray(original)
        damaged[rng.randrange(len(damaged))] ^= 1 << rng.randrange(8)
        copy = backup_ctx.settings.state_dir / "flipped"
        copy.write_bytes(damaged)
        # The manifest's checksum catches it; so does age's authentication on its own.
        with pytest.raises(BackupCorruptError):
            check_stored(copy, size=manifest.stored_bytes, sha256=manifest.stored_sha256)
        with pytest.raises(BackupCorruptError):
            unseal(copy, _Discard(), backup_ctx.keyring.identities)


class _Discard:
    def write(self, data: bytes, /) -> int:
        return len(data)


async def test_tampered_backup_fails_verify_and_restore_touches_nothing(
    backup_ctx: BackupContext,
    reporter: RecordingReporter,
    make_tenant: MakeTenant,
    admin_conn: Connection,
) -> None:
    tenant = await make_tenant()
    manifest = await create_backup(backup_ctx, reporter, tenant=tenant.slug)
    assert manifest is not None
    path = _stored_path(backup_ctx, manifest.id)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(data)
    result = await verify_backup(backup_ctx, manifest, reporter, trigger="manual")
    assert not result.ok
    assert "SHA-256" in result.detail
    await admin_conn.execute("DELETE FROM users WHERE tenant_id = $1 AND role = 'agent'", tenant.id)
    with pytest.raises(BackupCorruptError):
        await restore_tenant(backup_ctx, manifest, tenant.slug, reporter)
    assert (
        await admin_conn.fetchval("SELECT count(*) FROM users WHERE tenant_id = $1", tenant.id) == 3
    )
    path.write_bytes(data[: len(data) // 3])  # truncated
    result = await verify_backup(backup_ctx, manifest, reporter, trigger="manual")
    assert not result.ok
    assert "truncated" in result.detail


async def test_wrong_key_is_named_and_rotation_keeps_old_backups_readable(
    backup_ctx: BackupContext,
    reporter: RecordingReporter,
    make_tenant: MakeTenant,
    settings: Settings,
    endpoints: Endpoints,
    backup_key: x25519.Identity,
    tmp_path: Path,
) -> None:
    tenant = await make_tenant()
    manifest = await create_backup(backup_ctx, reporter, tenant=tenant.slug)
    assert manifest is not None
    store = backup_ctx.settings.backups.local_dir
    new_key = x25519.Identity.generate()

    other = BackupContext.build(
        backup_settings(
            settings,
            tmp_path,
            [new_key],
        ),
        endpoints,
    )
    with other.workdir() as workdir, pytest.raises(BackupKeyError) as refused:
        await fetch_checked(other, manifest, workdir, reporter)
    message = str(refused.value)
    assert "this backup was encrypted with key age1" in message
    assert "the configured keys are age1" in message

    # Rotation: the new key first, the old one kept; old backups still open.
    rotated_settings = backup_settings(settings, tmp_path, [new_key, backup_key])
    rotated = BackupContext.build(rotated_settings, endpoints)
    assert rotated.settings.backups.local_dir == store
    assert rotated.keyring.encrypt_to == [str(new_key.to_public())]
    result = await verify_backup(rotated, manifest, reporter, trigger="manual")
    assert result.ok, result.detail
