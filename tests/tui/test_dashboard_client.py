"""The dashboard's DaemonClient calls against the real daemon (app, PostgreSQL, Redis): agents,
status, metrics with their series, goals, the timeline's pages, and the daemon's refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pytake_daemon.config import Settings
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.agents import SERIES_DAYS, AgentStatus
from pytake_daemon.whatsapp.secretbox import SecretBox, load_secret_box
from pytake_tui.client import DaemonClient, DaemonError
from tests.agents.dashboard_data import DAY, seed_day
from tests.conftest import ApiClient, MakeTenant
from tests.support import Member


@pytest.fixture
def box(settings: Settings) -> SecretBox:
    return load_secret_box(settings)


def _client(api: ApiClient, member: Member) -> DaemonClient:
    return DaemonClient(str(api.make_url("/")), token=member.token)


async def test_status_metrics_goals_and_timeline(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, box: SecretBox
) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    seeded = await seed_day(admin_conn, tenant.id, agent.id, box, datetime.now(UTC))
    resp = await api.post(
        f"/api/v1/agents/{agent.id}/goals",
        json={"kind": "daily_conversations", "target": 10},
        headers=tenant[Role.SUPERVISOR].headers,
    )
    assert resp.status == 201, await resp.text()

    async with _client(api, agent) as client:
        listed = await client.agents()
        assert {a.id for a in listed.items} == {m.id for m in tenant.members.values()}

        changed = await client.set_agent_status(agent.id, AgentStatus.BREAK)
        assert (changed.id, changed.status) == (agent.id, AgentStatus.BREAK)

        metrics = await client.agent_metrics(agent.id)
        assert metrics.real_time.status is AgentStatus.BREAK
        assert metrics.week.ratings + metrics.month.ratings >= 2
        assert len(metrics.daily) == SERIES_DAYS
        assert sum(p.conversations for p in metrics.daily) == len(DAY)
        today = datetime.now(UTC).date()
        assert sum(p.messages_answered for p in metrics.hourly) == sum(
            1 for r in seeded.replies if r.date() == today
        )

        (goal,) = (await client.agent_goals(agent.id)).items
        assert (goal.kind, goal.target) == ("daily_conversations", 10)
        assert goal.current == metrics.today.conversations
        assert 0 <= goal.progress < 1

        # Newest first, in pages: every entry once, the status change on top.
        first = await client.agent_activities(agent.id, limit=4)
        assert first.items[0].kind == "status_changed"
        assert first.next_before == first.items[-1].id
        rest = await client.agent_activities(agent.id, before=first.next_before, limit=50)
        assert rest.next_before is None
        ids = [a.id for a in first.items + rest.items]
        assert ids == sorted(ids, reverse=True)
        assert len(ids) == seeded.activities + 1
        assert {a.contact for a in first.items + rest.items if a.conversation_id} == set(
            seeded.conversations
        )


async def test_refusals_become_one_line_errors(api: ApiClient, make_tenant: MakeTenant) -> None:
    tenant = await make_tenant()
    agent, owner = tenant[Role.AGENT], tenant[Role.OWNER]
    async with _client(api, agent) as client:
        with pytest.raises(DaemonError) as refused:
            await client.agent_metrics(owner.id)
        assert refused.value.status == 403
        assert "agents see only their own figures" in refused.value.message
        with pytest.raises(DaemonError) as refused:
            await client.set_agent_status(owner.id, AgentStatus.ONLINE)
        assert refused.value.status == 403
        # A page the daemon would refuse is refused before asking.
        with pytest.raises(DaemonError) as refused:
            await client.agent_activities(agent.id, limit=500)
        assert refused.value.status is None
        assert refused.value.message.startswith("Check the request: limit: ")

    # Supervisors may look at (and set) anyone's.
    async with _client(api, tenant[Role.SUPERVISOR]) as client:
        assert (await client.set_agent_status(agent.id, AgentStatus.ONLINE)).status == "online"
        assert (await client.agent_metrics(agent.id)).real_time.status == "online"
        assert (await client.agent_goals(agent.id)).items == []
