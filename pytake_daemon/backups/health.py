"""The monitoring summary of backups: last success and its age, trend, failures, overdue, drill."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from pytake_daemon.backups import db
from pytake_daemon.backups.cron import CronError, next_after
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol.backups import BackupHealth


async def backup_health(
    conn: Connection,
    now: datetime,
    *,
    grace_minutes: int,
    tenant_id: uuid.UUID | None = None,
) -> BackupHealth:
    """Read from ``backup_runs``; works on the daemon's own role (SELECT granted). With
    ``tenant_id``, also that tenant's latest per-tenant backup."""
    schedule = await db.get_schedule(conn)
    runs = await db.full_history(conn, "backup")
    successes = [r for r in runs if r["status"] == "succeeded"]
    last = successes[0] if successes else None
    failures_since = 0
    for run in runs:
        if run["status"] == "succeeded":
            break
        failures_since += 1
    failures = [r for r in runs if r["status"] == "failed"]
    next_due = None
    if last is not None:
        try:
            next_due = next_after(schedule.backup_cron, last["started_at"])
        except CronError:
            next_due = None
    overdue = (
        schedule.enabled
        and next_due is not None
        and now > next_due + timedelta(minutes=grace_minutes)
    )
    drills = await db.full_history(conn, "drill", limit=1)
    drill = drills[0] if drills else None
    trend = list(reversed(successes[:10]))
    return BackupHealth(
        schedule_enabled=schedule.enabled,
        backup_cron=schedule.backup_cron,
        last_success_at=last["finished_at"] if last else None,
        last_success_age_seconds=(
            round((now - last["finished_at"]).total_seconds(), 1) if last else None
        ),
        last_success_size_bytes=last["size_bytes"] if last else None,
        last_duration_seconds=(
            round((last["finished_at"] - last["started_at"]).total_seconds(), 3) if last else None
        ),
        recent_sizes=[r["size_bytes"] or 0 for r in trend],
        recent_durations=[
            round((r["finished_at"] - r["started_at"]).total_seconds(), 3) for r in trend
        ],
        failures_since_success=failures_since,
        last_failure_at=failures[0]["finished_at"] if failures else None,
        last_failure_reason=failures[0]["error"] if failures else None,
        overdue=overdue,
        next_due_at=next_due,
        last_drill_at=drill["finished_at"] if drill else None,
        last_drill_status=drill["status"] if drill else None,
        last_drill_detail=(drill["error"] or "tables and checksums match") if drill else None,
        tenant_last_success_at=(
            await db.tenant_last_success(conn, tenant_id) if tenant_id is not None else None
        ),
    )
