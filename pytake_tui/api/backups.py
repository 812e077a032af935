"""The backups screen's calls: health, the list, runs, and backing up or verifying now."""

from __future__ import annotations

from urllib.parse import quote

from pytake_daemon.protocol.backups import (
    BackupCreate,
    BackupHealth,
    BackupList,
    BackupManifest,
    BackupRunList,
    VerifyResult,
)
from pytake_tui.api.transport import API_PREFIX, BACKUP_TIMEOUT, Endpoints, parse

_BACKUPS = f"{API_PREFIX}/backups"


class BackupEndpoints(Endpoints):
    """``/backups/…``."""

    async def backup_health(self) -> BackupHealth:
        """Last success, trend, failures, overdue and the last drill (supervisors and above)."""
        return await self._transport.get(BackupHealth, f"{_BACKUPS}/health")

    async def backups(self) -> BackupList:
        """Full backups and this tenant's own, oldest first (supervisors and above)."""
        return await self._transport.get(BackupList, _BACKUPS)

    async def backup_runs(self) -> BackupRunList:
        """Recent backup, restore, verify and drill runs, latest first."""
        return await self._transport.get(BackupRunList, f"{_BACKUPS}/runs")

    async def create_backup(self, note: str | None = None) -> BackupManifest:
        """Back up this tenant now (admins); answers once the backup is stored."""
        body = BackupCreate(note=note)
        response = await self._transport.send(
            "POST", _BACKUPS, body=body, time_limit=BACKUP_TIMEOUT
        )
        return parse(BackupManifest, response)

    async def verify_backup(self, backup_id: str) -> VerifyResult:
        """Download, check and decrypt a backup without restoring it (admins)."""
        path = f"{_BACKUPS}/{quote(backup_id, safe='')}/verify"
        response = await self._transport.send("POST", path, time_limit=BACKUP_TIMEOUT)
        return parse(VerifyResult, response)
