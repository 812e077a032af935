"""Installation figures read from PostgreSQL at scrape time (never on the message path).

Each statement is bounded by an index and, where a backlog could make it long, a cap:

* jobs queued and the oldest, by kind: ``ops_job_figures`` (0027), written for
  ``jobs_claim_idx`` (kind, id); the planner walks ``jobs_pkey`` filtering by kind instead (the
  kind is a parameter it can't see), which reads the whole queue table once per kind: bounded
  by the jobs queued (the table holds no history), 2,550 pages for a 50,000-job backlog;
* outbox queued and the first due: ``ops_outbox_figures`` (0027) on ``outbox_claim_idx``
  (next_attempt_at, seq);
* queue items waiting and in progress: ``ops_queue_figures`` (0027) on
  ``queue_items_waiting_idx`` and the partial ``queue_items_one_active_idx`` (active items);
* the last successful backup: ``_LAST_BACKUP`` on ``backup_runs_kind_started_idx``
  (kind, started_at DESC);
* each tenant's audit chain length: ``ops_audit_chains`` (0027) on ``audit_entries_pkey``
  (tenant_id, seq).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pytake_daemon.db.pool import Connection

# A backlog past this is "at least this many": counting further would make a scrape as slow as
# the backlog is long, exactly when the figures matter.
DEPTH_CAP = 100_000

_JOBS = "SELECT kind, depth, oldest FROM ops_job_figures($1::text[], $2)"
_OUTBOX = "SELECT depth, first_due FROM ops_outbox_figures($1)"
_QUEUES = "SELECT tenant, queue, waiting, in_progress FROM ops_queue_figures()"
_AUDIT = "SELECT tenant, entries FROM ops_audit_chains()"
# Newest first on the index; stops at the first success (failures since are few).
_LAST_BACKUP = """
SELECT finished_at FROM backup_runs
 WHERE kind = 'backup' AND status = 'succeeded'
 ORDER BY started_at DESC LIMIT 1
"""


@dataclass
class Figures:
    """One scrape's reading; ages in seconds relative to the database's clock."""

    read_at: datetime
    jobs: dict[str, tuple[int, float | None]] = field(default_factory=dict)
    outbox_depth: int = 0
    outbox_overdue_seconds: float = 0.0
    queues: list[tuple[str, str, int, int]] = field(default_factory=list)
    backup_age_seconds: float | None = None
    audit_chains: dict[str, int] = field(default_factory=dict)


async def read_figures(conn: Connection, job_kinds: list[str]) -> Figures:
    """Every figure, in one read-only transaction (one snapshot, one ``now()``)."""
    async with conn.transaction(readonly=True):
        now: datetime = await conn.fetchval("SELECT now()")
        figures = Figures(read_at=now)
        for row in await conn.fetch(_JOBS, sorted(job_kinds), DEPTH_CAP):
            oldest = row["oldest"]
            age = (now - oldest).total_seconds() if oldest is not None else None
            figures.jobs[row["kind"]] = (row["depth"], age)
        outbox = await conn.fetchrow(_OUTBOX, DEPTH_CAP)
        if outbox is not None:
            figures.outbox_depth = outbox["depth"]
            due = outbox["first_due"]
            if due is not None and due < now:
                figures.outbox_overdue_seconds = (now - due).total_seconds()
        figures.queues = [
            (r["tenant"], r["queue"], r["waiting"], r["in_progress"])
            for r in await conn.fetch(_QUEUES)
        ]
        finished = await conn.fetchval(_LAST_BACKUP)
        if finished is not None:
            figures.backup_age_seconds = (now - finished).total_seconds()
        figures.audit_chains = {r["tenant"]: r["entries"] for r in await conn.fetch(_AUDIT)}
    return figures
