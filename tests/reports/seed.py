"""A weekend of attendances in Lisbon across the spring-forward change (Sunday 2026-03-29,
01:00 UTC: 01:00 WET becomes 02:00 WEST, a 23-hour day), written as the owner, with every
figure of the report computed by hand in the test that reads it (tests/reports/test_reports_api.py).

Times below are UTC; Saturday is WET (UTC+0), Sunday after 01:00 UTC is WEST (UTC+1).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from pytake_daemon.db.pool import Connection
from pytake_daemon.whatsapp.secretbox import SecretBox
from tests.conversations.factories import insert_conversation, insert_message, insert_number

TZ = "Europe/Lisbon"
FIRST_DAY = "2026-03-28"
LAST_DAY = "2026-03-29"
NOW = datetime(2026, 4, 2, 12, 0, tzinfo=UTC)
"""The reports' pinned clock: after the period, so nothing is still waiting."""


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


@dataclass(frozen=True)
class Weekend:
    support: uuid.UUID
    sales: uuid.UUID
    ana: uuid.UUID
    bruno: uuid.UUID
    carla: uuid.UUID
    davi: uuid.UUID
    agent: uuid.UUID


async def _item(
    conn: Connection,
    tenant_id: uuid.UUID,
    queue: uuid.UUID,
    conversation: uuid.UUID,
    status: str,
    entered: datetime,
    ended: datetime,
    *,
    agent: uuid.UUID | None = None,
    assigned: datetime | None = None,
) -> uuid.UUID:
    # Written ended, in one statement: the assignment triggers only count active items.
    item: uuid.UUID = await conn.fetchval(
        """
        INSERT INTO queue_items (tenant_id, queue_id, conversation_id, status, agent_id,
                                 fallback_action, entered_at, assigned_at, ended_at)
        VALUES ($1, $2, $3, $4, $5, 'abandon', $6, $7, $8) RETURNING id
        """,
        tenant_id,
        queue,
        conversation,
        status,
        agent,
        entered,
        assigned,
        ended,
    )
    return item


async def _event(
    conn: Connection,
    tenant_id: uuid.UUID,
    conversation: uuid.UUID,
    kind: str,
    when: datetime,
    *,
    queue: uuid.UUID | None = None,
    agent: uuid.UUID | None = None,
    reason: str | None = None,
) -> None:
    await conn.execute(
        """
        INSERT INTO conversation_events (tenant_id, conversation_id, kind, agent_id, queue_id,
                                         detail, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        """,
        tenant_id,
        conversation,
        kind,
        agent,
        queue,
        {} if reason is None else {"reason": reason},
        when,
    )


async def _analysis(
    conn: Connection, tenant_id: uuid.UUID, message: uuid.UUID, label: str, intent: str
) -> None:
    await conn.execute(
        """
        INSERT INTO ai_message_analysis (tenant_id, message_id, conversation_id, language,
                                         sentiment, sentiment_label, intent, intent_confidence,
                                         analyzed_at)
        SELECT tenant_id, id, conversation_id, 'pt', 0, $3, $4, 0.9, created_at
          FROM messages WHERE tenant_id = $1 AND id = $2
        """,
        tenant_id,
        message,
        label,
        intent,
    )


