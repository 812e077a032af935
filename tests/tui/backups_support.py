"""A scripted client with backups (health, list, runs) and an app signed in on it, for the
backups screen's pilot and snapshot tests."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from pytake_daemon.protocol import EventEnvelope, Me, Role
from pytake_daemon.protocol.backups import (
    BackupHealth,
    BackupList,
    BackupManifest,
    BackupRunList,
    BackupRunOut,
    TableStat,
    VerifyResult,
)
from pytake_tui import PyTakeApp
from pytake_tui.client import DaemonError
from pytake_tui.screens.backups import BackupsScreen

from .fake_daemon import ScriptedClient, alice, hello_envelope
from .fake_world import FakeWorld
from .helpers import wait_until
from .identities import FIXED_AT, TENANT_ID
from .resumed_app import resumed_app, session_started

KEY = "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs7x2k"


def manifest(n: int, *, at: datetime, scope: str = "full", seconds: float = 4.1) -> BackupManifest:
    """The ``n``-th backup, taken at ``at``; its size grows with ``n`` (a trend to draw)."""
    tenant = scope == "tenant"
    kind = "tenant-acme" if tenant else "full"
    return BackupManifest(
        id=f"{at:%Y%m%dT%H%M%SZ}-{kind}-{n:06x}",
        scope="tenant" if tenant else "full",
        tenant_id=TENANT_ID if tenant else None,
        tenant_slug="acme" if tenant else None,
        created_at=at,
        finished_at=at + timedelta(seconds=seconds),
        duration_seconds=seconds,
        schema_version=12,
        postgres_version="15.8",
        payload="tar-copy-csv" if tenant else "pg_dump-custom",
        recipients=[KEY],
        payload_bytes=5_000_000 + n * 100_000,
        payload_sha256="0" * 64,
        stored_bytes=1_200_000 + n * 40_000,
        stored_sha256="1" * 64,
        tables=[TableStat(table="messages", rows=1000 * n, checksum="c" * 32)],
    )


def run(
    kind: str, backup_id: str | None, status: str, at: datetime, error: str | None = None
) -> BackupRunOut:
    return BackupRunOut.model_validate(
        {
            "id": uuid.uuid5(uuid.NAMESPACE_URL, f"{kind}{backup_id}{at}"),
            "kind": kind,
            "scope": "full",
            "scope_tenant_id": None,
            "backup_id": backup_id,
            "trigger": "schedule",
            "status": status,
            "started_at": at,
            "finished_at": at + timedelta(seconds=5),
            "size_bytes": None,
            "error": error,
        }
    )


def healthy() -> tuple[BackupHealth, list[BackupManifest], list[BackupRunOut]]:
    """Daily full backups at 03:00 for five days, one tenant backup; the latest was drilled
    and an older one verified."""
    days = [FIXED_AT.replace(hour=3, minute=0, second=0) - timedelta(days=d) for d in range(5)]
    items = [manifest(5 - i, at=day, seconds=3.5 + (5 - i) * 0.3) for i, day in enumerate(days)]
    items.append(manifest(9, at=FIXED_AT - timedelta(hours=2), scope="tenant", seconds=0.8))
    latest = items[0]
    runs = [
        run("drill", latest.id, "succeeded", latest.created_at + timedelta(hours=1)),
        run("verify", items[2].id, "succeeded", items[2].created_at + timedelta(hours=2)),
    ]
    health = BackupHealth(
        schedule_enabled=True,
        backup_cron="0 3 * * *",
        last_success_at=latest.finished_at,
        last_success_age_seconds=(FIXED_AT - latest.finished_at).total_seconds(),
        last_success_size_bytes=latest.stored_bytes,
        last_duration_seconds=latest.duration_seconds,
        recent_sizes=[m.stored_bytes for m in reversed(items[:5])],
        recent_durations=[m.duration_seconds for m in reversed(items[:5])],
        failures_since_success=0,
        last_failure_at=None,
        last_failure_reason=None,
        overdue=False,
        next_due_at=latest.created_at + timedelta(days=1),
        last_drill_at=latest.created_at + timedelta(hours=1, seconds=5),
        last_drill_status="succeeded",
        last_drill_detail="14 tables match (row counts and checksums)",
    )
    return health, items, runs


def overdue() -> tuple[BackupHealth, list[BackupManifest], list[BackupRunOut]]:
    """The last good backup is three days old; the two scheduled runs since failed; the last
    drill found a difference."""
    health, items, runs = healthy()
    old = items[3:5]
    failed_at = FIXED_AT.replace(hour=3, minute=0, second=0)
    reason = "pg_dump failed (exit 1): connection to server failed: [Errno 111] refused"
    runs = [
        run("backup", None, "failed", failed_at, reason),
        run("backup", None, "failed", failed_at - timedelta(days=1), reason),
        run("drill", old[0].id, "failed", old[0].created_at + timedelta(hours=1)),
    ]
    health = health.model_copy(
        update={
            "last_success_at": old[0].finished_at,
            "last_success_age_seconds": (FIXED_AT - old[0].finished_at).total_seconds(),
            "last_success_size_bytes": old[0].stored_bytes,
            "last_duration_seconds": old[0].duration_seconds,
            "recent_sizes": [m.stored_bytes for m in reversed(old)],
            "recent_durations": [m.duration_seconds for m in reversed(old)],
            "failures_since_success": 2,
            "last_failure_at": failed_at + timedelta(seconds=2),
            "last_failure_reason": reason,
            "overdue": True,
            "next_due_at": failed_at + timedelta(days=1),
            "last_drill_at": old[0].created_at + timedelta(hours=1, seconds=5),
            "last_drill_status": "failed",
            "last_drill_detail": "messages: 3 rows differ from the manifest",
        }
    )
    return health, old, runs


def empty() -> tuple[BackupHealth, list[BackupManifest], list[BackupRunOut]]:
    """A new installation: the schedule is on, nothing has run yet."""
    health = BackupHealth(
        schedule_enabled=True,
        backup_cron="0 3 * * *",
        last_success_at=None,
        last_success_age_seconds=None,
        last_success_size_bytes=None,
        last_duration_seconds=None,
        recent_sizes=[],
        recent_durations=[],
        failures_since_success=0,
        last_failure_at=None,
        last_failure_reason=None,
        overdue=False,
        next_due_at=FIXED_AT.replace(hour=3, minute=0, second=0) + timedelta(days=1),
        last_drill_at=None,
        last_drill_status=None,
        last_drill_detail=None,
    )
    return health, [], []


class BackupsClient(ScriptedClient):
    """Backups in memory with the daemon's rules: trigger and verify are for admins (403
    otherwise), a verify of an unknown id is a 404. Calls are recorded."""

    def __init__(
        self,
        server: str,
        state: tuple[BackupHealth, list[BackupManifest], list[BackupRunOut]],
        *,
        me: Me,
        envelopes: list[EventEnvelope] | None = None,
    ) -> None:
        super().__init__(server, envelopes or [hello_envelope(1)], FakeWorld(), me)
        self.state, self.items, self.runs = state
        self.role = me.role
        self.created: list[BackupManifest] = []
        self.verified: list[str] = []
        self.health_reads = 0
        self.create_gate: asyncio.Event | None = None
        self.verify_gate: asyncio.Event | None = None
        """When set, a backup (a verify) waits for it: the test sees the screen meanwhile."""
        self.verify_ok = True

    def _admin(self) -> None:
        if not self.role.at_least(Role.ADMIN):
            raise DaemonError(403, "Forbidden", "this needs the admin role")

    async def backup_health(self) -> BackupHealth:
        self.health_reads += 1
        return self.state

    async def backups(self) -> BackupList:
        return BackupList(items=sorted(self.items, key=lambda m: m.created_at))

    async def backup_runs(self) -> BackupRunList:
        return BackupRunList(items=sorted(self.runs, key=lambda r: r.started_at, reverse=True))

    async def create_backup(self, note: str | None = None) -> BackupManifest:
        self._admin()
        if self.create_gate is not None:
            await self.create_gate.wait()
        made = manifest(len(self.items) + 100, at=FIXED_AT, scope="tenant", seconds=0.9)
        self.created.append(made)
        self.items.append(made)
        return made

    async def verify_backup(self, backup_id: str) -> VerifyResult:
        self._admin()
        if backup_id not in {m.id for m in self.items}:
            raise DaemonError(404, "Not Found", "no such backup")
        if self.verify_gate is not None:
            await self.verify_gate.wait()
        self.verified.append(backup_id)
        at = FIXED_AT + timedelta(minutes=len(self.verified))
        status = "succeeded" if self.verify_ok else "failed"
        self.runs.append(run("verify", backup_id, status, at))
        detail = "checksums match, decrypts" if self.verify_ok else "payload SHA-256 differs"
        return VerifyResult(backup_id=backup_id, ok=self.verify_ok, detail=detail)


def person(role: Role) -> Me:
    return alice().model_copy(update={"role": role})


def backups_app(tmp: Path, client: BackupsClient) -> PyTakeApp:
    """An app resumed from a saved session on ``client``, clock at FIXED_AT."""
    return resumed_app(tmp, client)


async def open_backups(pilot: Pilot[Any], rows: int) -> BackupsScreen:
    """Press f8 once the session started; wait for ``rows`` backups listed."""
    app = await session_started(pilot)
    await pilot.press("f8")
    await wait_until(pilot, lambda: isinstance(app.screen, BackupsScreen), "backups screen")
    screen = app.screen
    assert isinstance(screen, BackupsScreen)
    await wait_until(
        pilot, lambda: screen.loads > 0 and len(screen.manifests) == rows, f"{rows} backups"
    )
    await pilot.pause()
    return screen
