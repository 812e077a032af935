"""Liveness and readiness answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pytake_daemon.protocol.backups import BackupHealth
from pytake_daemon.protocol.common import WireModel


class Health(WireModel):
    """``GET /healthz``: the process is alive."""

    status: Literal["ok"] = "ok"
    version: str


class LoopHealth(WireModel):
    """One background loop of the daemon (a job claimer, the outbox sender, a sweeper…)."""

    name: str
    alive: bool
    """Still running (a loop that fails keeps running: it retries after a backoff)."""
    healthy: bool
    """Alive and, for loops with a deadline, a pass completed within it."""
    last_pass_at: datetime | None = None
    deadline_seconds: float | None = None
    """How long the loop may go without completing a pass; ``None``: it waits for work."""
    reason: str | None = None
    """Why it is not healthy (stopped, or how long since its last pass and its last error)."""


class Readiness(WireModel):
    """``GET /readyz``: every dependency the daemon needs, and whether it is usable."""

    ready: bool
    role: Literal["all", "web", "jobs"] = "all"
    """What this process does (``server.role``); ``loops`` are that role's only."""
    database: bool
    redis: bool
    migrations_current: bool
    schema_version: int | None
    expected_schema_version: int
    backups: BackupHealth | None = None
    """Detail only: an overdue or failing backup doesn't make the daemon unready."""
    loops: list[LoopHealth] = []
    """This process's background loops; one that is not healthy makes the daemon unready."""
    secrets_key: str | None = None
    """Why stored WhatsApp secrets can't be decrypted with this daemon's key (it is then not
    ready: replicas must share the key); ``None`` when every number's secrets decrypt."""