async def seed_weekend(
    conn: Connection, tenant_id: uuid.UUID, agent: uuid.UUID, box: SecretBox
) -> Weekend:
    number = await insert_number(conn, tenant_id, box)
    await conn.execute("INSERT INTO agents (tenant_id, id) VALUES ($1, $2)", tenant_id, agent)
    support = await conn.fetchval(
        "INSERT INTO queues (tenant_id, name) VALUES ($1, 'Support') RETURNING id", tenant_id
    )
    sales = await conn.fetchval(
        "INSERT INTO queues (tenant_id, name, first_response_target_seconds)"
        " VALUES ($1, 'Sales', 60) RETURNING id",
        tenant_id,
    )

    async def conversation(name: str, created: datetime, last: datetime) -> uuid.UUID:
        conv = await insert_conversation(
            conn, tenant_id, number_id=number, profile_name=name, last_message_at=last
        )
        await conn.execute("UPDATE conversations SET created_at = $2 WHERE id = $1", conv, created)
        return conv

    async def message(
        conv: uuid.UUID, when: datetime, direction: str = "in", **kw: object
    ) -> uuid.UUID:
        return await insert_message(
            conn,
            tenant_id,
            conversation_id=conv,
            direction=direction,
            created_at=when,
            **kw,  # type: ignore[arg-type]  # the callers pass insert_message's own keywords
        )

    # Ana, Saturday 10:00 WET: answered in 2 min (Support's target is 5), rated 5.
    ana = await conversation("Ana", at(28, 10), at(28, 10, 5))
    greeting = await message(ana, at(28, 10))
    await message(ana, at(28, 10, 3), "out", sent_by=agent)
    thanks = await message(ana, at(28, 10, 5))
    item = await _item(
        conn, tenant_id, support, ana, "completed", at(28, 10, 1), at(28, 10, 30),
        agent=agent, assigned=at(28, 10, 2),
    )  # fmt: skip
    await _event(conn, tenant_id, ana, "closed", at(28, 10, 30), queue=support, agent=agent)
    await conn.execute(
        "INSERT INTO conversation_feedback (tenant_id, item_id, conversation_id, agent_id, rating,"
        " asked_at, answered_at) VALUES ($1, $2, $3, $4, 5, $5, $6)",
        tenant_id, item, ana, agent, at(28, 10, 30), at(28, 10, 35),
    )  # fmt: skip

    # Bruno, Sunday 10:00 WEST: answered in 11 min (late), reassigned once, rated 2; then a
    # template that was read and a message Meta refused.
    bruno = await conversation("Bruno", at(29, 9), at(29, 9, 51))
    complaint = await message(bruno, at(29, 9))
    await message(bruno, at(29, 9, 12), "out", sent_by=agent)
    await message(bruno, at(29, 9, 50), "out", type="template", status="read")
    await message(
        bruno, at(29, 9, 51), "out", status="failed", error_code=131047,
        error_title="Re-engagement message",
    )  # fmt: skip
    item = await _item(
        conn, tenant_id, support, bruno, "completed", at(29, 9, 1), at(29, 9, 40),
        agent=agent, assigned=at(29, 9, 11),
    )  # fmt: skip
    await conn.execute(
        "INSERT INTO queue_history (tenant_id, item_id, queue_id, conversation_id, event,"
        " agent_id, at) VALUES ($1, $2, $3, $4, 'reassigned', $5, $6)",
        tenant_id, item, support, bruno, agent, at(29, 9, 11),
    )  # fmt: skip
    await conn.execute(
        "INSERT INTO conversation_feedback (tenant_id, item_id, conversation_id, agent_id, rating,"
        " asked_at, answered_at) VALUES ($1, $2, $3, $4, 2, $5, $6)",
        tenant_id, item, bruno, agent, at(29, 9, 40), at(29, 9, 45),
    )  # fmt: skip

    # Carla, Saturday 12:00: waited 9 min in Sales (target 1 min) and gave up; reopened Sunday.
    carla = await conversation("Carla", at(28, 12), at(28, 12))
    await message(carla, at(28, 12))
    await _item(conn, tenant_id, sales, carla, "abandoned", at(28, 12, 1), at(28, 12, 10))
    await _event(
        conn, tenant_id, carla, "closed", at(28, 12, 10), queue=sales, reason="wait timeout"
    )
    await _event(conn, tenant_id, carla, "reopened", at(29, 15))

    # Davi, Sunday 21:00 WEST: the flow answered and closed; a last word at 23:59 WEST.
    davi = await conversation("Davi", at(29, 20), at(29, 22, 59))
    await message(davi, at(29, 20))
    await message(davi, at(29, 20, 0, 5), "out")
    await _event(conn, tenant_id, davi, "closed", at(29, 20, 1), reason="flow")
    await message(davi, at(29, 22, 59))

    # Outside the period: Friday 23:30 WET and Monday 01:30 WEST; a conversation created
    # before it (not opened in it) whose message is also outside.
    await message(davi, at(27, 23, 30))
    await message(davi, at(30, 0, 30))
    old = await conversation("Eva", at(20, 9), at(30, 0, 30))
    await message(old, at(30, 0, 30))

    await _analysis(conn, tenant_id, greeting, "positive", "greeting")
    await _analysis(conn, tenant_id, thanks, "positive", "greeting")
    await _analysis(conn, tenant_id, complaint, "negative", "complaint")
    return Weekend(
        support=support, sales=sales, ana=ana, bruno=bruno, carla=carla, davi=davi, agent=agent
    )
