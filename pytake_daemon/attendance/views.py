"""Database rows → wire models of the queues API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from pytake_daemon.attendance import queues_db
from pytake_daemon.attendance.hours import is_open
from pytake_daemon.db import rows
from pytake_daemon.protocol.queues import QueueItemOut, QueueOut, QueueSettings


def settings_values(body: QueueSettings) -> list[Any]:
    """The body in ``queues_db.SETTING_COLUMNS`` order, as the database stores it."""
    data = body.model_dump(mode="python")
    values = [data[name] for name in queues_db.SETTING_COLUMNS]
    return [v.value if hasattr(v, "value") and not isinstance(v, int) else v for v in values]


def queue_open(row: asyncpg.Record, now: datetime) -> bool:
    return is_open(row["business_hours"], row["timezone"], set(row["holidays"]), now)


def queue_out(row: asyncpg.Record, *, now: datetime) -> QueueOut:
    return rows.of(QueueOut, row, open_now=queue_open(row, now))


def item_out(
    row: asyncpg.Record,
    *,
    now: datetime,
    position: int | None = None,
    extras: asyncpg.Record | None = None,
) -> QueueItemOut:
    """``extras``: a row of ``items_db.item_extras`` (item lists fill it; events don't)."""
    until = row["assigned_at"] or row["ended_at"] or now
    return rows.of(
        QueueItemOut,
        row,
        position=position if row["status"] == "waiting" else None,
        wait_seconds=max(0.0, (until - row["entered_at"]).total_seconds()),
        sentiment=extras["sentiment"] if extras is not None else None,
        last_message=(extras["last_message"] or None) if extras is not None else None,
        rating=extras["rating"] if extras is not None else None,
    )


def optional_float(value: Decimal | float | None) -> float | None:
    """A PostgreSQL average or epoch (numeric, so a Decimal) as a JSON number, or None."""
    return None if value is None else float(value)
