"""An agent's worked day in the database, for the dashboard's daemon and client tests.

Rows are written as the queues would leave them (completed items, the agent's replies, ratings,
timeline entries), at times relative to ``now``, so the figures are measured, not assumed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.whatsapp.secretbox import SecretBox
from tests.conversations import factories


@dataclass(frozen=True)
class Attendance:
    """One finished conversation: assigned ``ago`` before now, first reply after ``reply``."""

    customer: str
    ago: timedelta
    reply: timedelta
    handled: timedelta
    rating: int | None


DAY = (
    Attendance("Ana Souza", timedelta(minutes=50), timedelta(seconds=30), timedelta(minutes=8), 5),
    Attendance("Bruno Lima", timedelta(minutes=20), timedelta(seconds=90), timedelta(minutes=4), 3),
    Attendance("Carla Dias", timedelta(days=3), timedelta(seconds=60), timedelta(minutes=5), 4),
)


@dataclass
class Seeded:
    conversations: dict[str, uuid.UUID] = field(default_factory=dict)
    replies: list[datetime] = field(default_factory=list)
    """When the agent's messages were written."""
    assigned: dict[str, datetime] = field(default_factory=dict)
    activities: int = 0


async def seed_day(
    conn: Connection,
    tenant_id: uuid.UUID,
    agent_id: uuid.UUID,
    box: SecretBox,
    now: datetime,
    attendances: tuple[Attendance, ...] = DAY,
) -> Seeded:
    """Write ``attendances`` for ``agent_id`` (admin connection)."""
    seeded = Seeded()
    async with conn.transaction():
        await set_tenant(conn, tenant_id)
        number = await factories.insert_number(conn, tenant_id, box)
        await conn.execute(
            "INSERT INTO agents (tenant_id, id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            tenant_id,
            agent_id,
        )
        queue_id = await conn.fetchval(
            "INSERT INTO queues (tenant_id, name) VALUES ($1, 'Support') RETURNING id", tenant_id
        )
        for a in attendances:
            conversation = await factories.insert_conversation(
                conn, tenant_id, number_id=number, profile_name=a.customer
            )
            seeded.conversations[a.customer] = conversation
            assigned = now - a.ago
            seeded.assigned[a.customer] = assigned
            item = await conn.fetchval(
                "INSERT INTO queue_items (tenant_id, queue_id, conversation_id, status, agent_id,"
                " fallback_action, entered_at, assigned_at, ended_at)"
                " VALUES ($1, $2, $3, 'completed', $4, 'keep_waiting', $5, $5, $6) RETURNING id",
                tenant_id,
                queue_id,
                conversation,
                agent_id,
                assigned,
                assigned + a.handled,
            )
            reply_at = assigned + a.reply
            await factories.insert_message(
                conn,
                tenant_id,
                conversation_id=conversation,
                direction="out",
                text="On it!",
                sent_by=agent_id,
                created_at=reply_at,
            )
            seeded.replies.append(reply_at)
            entries = [
                ("conversation_started", {"queue_id": str(queue_id)}, assigned),
                (
                    "conversation_finished",
                    {"queue_id": str(queue_id), "handling_seconds": a.handled.total_seconds()},
                    assigned + a.handled,
                ),
            ]
            if a.rating is not None:
                await conn.execute(
                    "INSERT INTO conversation_feedback (tenant_id, item_id, conversation_id,"
                    " agent_id, rating, asked_at, answered_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
                    tenant_id,
                    item,
                    conversation,
                    agent_id,
                    a.rating,
                    assigned + a.handled,
                )
                entries.append(("feedback_received", {"rating": a.rating}, assigned + a.handled))
            for kind, detail, at in entries:
                await conn.execute(
                    "INSERT INTO agent_activities (tenant_id, agent_id, kind, conversation_id,"
                    " detail, at) VALUES ($1, $2, $3, $4, $5, $6)",
                    tenant_id,
                    agent_id,
                    kind,
                    conversation,
                    detail,
                    at,
                )
                seeded.activities += 1
    return seeded
