"""The dashboard's charts and timeline from real rows: hourly and daily series in the metrics,
the customer's name on timeline entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pytake_daemon.config import Settings
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.agents import SERIES_DAYS, ActivityList, AgentMetrics
from pytake_daemon.whatsapp.secretbox import SecretBox, load_secret_box
from tests.agents.dashboard_data import DAY, seed_day
from tests.conftest import ApiClient, MakeTenant


@pytest.fixture
def box(settings: Settings) -> SecretBox:
    return load_secret_box(settings)


async def test_series_count_what_happened_by_local_hour_and_day(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, box: SecretBox
) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    now = datetime.now(UTC)
    seeded = await seed_day(admin_conn, tenant.id, agent.id, box, now)

    resp = await api.get(f"/api/v1/agents/{agent.id}/metrics", headers=agent.headers)
    assert resp.status == 200, await resp.text()
    metrics = AgentMetrics.model_validate(await resp.json())
    # The agent's zone is UTC (the default): hours and days are UTC ones. Compare with what a
    # clock read after the request says, so a test crossing midnight still knows "today".
    today = datetime.now(UTC).date()
    assert [p.hour for p in metrics.hourly] == list(range(datetime.now(UTC).hour + 1))
    replies_today = [r for r in seeded.replies if r.date() == today]
    assert sum(p.messages_answered for p in metrics.hourly) == len(replies_today)
    for point in metrics.hourly:
        assert point.messages_answered == sum(1 for r in replies_today if r.hour == point.hour)
    for attendance in DAY:
        assigned = seeded.assigned[attendance.customer]
        if assigned.date() == today:
            point = metrics.hourly[assigned.hour]
            same_hour = [
                a.reply.total_seconds()
                for a in DAY
                if seeded.assigned[a.customer].date() == today
                and seeded.assigned[a.customer].hour == assigned.hour
            ]
            assert point.avg_first_response_seconds == pytest.approx(
                sum(same_hour) / len(same_hour)
            )

    assert len(metrics.daily) == SERIES_DAYS
    assert metrics.daily[-1].day == today
    assert [p.day for p in metrics.daily] == [
        today - timedelta(days=SERIES_DAYS - 1 - n) for n in range(SERIES_DAYS)
    ]
    by_day = {p.day: p for p in metrics.daily}
    for attendance in DAY:
        ended = seeded.assigned[attendance.customer] + attendance.handled
        day = by_day[ended.date()]
        assert day.conversations >= 1
        assert day.ratings >= 1
    assert sum(p.conversations for p in metrics.daily) == len(DAY)
    assert sum(p.ratings for p in metrics.daily) == sum(1 for a in DAY if a.rating)
    three_days_ago = by_day[(seeded.assigned["Carla Dias"] + DAY[2].handled).date()]
    assert (three_days_ago.avg_satisfaction, three_days_ago.ratings) == (4.0, 1)
    quiet = [p for p in metrics.daily if p.ratings == 0]
    assert quiet
    assert all(p.avg_satisfaction is None and p.conversations == 0 for p in quiet)


async def test_series_of_a_new_agent_are_zeros(api: ApiClient, make_tenant: MakeTenant) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    resp = await api.get(f"/api/v1/agents/{agent.id}/metrics", headers=agent.headers)
    metrics = AgentMetrics.model_validate(await resp.json())
    assert metrics.hourly
    assert all(
        (p.messages_answered, p.avg_first_response_seconds) == (0, None) for p in metrics.hourly
    )
    assert all((p.conversations, p.ratings) == (0, 0) for p in metrics.daily)


async def test_timeline_names_the_customer(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, box: SecretBox
) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    seeded = await seed_day(admin_conn, tenant.id, agent.id, box, datetime.now(UTC))
    resp = await api.put(
        f"/api/v1/agents/{agent.id}/status", json={"status": "online"}, headers=agent.headers
    )
    assert resp.status == 200, await resp.text()
    resp = await api.get(f"/api/v1/agents/{agent.id}/activities", headers=agent.headers)
    page = ActivityList.model_validate(await resp.json())
    assert len(page.items) == seeded.activities + 1
    assert page.items[0].kind == "status_changed"
    assert page.items[0].contact is None
    named = {(a.conversation_id, a.contact) for a in page.items if a.conversation_id}
    assert named == {(c, name) for name, c in seeded.conversations.items()}
