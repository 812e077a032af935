"""The audit screen's calls: entries, counts, security alerts and trends (admins)."""

from __future__ import annotations

import uuid

from pytake_daemon.protocol.audit import (
    AlertList as SecurityAlertList,
)
from pytake_daemon.protocol.audit import (
    AuditCounts,
    AuditCountsQuery,
    AuditEntryOut,
    AuditList,
    AuditQuery,
    TrendList,
)
from pytake_tui.api.transport import API_PREFIX, Endpoints

_AUDIT = f"{API_PREFIX}/audit"


class AuditEndpoints(Endpoints):
    """``/audit/…``."""

    async def audit_entries(self, query: AuditQuery) -> AuditList:
        """A page of audit entries matching ``query``, newest first (admins and owners)."""
        params = query.model_dump(mode="json", exclude_none=True)
        return await self._transport.get(AuditList, _AUDIT, params=params)

    async def audit_entry(self, entry_id: uuid.UUID) -> AuditEntryOut:
        """One audit entry with its before/after difference."""
        return await self._transport.get(AuditEntryOut, f"{_AUDIT}/{entry_id}")

    async def audit_counts(self, query: AuditCountsQuery) -> AuditCounts:
        """Entries (and failures) per hour or day, for the chart."""
        params = query.model_dump(mode="json", exclude_none=True)
        return await self._transport.get(AuditCounts, f"{_AUDIT}/counts", params=params)

    async def security_alerts(self, limit: int = 50) -> SecurityAlertList:
        """The latest security alerts, newest first."""
        path = f"{_AUDIT}/alerts"
        return await self._transport.get(SecurityAlertList, path, params={"limit": limit})

    async def audit_trends(self) -> TrendList:
        """Each action's last hour against the same hour of previous weeks; spikes first."""
        return await self._transport.get(TrendList, f"{_AUDIT}/trends")
