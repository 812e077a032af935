"""What every backup operation needs, and how it reports progress and failure."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pytake_daemon.backups.keyring import KeyRing, load_keyring
from pytake_daemon.backups.storage import Storage, storage_from_settings
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.errors import PyTakeError


class BackupError(PyTakeError):
    """A backup, restore, verify or drill failed; the message says which step and why."""


class Reporter(Protocol):
    """Progress of long work; the CLI draws bars, the daemon reports nothing."""

    def phase(self, description: str, *, total: int | None = None, unit: str = "bytes") -> None:
        """A new step begins (replacing the previous one)."""

    def advance(self, amount: int) -> None:
        """``amount`` more bytes (or rows) of the current step are done; thread-safe."""


class SilentReporter:
    def phase(self, description: str, *, total: int | None = None, unit: str = "bytes") -> None:
        return None

    def advance(self, amount: int) -> None:
        return None


@dataclass(frozen=True)
class BackupContext:
    settings: Settings
    admin_dsn: str
    app_role: str
    redis_url: str
    storage: Storage
    keyring: KeyRing

    @classmethod
    def build(cls, settings: Settings, endpoints: Endpoints) -> BackupContext:
        if endpoints.admin_dsn is None:
            raise BackupError(
                "backups need database.admin_url (the owner role) when database.url is set"
            )
        return cls(
            settings=settings,
            admin_dsn=endpoints.admin_dsn.get_secret_value(),
            app_role=endpoints.app_role,
            redis_url=endpoints.redis_url.get_secret_value(),
            storage=storage_from_settings(settings),
            keyring=load_keyring(settings),
        )

    @property
    def redis_prefix(self) -> str:
        return self.settings.redis.key_prefix

    @contextmanager
    def workdir(self) -> Iterator[Path]:
        """A private scratch directory under state_dir (decrypted payloads live here briefly,
        so never in a world-readable /tmp), removed afterwards whatever happens."""
        root = self.settings.state_dir / "tmp"
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=root, prefix="backup-") as path:
            yield Path(path)


def one_line(exc: BaseException) -> str:
    """An exception as the single line recorded in ``backup_runs.error``."""
    if isinstance(exc, PyTakeError):
        text = str(exc)
    elif isinstance(exc, KeyboardInterrupt | SystemExit):
        text = "interrupted"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())[:500] or type(exc).__name__
