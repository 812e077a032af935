"""Backups against the session's real PostgreSQL and Redis, and a real S3 server (moto)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr
from pyrage import x25519

from pytake_daemon.backups.context import BackupContext
from pytake_daemon.config import BackupSettings, Settings
from pytake_daemon.db.endpoints import Endpoints


class RecordingReporter:
    """Keeps what a backup reported, so tests can check progress really advances."""

    def __init__(self) -> None:
        self.phases: list[str] = []
        self.advanced = 0

    def phase(self, description: str, *, total: int | None = None, unit: str = "bytes") -> None:
        self.phases.append(description)

    def advance(self, amount: int) -> None:
        self.advanced += amount


@pytest.fixture(scope="session")
def backup_key() -> x25519.Identity:
    return x25519.Identity.generate()


def backup_settings(
    settings: Settings, root: Path, keys: list[x25519.Identity], **changes: object
) -> Settings:
    cfg = BackupSettings(
        local_dir=root / "store",
        identities=SecretStr(",".join(str(k) for k in keys)),
        maintenance_grace_seconds=0,
        **changes,
    )
    return settings.model_copy(update={"backups": cfg, "state_dir": root})


@pytest.fixture
def backup_ctx(
    settings: Settings, endpoints: Endpoints, backup_key: x25519.Identity, tmp_path: Path
) -> BackupContext:
    return BackupContext.build(backup_settings(settings, tmp_path, [backup_key]), endpoints)


@pytest.fixture
def reporter() -> RecordingReporter:
    return RecordingReporter()
