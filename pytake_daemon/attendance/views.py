"""Database rows → wire models of the queues API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from pytake_daemon.attendance import queues_db
from pytake_daemon.attendance.hours import is_open
from pytake_daemon.protocol.queues import QueueItemOut, QueueOut, QueueSettings


def settings_values(body: QueueSettings) -> list[Any]:
    """The body in ``queues_db.SETTING_COLUMNS`` order, as the database stores it."""
    data = body.model_dump(mode="python")
    values = [data[name] for name in queues_db.SETTING_COLUMNS]
    return [v.value if hasattr(v, "value") and not isinstance(v, int) else v for v in values]


def queue_open(row: asyncpg.Record, now: datetime) -> bool:
    return is_open(row["business_hours"], row["timezone"], set(row["holidays"]), now)


def queue_out(row: asyncpg.Record, *, now: datetime) -> QueueOut:
    fields = {name: row[name] for name in queues_db.SETTING_COLUMNS}
    return QueueOut(
        id=row["id"],
        waiting=row["waiting"],
        assigned=row["assigned"],
        open_now=queue_open(row, now),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        **fields,
    )


def item_out(
    row: asyncpg.Record,
    *,
    now: datetime,
    position: int | None = None,
    extras: asyncpg.Record | None = None,
) -> QueueItemOut:
    """``extras``: a row of ``items_db.item_extras`` (item lists fill it; events don't)."""
    until = row["assigned_at"] or row["ended_at"] or now
    return QueueItemOut(
        id=row["id"],
        queue_id=row["queue_id"],
        conversation_id=row["conversation_id"],
        contact_wa_id=row["contact_wa_id"],
        contact_name=row["contact_name"],
        priority=row["priority"],
        status=row["status"],
        agent_id=row["agent_id"],
        source=row["source"],
        position=position if row["status"] == "waiting" else None,
        entered_at=row["entered_at"],
        wait_deadline=row["wait_deadline"],
        assigned_at=row["assigned_at"],
        ended_at=row["ended_at"],
        wait_seconds=max(0.0, (until - row["entered_at"]).total_seconds()),
        sentiment=extras["sentiment"] if extras is not None else None,
        last_message=(extras["last_message"] or None) if extras is not None else None,
        rating=extras["rating"] if extras is not None else None,
    )


def optional_float(value: Decimal | float | None) -> float | None:
    """A PostgreSQL average or epoch (numeric, so a Decimal) as a JSON number, or None."""
    return None if value is None else float(value)
