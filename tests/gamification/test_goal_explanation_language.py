"""A reached goal's point explanation is worded from the goal itself in the reader's language
(the ledger stored the English title); a goal removed since keeps the stored title."""

from __future__ import annotations

import uuid
from datetime import date

from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.gamification import scoring, service
from pytake_daemon.keys import DB_POOL, SECRET_BOX
from pytake_daemon.protocol.gamification import Period
from pytake_i18n import use_language
from tests.conftest import ApiClient, MakeTenant
from tests.gamification.seed import NOW, at, writer


async def test_a_reached_goal_explained_in_the_readers_language(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    async with admin_conn.transaction():
        w = await writer(admin_conn, tenant.id, api.app[SECRET_BOX])
        dora = await w.agent("Dora", ["care"])
        goal_id = await admin_conn.fetchval(
            "INSERT INTO agent_goals (tenant_id, agent_id, kind, target, period)"
            " VALUES ($1, $2, 'daily_conversations', 1, 'day') RETURNING id",
            tenant.id, dora,
        )  # fmt: skip
        for goal, title, hour in (
            (goal_id, "1 conversation per day", 10),
            (uuid.uuid4(), "old goal", 11),
        ):
            await admin_conn.execute(
                "INSERT INTO agent_activities (tenant_id, agent_id, kind, detail, at)"
                " VALUES ($1, $2, 'goal_reached', $3, $4)",
                tenant.id, dora, {"goal_id": str(goal), "title": title}, at(28, hour),
            )  # fmt: skip
    pool = api.app[DB_POOL]
    async with pool.acquire() as conn, conn.transaction():
        await scoring.score_tenant(conn, tenant.id, NOW)

    async def explained(language: str) -> list[str]:
        async with pool.acquire() as conn, conn.transaction():
            await set_tenant(conn, tenant.id)
            with use_language(language):
                mine = await service.my_points(conn, dora, Period.WEEK, date(2026, 3, 25), NOW)
        return [row.explanation for row in mine.latest]

    assert await explained("pt_BR") == [
        "+20: meta atingida (old goal)", "+20: meta atingida (1 conversa por dia)",
    ]  # fmt: skip
    assert await explained("en") == [
        "+20: goal reached (old goal)", "+20: goal reached (1 conversation per day)",
    ]  # fmt: skip
