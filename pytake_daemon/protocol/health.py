"""Liveness and readiness answers."""

from __future__ import annotations

from typing import Literal

from pytake_daemon.protocol.backups import BackupHealth
from pytake_daemon.protocol.common import WireModel


class Health(WireModel):
    """``GET /healthz``: the process is alive."""

    status: Literal["ok"] = "ok"
    version: str


class Readiness(WireModel):
    """``GET /readyz``: every dependency the daemon needs, and whether it is usable."""

    ready: bool
    database: bool
    redis: bool
    migrations_current: bool
    schema_version: int | None
    expected_schema_version: int
    backups: BackupHealth | None = None
    """Detail only: an overdue or failing backup doesn't make the daemon unready."""
