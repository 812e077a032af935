"""Supervisors change and remove goals (the dashboard's goal dialog); each change is audited."""

from __future__ import annotations

import json
import uuid

from asyncpg import Connection

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.agents import GoalList, GoalOut
from tests.conftest import ApiClient, MakeTenant


async def test_a_supervisor_changes_and_removes_a_goal_and_the_audit_has_both(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant, other = await make_tenant(), await make_tenant()
    agent, supervisor = tenant[Role.AGENT], tenant[Role.SUPERVISOR].headers
    goals = f"/api/v1/agents/{agent.id}/goals"
    made = await api.post(
        goals,
        json={"kind": "daily_conversations", "target": 5, "deadline": "2099-01-31"},
        headers=supervisor,
    )
    assert made.status == 201, await made.text()
    goal = GoalOut.model_validate(await made.json())

    changed = await api.patch(
        f"{goals}/{goal.id}", json={"target": 8, "period": "week"}, headers=supervisor
    )
    assert changed.status == 200, await changed.text()
    after = GoalOut.model_validate(await changed.json())
    assert (after.target, after.period, after.deadline) == (8, "week", goal.deadline)
    cleared = await api.patch(f"{goals}/{goal.id}", json={"deadline": None}, headers=supervisor)
    assert GoalOut.model_validate(await cleared.json()).deadline is None

    # Bad input and other people's goals: a clear error, nothing changed.
    zero = await api.patch(f"{goals}/{goal.id}", json={"target": 0}, headers=supervisor)
    assert zero.status == 422
    by_agent = await api.patch(f"{goals}/{goal.id}", json={"target": 9}, headers=agent.headers)
    assert by_agent.status == 403
    elsewhere = other[Role.SUPERVISOR].headers
    foreign = await api.patch(
        f"/api/v1/agents/{agent.id}/goals/{goal.id}", json={"target": 9}, headers=elsewhere
    )
    assert foreign.status == 404
    unknown = await api.delete(f"{goals}/{uuid.uuid4()}", headers=supervisor)
    assert unknown.status == 404

    removed = await api.delete(f"{goals}/{goal.id}", headers=supervisor)
    assert removed.status == 204
    listed = await api.get(goals, headers=agent.headers)
    assert GoalList.model_validate(await listed.json()).items == []

    actions = await admin_conn.fetch(
        "SELECT action, diff FROM audit_entries WHERE tenant_id = $1 AND target_type = 'goal' "
        "ORDER BY seq",
        tenant.id,
    )
    assert [r["action"] for r in actions] == [
        "agent.goal.update",
        "agent.goal.update",
        "agent.goal.delete",
    ]
    first = actions[0]["diff"]
    first = json.loads(first) if isinstance(first, str) else first
    assert first == {
        "target": {"before": 5.0, "after": 8.0},
        "period": {"before": "day", "after": "week"},
    }
