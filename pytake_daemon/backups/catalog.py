"""Finding backups in storage, fetching them, and checking them before anyone relies on them."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pydantic import ValidationError

from pytake_daemon.backups.codec import NullSink, Writable, check_stored, unseal
from pytake_daemon.backups.context import BackupContext, BackupError, Reporter
from pytake_daemon.backups.storage import DATA_SUFFIX, MANIFEST_SUFFIX
from pytake_daemon.db.migrations import latest_version
from pytake_daemon.errors import PyTakeError
from pytake_daemon.protocol.backups import BackupManifest


class BackupNotFoundError(PyTakeError):
    """No backup with that id in the configured storage."""


def data_name(backup_id: str) -> str:
    return f"{backup_id}{DATA_SUFFIX}"


def manifest_name(backup_id: str) -> str:
    return f"{backup_id}{MANIFEST_SUFFIX}"


async def list_backups(ctx: BackupContext) -> list[BackupManifest]:
    """Every backup whose manifest is stored (so, completely stored), oldest first."""

    def read_all() -> list[BackupManifest]:
        found = []
        for name in ctx.storage.names():
            if not name.endswith(MANIFEST_SUFFIX):
                continue
            raw = ctx.storage.get_bytes(name)
            if raw is None:
                continue
            try:
                found.append(BackupManifest.model_validate_json(raw))
            except ValidationError:
                continue  # not ours, or damaged: never offered for a restore
        return sorted(found, key=lambda m: m.created_at)

    return await asyncio.to_thread(read_all)


async def get_manifest(ctx: BackupContext, backup_id: str) -> BackupManifest:
    if not backup_id or "/" in backup_id or backup_id.startswith("."):
        raise BackupNotFoundError(f"{backup_id!r} is not a backup id (see 'pytake backup list')")
    raw = await asyncio.to_thread(ctx.storage.get_bytes, manifest_name(backup_id))
    if raw is None:
        raise BackupNotFoundError(
            f"no backup {backup_id} in {ctx.storage.describe()} (see 'pytake backup list')"
        )
    try:
        return BackupManifest.model_validate_json(raw)
    except ValidationError:
        raise BackupError(f"the manifest of {backup_id} is damaged; refusing it") from None


def check_schema(manifest: BackupManifest) -> None:
    """A backup from a newer PyTake may hold tables and rules this code doesn't know."""
    known = latest_version()
    if manifest.schema_version > known:
        raise BackupError(
            f"backup {manifest.id} has schema version {manifest.schema_version}; this PyTake "
            f"knows only up to {known}: restore it with a newer PyTake"
        )


async def fetch_checked(
    ctx: BackupContext,
    manifest: BackupManifest,
    workdir: Path,
    reporter: Reporter,
    *,
    into: Writable | None = None,
) -> None:
    """Download the stored file, check size + SHA-256, then decrypt and decompress it into
    ``into`` (or nowhere, for verify) and check the payload's SHA-256 too.

    Any failure raises before the caller changes anything: callers restore from what this
    wrote only after it returned.
    """
    ctx.keyring.check_can_open(manifest.recipients)
    stored = workdir / data_name(manifest.id)
    reporter.phase(f"download {manifest.id}", total=manifest.stored_bytes)
    await asyncio.to_thread(ctx.storage.get_file, data_name(manifest.id), stored)
    reporter.advance(manifest.stored_bytes)
    reporter.phase("check checksum", total=manifest.stored_bytes)
    await asyncio.to_thread(
        check_stored, stored, size=manifest.stored_bytes, sha256=manifest.stored_sha256
    )
    reporter.advance(manifest.stored_bytes)
    reporter.phase("decrypt + decompress", total=manifest.payload_bytes)
    digest = await asyncio.to_thread(
        unseal,
        stored,
        into if into is not None else NullSink(),
        ctx.keyring.identities,
        progress=reporter.advance,
    )
    stored.unlink()
    if digest.size != manifest.payload_bytes or digest.sha256 != manifest.payload_sha256:
        raise BackupError(
            f"backup {manifest.id} decrypts to content other than what was backed up; refusing it"
        )
