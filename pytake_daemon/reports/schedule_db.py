"""The scheduled e-mail reports' SQL (migration 0034). Indexes: the due read
``report_subscriptions_due_idx`` (through ``report_mail_due``), the list
``report_subscriptions_tenant_idx`` and the last run ``report_mail_runs_subscription_idx``, the
claim ``report_mail_runs_slot_key``; everything else by primary key."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol.report_schedules import (
    Frequency,
    ScheduleCreate,
    ScheduleOut,
)
from pytake_daemon.reports.schedule import When

_COLUMNS = """
s.id, s.audience, s.user_id, u.email AS owner_email, s.frequency, s.datasets, s.tz, s.hour,
s.weekday, s.month_day, s.queue_id, s.next_at, s.created_at,
r.status AS last_status, r.slot AS last_slot
"""
_FROM = """
  FROM report_subscriptions s
  LEFT JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id
  LEFT JOIN LATERAL (SELECT status, slot FROM report_mail_runs
                      WHERE tenant_id = s.tenant_id AND subscription_id = s.id
                      ORDER BY slot DESC LIMIT 1) r ON true
"""
_INSERT = """
INSERT INTO report_subscriptions (tenant_id, audience, user_id, frequency, datasets, tz, hour,
                                  weekday, month_day, queue_id, next_at)
VALUES (current_tenant_id(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING id
"""
_LIST = f"""
SELECT {_COLUMNS} {_FROM}
 WHERE s.tenant_id = current_tenant_id()
   AND ($1::uuid IS NULL OR s.audience = 'team' OR s.user_id = $1)
 ORDER BY s.created_at, s.id
 LIMIT 500
"""
_ONE = f"SELECT {_COLUMNS} {_FROM} WHERE s.tenant_id = current_tenant_id() AND s.id = $1"
_DELETE = "DELETE FROM report_subscriptions WHERE tenant_id = current_tenant_id() AND id = $1"
_QUEUE = "SELECT true FROM queues WHERE tenant_id = current_tenant_id() AND id = $1"

_DUE = "SELECT tenant_id, id FROM report_mail_due($1)"
# The slot is the subscription's next_at, read under FOR UPDATE: a second pass waits for the
# first's commit, then finds next_at moved on and claims nothing.
_LOCK_DUE = """
SELECT id, audience, user_id, frequency, datasets, tz, hour, weekday, month_day, queue_id,
       next_at
  FROM report_subscriptions
 WHERE tenant_id = current_tenant_id() AND id = $1 AND next_at <= $2
 FOR UPDATE
"""
_CLAIM_RUN = """
INSERT INTO report_mail_runs (tenant_id, subscription_id, slot, started_at)
VALUES (current_tenant_id(), $1, $2, $3)
ON CONFLICT ON CONSTRAINT report_mail_runs_slot_key DO NOTHING
RETURNING id
"""
_MOVE = """
UPDATE report_subscriptions SET next_at = $2 WHERE tenant_id = current_tenant_id() AND id = $1
"""
_FINISH = """
UPDATE report_mail_runs SET status = $2, recipients = $3, detail = left($4, 500),
       finished_at = $5
 WHERE tenant_id = current_tenant_id() AND id = $1
"""


def when_of(row: asyncpg.Record | ScheduleCreate | ScheduleOut) -> When:
    def get(name: str) -> Any:
        return row[name] if isinstance(row, asyncpg.Record) else getattr(row, name)

    return When(
        frequency=Frequency(get("frequency")),
        tz=get("tz"),
        hour=get("hour"),
        weekday=get("weekday"),
        month_day=get("month_day"),
    )


async def queue_exists(conn: Connection, queue_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval(_QUEUE, queue_id))


async def create(
    conn: Connection, body: ScheduleCreate, owner: uuid.UUID | None, next_at: datetime
) -> ScheduleOut:
    new_id = await conn.fetchval(
        _INSERT,
        body.audience.value,
        owner,
        body.frequency.value,
        [d.value for d in body.datasets],
        body.tz,
        body.hour,
        body.weekday,
        body.month_day,
        body.queue_id,
        next_at,
    )
    found = await get(conn, new_id)
    assert found is not None  # just inserted in this transaction
    return found


async def get(conn: Connection, schedule_id: uuid.UUID) -> ScheduleOut | None:
    return rows.one(ScheduleOut, await conn.fetchrow(_ONE, schedule_id))


async def listing(conn: Connection, user_id: uuid.UUID | None) -> list[ScheduleOut]:
    """The team's schedules and ``user_id``'s own (every one when ``None``: admins, CLI)."""
    return rows.many(ScheduleOut, await conn.fetch(_LIST, user_id))


async def delete(conn: Connection, schedule_id: uuid.UUID) -> bool:
    status: str = await conn.execute(_DELETE, schedule_id)
    return status != "DELETE 0"


async def due(conn: Connection, now: datetime) -> list[tuple[uuid.UUID, uuid.UUID]]:
    return [(r["tenant_id"], r["id"]) for r in await conn.fetch(_DUE, now)]


async def lock_due(
    conn: Connection, schedule_id: uuid.UUID, now: datetime
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(_LOCK_DUE, schedule_id, now)
    return row


async def claim_run(
    conn: Connection, schedule_id: uuid.UUID, slot: datetime, now: datetime, next_at: datetime
) -> uuid.UUID | None:
    """Record the slot's run and move the schedule on; ``None`` if the slot was taken."""
    run_id: uuid.UUID | None = await conn.fetchval(_CLAIM_RUN, schedule_id, slot, now)
    await conn.execute(_MOVE, schedule_id, next_at)
    return run_id


async def finish_run(
    conn: Connection, run_id: uuid.UUID, status: str, recipients: int, detail: str, at: datetime
) -> None:
    await conn.execute(_FINISH, run_id, status, recipients, detail, at)
