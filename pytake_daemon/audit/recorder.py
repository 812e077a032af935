"""Writing entries outside a business transaction (the HTTP middleware's records) and
announcing alerts to admins once their transaction has committed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine, Sequence
from typing import Any

import structlog

from pytake_daemon.audit.alerts import evaluate
from pytake_daemon.audit.entries import AuditDraft, append_entry
from pytake_daemon.config import AuditSettings
from pytake_daemon.db.pool import Connection, Pool, tenant_transaction
from pytake_daemon.protocol.audit import SecurityAlertOut, SecurityAlertRaised
from pytake_daemon.realtime.bus import EventBus

log = structlog.get_logger("pytake.audit")


async def record(
    conn: Connection, draft: AuditDraft, settings: AuditSettings
) -> tuple[dict[str, object], list[SecurityAlertOut]]:
    """Append ``draft`` in the caller's transaction and run the alert rules on it."""
    entry = await append_entry(conn, draft)
    return entry, await evaluate(conn, entry, settings)


class AuditRecorder:
    """Background audit writes that must never slow or fail the request that caused them.

    A failed write is logged as an error and counted (``failures``); ``drain()`` waits for the
    writes in flight (tests, shutdown).
    """

    def __init__(self, pool: Pool, bus: EventBus, settings: AuditSettings) -> None:
        self._pool = pool
        self._bus = bus
        self._settings = settings
        self._tasks: set[asyncio.Task[None]] = set()
        self.failures = 0

    def submit(self, tenant_id: uuid.UUID, draft: AuditDraft) -> None:
        """Write ``draft`` in the background."""
        self._spawn(self._write(tenant_id, draft))

    def announce_later(self, tenant_id: uuid.UUID, alerts: Sequence[SecurityAlertOut]) -> None:
        """Announce committed alerts in the background."""
        self._spawn(self._announce_logged(tenant_id, alerts))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro, name="audit-write")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _announce_logged(
        self, tenant_id: uuid.UUID, alerts: Sequence[SecurityAlertOut]
    ) -> None:
        try:
            await self.announce(tenant_id, alerts)
        except Exception as exc:
            log.error("security alert not announced", error=f"{type(exc).__name__}: {exc}")

    async def write_now(self, tenant_id: uuid.UUID, draft: AuditDraft) -> dict[str, object]:
        """Append in a transaction of its own, then announce any alert."""
        async with tenant_transaction(self._pool, tenant_id) as conn:
            entry, alerts = await record(conn, draft, self._settings)
        await self.announce(tenant_id, alerts)
        return entry

    async def announce(self, tenant_id: uuid.UUID, alerts: Sequence[SecurityAlertOut]) -> None:
        """Send committed alerts to the tenant's admins (the hub filters by role)."""
        if alerts:
            await self._bus.publish_many(
                tenant_id, [SecurityAlertRaised(alert=alert) for alert in alerts]
            )

    async def _write(self, tenant_id: uuid.UUID, draft: AuditDraft) -> None:
        try:
            await self.write_now(tenant_id, draft)
        except Exception as exc:
            self.failures += 1
            log.error(
                "audit write failed",
                action=draft.action,
                tenant_id=str(tenant_id),
                error=f"{type(exc).__name__}: {exc}",
                failures=self.failures,
            )

    async def drain(self) -> None:
        """Wait until every submitted write has finished (succeeded or failed)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
