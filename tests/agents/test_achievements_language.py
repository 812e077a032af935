"""This month's achievements (the dashboard's "This month: ◆ …") are worded in the reader's
language from the goal itself; a goal removed since keeps the English title stored when it was
reached."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from asyncpg import Connection

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.agents import ActivityList, AgentMetrics, GoalOut
from tests.conftest import ApiClient, MakeTenant


async def test_achievements_follow_the_readers_language(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    made = await api.post(
        f"/api/v1/agents/{agent.id}/goals",
        json={"kind": "satisfaction", "target": 4.5, "period": "week"},
        headers=tenant[Role.SUPERVISOR].headers,
    )
    assert made.status == 201, await made.text()
    goal = GoalOut.model_validate(await made.json())
    # As goals.check leaves them: the English title and the goal's id; the second goal is gone.
    now = datetime.now(UTC)
    for goal_id, title in ((goal.id, "satisfaction 4.5+ per week"), (uuid.uuid4(), "old goal")):
        await admin_conn.execute(
            "INSERT INTO agent_activities (tenant_id, agent_id, kind, detail, at) "
            "VALUES ($1, $2, 'goal_reached', $3::jsonb, $4)",
            tenant.id, agent.id, {"goal_id": str(goal_id), "title": title}, now,
        )  # fmt: skip

    async def achievements(language: str) -> list[str]:
        resp = await api.get(
            f"/api/v1/agents/{agent.id}/metrics",
            headers={**agent.headers, "Accept-Language": language},
        )
        assert resp.status == 200, await resp.text()
        return AgentMetrics.model_validate(await resp.json()).month.achievements

    assert await achievements("pt-BR") == ["satisfação 4,5+ por semana", "old goal"]
    assert await achievements("en") == ["satisfaction 4.5+ per week", "old goal"]


async def test_timeline_goal_reached_follows_the_readers_language(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    """The dashboard timeline's "goal reached" entry is worded from the goal at read time, and
    a count of one takes the singular ("1 conversa por dia", not "1 conversations")."""
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    made = await api.post(
        f"/api/v1/agents/{agent.id}/goals",
        json={"kind": "daily_conversations", "target": 1, "period": "day"},
        headers=tenant[Role.SUPERVISOR].headers,
    )
    assert made.status == 201, await made.text()
    goal = GoalOut.model_validate(await made.json())
    now = datetime.now(UTC)
    for goal_id, title in ((goal.id, "1 conversation per day"), (uuid.uuid4(), "old goal")):
        await admin_conn.execute(
            "INSERT INTO agent_activities (tenant_id, agent_id, kind, detail, at) "
            "VALUES ($1, $2, 'goal_reached', $3::jsonb, $4)",
            tenant.id, agent.id, {"goal_id": str(goal_id), "title": title}, now,
        )  # fmt: skip

    async def titles(language: str) -> list[str]:
        resp = await api.get(
            f"/api/v1/agents/{agent.id}/activities",
            headers={**agent.headers, "Accept-Language": language},
        )
        assert resp.status == 200, await resp.text()
        return [a.detail["title"] for a in ActivityList.model_validate(await resp.json()).items]

    # Newest first: the removed goal was inserted last.
    assert await titles("pt-BR") == ["old goal", "1 conversa por dia"]
    assert await titles("en") == ["old goal", "1 conversation per day"]
