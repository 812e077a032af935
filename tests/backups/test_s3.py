"""S3-compatible storage against a real S3 server process (moto's), started here: uploads are
read back and checked, and a failed upload leaves nothing listed."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from pyrage import x25519

from pytake_daemon.backups.catalog import list_backups
from pytake_daemon.backups.context import BackupContext
from pytake_daemon.backups.create import create_backup
from pytake_daemon.backups.storage import StorageError
from pytake_daemon.backups.verify import verify_backup
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from tests.backups.conftest import RecordingReporter, backup_settings
from tests.conftest import MakeTenant
from tests.support import free_port

BUCKET = "pytake-backups"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:  # a client would poll a starting server the same way
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("moto server didn't start") from None
                time.sleep(0.05)
        client = boto3.client(
            "s3",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        client.create_bucket(Bucket=BUCKET)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _s3_ctx(
    settings: Settings, endpoints: Endpoints, key: x25519.Identity, root: Path, url: str
) -> BackupContext:
    cfg = backup_settings(
        settings,
        root,
        [key],
        storage="s3",
        s3_bucket=BUCKET,
        s3_prefix=f"{root.name}/",
        s3_endpoint_url=url,
        s3_region="us-east-1",
        s3_access_key_id="test",
        s3_secret_access_key="test",
    )
    return BackupContext.build(cfg, endpoints)


async def test_backup_to_s3_lists_verifies_and_reads_back(
    s3_endpoint: str,
    settings: Settings,
    endpoints: Endpoints,
    backup_key: x25519.Identity,
    tmp_path: Path,
    make_tenant: MakeTenant,
) -> None:
    ctx = _s3_ctx(settings, endpoints, backup_key, tmp_path, s3_endpoint)
    reporter = RecordingReporter()
    tenant = await make_tenant()
    manifest = await create_backup(ctx, reporter, tenant=tenant.slug)
    assert manifest is not None
    assert any(p.startswith("upload to s3://") for p in reporter.phases)
    assert [m.id for m in await list_backups(ctx)] == [manifest.id]
    result = await verify_backup(ctx, manifest, reporter, trigger="manual")
    assert result.ok, result.detail


async def test_unreachable_storage_fails_cleanly_and_lists_nothing(
    s3_endpoint: str,
    settings: Settings,
    endpoints: Endpoints,
    backup_key: x25519.Identity,
    tmp_path: Path,
    make_tenant: MakeTenant,
) -> None:
    tenant = await make_tenant()
    missing_bucket = backup_settings(
        settings,
        tmp_path,
        [backup_key],
        storage="s3",
        s3_bucket="no-such-bucket",
        s3_endpoint_url=s3_endpoint,
        s3_region="us-east-1",
        s3_access_key_id="test",
        s3_secret_access_key="test",
    )
    ctx = BackupContext.build(missing_bucket, endpoints)
    with pytest.raises(StorageError, match="upload to s3://no-such-bucket"):
        await create_backup(ctx, RecordingReporter(), tenant=tenant.slug)
    good = _s3_ctx(settings, endpoints, backup_key, tmp_path, s3_endpoint)
    assert await list_backups(good) == []
