"""A week of attendances in Lisbon ending on the spring-forward Sunday (2026-03-29, 01:00 UTC:
01:00 WET becomes 02:00 WEST, a 23-hour day), with every point computed by hand in the tests
that read it (tests/gamification/test_scoring.py). Times below are UTC.

Support: target 300 s, department "care". Sales: target 60 s, department "sales".

=====  ======================  ===========================================  ======
agent  ends (UTC)              facts                                         points
=====  ======================  ===========================================  ======
Ana    Mon 23 10:30            resolved, first reply 120 s (on), rated 5     10+5+5
Ana    Tue 24 10:30            resolved, first reply 400 s (late), rated 4   10+0+2
Ana    Sun 29 23:30            = Mon 30 00:30 WEST: resolved, reply 60 s     10+5
Bruno  Wed 25 09:30            resolved, first reply 30 s, rated 5           10+5+5
Bruno  Wed 25 11:30            closed without a word from him                0
Bruno  (open)                  50 messages sent in an attendance not ended   0
Bruno  Thu 26 12:00            a goal reached                                20
Carla  Sun 29 00:50            Sales, resolved, reply 45 s (on)              10+5
Carla  Sun 29 22:50            Sales, resolved, reply 90 s (late)            10+0
=====  ======================  ===========================================  ======

Week Mon 23 - Sun 29: Bruno 40, Ana 32, Carla 25. Sunday 29: Carla 25, nobody else.
Monday 30: Ana 15. March: Ana 47, Bruno 40, Carla 25.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.whatsapp.secretbox import SecretBox
from tests.conversations.factories import insert_conversation, insert_message, insert_number

TZ = "Europe/Lisbon"
NOW = datetime(2026, 4, 2, 12, 0, tzinfo=UTC)
"""The pass's pinned clock: after the week, so its weekly badges may be judged."""


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@dataclass(frozen=True)
class Team:
    support: uuid.UUID
    sales: uuid.UUID
    ana: uuid.UUID
    bruno: uuid.UUID
    carla: uuid.UUID


class Writer:
    """Rows of one tenant, as the owner (admin connection, tenant set)."""

    def __init__(self, conn: Connection, tenant_id: uuid.UUID, number: uuid.UUID) -> None:
        self.conn, self.tenant_id, self.number = conn, tenant_id, number

    async def agent(self, name: str, departments: list[str]) -> uuid.UUID:
        user: uuid.UUID = await self.conn.fetchval(
            "INSERT INTO users (tenant_id, email, name, role, password_hash)"
            " VALUES ($1, $2, $3, 'agent', 'x') RETURNING id",
            self.tenant_id,
            f"{name.lower()}-{uuid.uuid4().hex[:6]}@example.test",
            name,
        )
        await self.conn.execute(
            "INSERT INTO agents (tenant_id, id, departments) VALUES ($1, $2, $3)",
            self.tenant_id,
            user,
            departments,
        )
        return user

    async def queue(self, name: str, target: int, department: str) -> uuid.UUID:
        queue: uuid.UUID = await self.conn.fetchval(
            "INSERT INTO queues (tenant_id, name, first_response_target_seconds, department)"
            " VALUES ($1, $2, $3, $4) RETURNING id",
            self.tenant_id,
            name,
            target,
            department,
        )
        return queue

    async def attendance(
        self,
        agent: uuid.UUID,
        queue: uuid.UUID,
        entered: datetime,
        ended: datetime | None,
        *,
        reply_after: int | None,
        rating: int | None = None,
        replies: int = 1,
    ) -> uuid.UUID:
        """A customer's message at ``entered``, ``replies`` replies by the agent from
        ``reply_after`` seconds on, the attendance completed at ``ended`` (None: still
        assigned), and its rating five minutes later."""
        conv = await insert_conversation(
            self.conn, self.tenant_id, number_id=self.number, last_message_at=entered
        )
        await insert_message(
            self.conn, self.tenant_id, conversation_id=conv, direction="in", created_at=entered
        )
        if reply_after is not None:
            for n in range(replies):
                await insert_message(
                    self.conn,
                    self.tenant_id,
                    conversation_id=conv,
                    direction="out",
                    sent_by=agent,
                    created_at=entered + timedelta(seconds=reply_after + n),
                )
        item: uuid.UUID = await self.conn.fetchval(
            """
            INSERT INTO queue_items (tenant_id, queue_id, conversation_id, status, agent_id,
                                     fallback_action, entered_at, assigned_at, ended_at)
            VALUES ($1, $2, $3, $4, $5, 'abandon', $6, $6, $7) RETURNING id
            """,
            self.tenant_id,
            queue,
            conv,
            "completed" if ended is not None else "assigned",
            agent,
            entered,
            ended,
        )
        if rating is not None and ended is not None:
            await self.conn.execute(
                "INSERT INTO conversation_feedback (tenant_id, item_id, conversation_id,"
                " agent_id, rating, asked_at, answered_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                self.tenant_id,
                item,
                conv,
                agent,
                rating,
                ended,
                ended + timedelta(minutes=5),
            )
        return item

    async def goal_reached(self, agent: uuid.UUID, when: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO agent_activities (tenant_id, agent_id, kind, detail, at)"
            " VALUES ($1, $2, 'goal_reached', $3, $4)",
            self.tenant_id,
            agent,
            {"goal_id": str(uuid.uuid4()), "title": "10 conversations per day"},
            when,
        )


async def writer(conn: Connection, tenant_id: uuid.UUID, box: SecretBox) -> Writer:
    """A writer for the tenant, whose business profile says Lisbon."""
    await set_tenant(conn, tenant_id)
    number = await insert_number(conn, tenant_id, box)
    await conn.execute(
        "INSERT INTO tenant_profiles (tenant_id, business_name, segment, timezone, language)"
        " VALUES ($1, 'Loja', 'retail', $2, 'en')",
        tenant_id,
        TZ,
    )
    return Writer(conn, tenant_id, number)


async def seed_week(conn: Connection, tenant_id: uuid.UUID, box: SecretBox) -> Team:
    async with conn.transaction():
        w = await writer(conn, tenant_id, box)
        support = await w.queue("Support", 300, "care")
        sales = await w.queue("Sales", 60, "sales")
        ana = await w.agent("Ana", ["care"])
        bruno = await w.agent("Bruno", ["care"])
        carla = await w.agent("Carla", ["sales"])

        await w.attendance(ana, support, at(23, 10), at(23, 10, 30), reply_after=120, rating=5)
        await w.attendance(ana, support, at(24, 10), at(24, 10, 30), reply_after=400, rating=4)
        await w.attendance(ana, support, at(29, 23), at(29, 23, 30), reply_after=60)
        await w.attendance(bruno, support, at(25, 9), at(25, 9, 30), reply_after=30, rating=5)
        await w.attendance(bruno, support, at(25, 11), at(25, 11, 30), reply_after=None)
        await w.attendance(bruno, support, at(25, 14), None, reply_after=10, replies=50)
        await w.goal_reached(bruno, at(26, 12))
        await w.attendance(carla, sales, at(29, 0, 30), at(29, 0, 50), reply_after=45)
        await w.attendance(carla, sales, at(29, 22, 30), at(29, 22, 50), reply_after=90)
    return Team(support=support, sales=sales, ana=ana, bruno=bruno, carla=carla)
