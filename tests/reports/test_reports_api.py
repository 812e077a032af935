"""Reports through the API against the hand-computed weekend of tests/reports/seed.py (Lisbon,
across the spring-forward change), with the clock pinned; RBAC, 422s, tenant isolation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from pytake_daemon.db.pool import Connection, tenant_transaction
from pytake_daemon.keys import DB_POOL, SECRET_BOX
from pytake_daemon.protocol import Problem, Role
from pytake_daemon.protocol.reports import Level, ReportOut, ReportQuery
from pytake_daemon.reports.rollup import ROLLUP_LOCK, roll_up, roll_up_tenant
from pytake_daemon.reports.service import build_report, period_of
from tests.conftest import ApiClient, MakeTenant
from tests.reports.seed import FIRST_DAY, LAST_DAY, NOW, TZ, Weekend, at, seed_weekend
from tests.support import TenantData

PERIOD = {"first_day": FIRST_DAY, "last_day": LAST_DAY, "tz": TZ}


async def _weekend(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> tuple[TenantData, Weekend]:
    tenant = await make_tenant()
    weekend = await seed_weekend(admin_conn, tenant.id, tenant[Role.AGENT].id, api.app[SECRET_BOX])
    return tenant, weekend


async def _report(api: ApiClient, tenant: TenantData, **params: Any) -> ReportOut:
    """The report as the service computes it at the pinned ``NOW`` (the API reads the real
    clock, which only matters for attendances still waiting: none here)."""
    query = ReportQuery.model_validate({**PERIOD, **params})
    async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
        return await build_report(conn, query, NOW)


async def test_tenant_figures_match_the_hand_computed_weekend(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant, _ = await _weekend(api, make_tenant, admin_conn)
    report = await _report(api, tenant)

    assert report.level is Level.TENANT
    # Saturday WET midnight to Monday WEST midnight: 24 + 23 hours.
    assert (report.start, report.end) == (
        datetime(2026, 3, 28, tzinfo=UTC), datetime(2026, 3, 29, 23, tzinfo=UTC),
    )  # fmt: skip
    assert len(report.hourly) == 47
    jump = report.hourly[25].start
    assert (jump.isoformat(), report.hourly[24].start.isoformat()) == (
        "2026-03-29T02:00:00+01:00", "2026-03-29T00:00:00+00:00",
    )  # fmt: skip
    v = report.volumes
    assert (v.inbound, v.outbound, v.opened, v.closed) == (6, 5, 5, 3)
    assert report.hourly[-1].inbound == 1  # 23:59 WEST still belongs to Sunday

    a = report.attendance
    assert (a.entered, a.assigned, a.abandoned, a.transfers) == (3, 2, 1, 1)
    assert a.abandonment_rate == pytest.approx(1 / 3)
    # First replies 120 s and 660 s: median 390, p90 120 + 0.9 x 540.
    assert (a.first_response.median, a.first_response.p90) == pytest.approx((390, 606))
    # Resolutions 1,740 s and 2,340 s.
    assert (a.resolution.median, a.resolution.p90) == pytest.approx((2040, 2280))
    # Ana met Support's 5 min; Bruno's reply came late; Carla waited 9 min for Sales' 1 min.
    assert (a.sla.met, a.sla.missed) == (1, 2)

    assert (report.csat.ratings, report.csat.average) == (2, 3.5)
    assert [(d.rating, d.count) for d in report.csat.distribution] == [
        (1, 0), (2, 1), (3, 0), (4, 0), (5, 1),
    ]  # fmt: skip
    assert [(d.day, d.ratings, d.average) for d in report.csat_trend] == [
        (date(2026, 3, 28), 1, 5.0), (date(2026, 3, 29), 1, 2.0),
    ]  # fmt: skip
    assert (report.automation.closed, report.automation.automated) == (3, 1)
    m = report.mood
    assert (m.analysed, m.positive, m.neutral, m.negative) == (3, 2, 0, 1)
    assert [(i.intent, i.count) for i in m.top_intents] == [("greeting", 2), ("complaint", 1)]
    t = report.templates
    assert (t.sent, t.delivered, t.read, t.failed, t.read_rate) == (1, 1, 1, 0, 1.0)
    assert [(e.code, e.count) for e in report.meta_errors] == [(131047, 1)]

    heat = {(c.weekday, c.hour): c.messages for c in report.heatmap if c.messages}
    # Saturday 10h and 12h WET; Sunday 10h, 21h and 23h WEST (local hours, not UTC).
    assert heat == {(5, 10): 3, (5, 12): 1, (6, 10): 4, (6, 21): 2, (6, 23): 1}

    rows = [(r.name, r.entered, r.abandoned, r.sla_rate, r.csat_average) for r in report.breakdown]
    assert rows == [("Support", 2, 0, 0.5, 3.5), ("Sales", 1, 1, 0.0, None)]


async def test_drill_down_queue_agent_conversation(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant, w = await _weekend(api, make_tenant, admin_conn)
    queue = await _report(api, tenant, queue_id=w.support)
    assert queue.level is Level.QUEUE
    # Messages during Support's attendances: Ana's reply and thanks, Bruno's reply.
    assert (queue.volumes.inbound, queue.volumes.outbound, queue.volumes.closed) == (1, 2, 1)
    assert queue.volumes.opened == 2
    assert [(r.level, r.id, r.entered) for r in queue.breakdown] == [(Level.AGENT, w.agent, 2)]
    assert (queue.mood.positive, queue.mood.negative) == (1, 0)  # Ana's thanks, in attendance

    agent = await _report(api, tenant, queue_id=w.support, agent_id=w.agent)
    assert agent.level is Level.AGENT
    assert sorted(r.name for r in agent.breakdown) == ["Ana", "Bruno"]
    assert agent.csat.ratings == 2
    assert agent.attendance.first_response.median == pytest.approx(390)

    one = await _report(api, tenant, conversation_id=w.ana)
    assert one.level is Level.CONVERSATION
    assert (one.volumes.inbound, one.volumes.outbound, one.attendance.entered) == (2, 1, 1)
    [attendance] = one.breakdown
    assert attendance.level is Level.CONVERSATION
    assert attendance.first_response_median == pytest.approx(120)


def test_periods_are_local_days_across_both_dst_changes() -> None:
    # Lisbon falls back on 2026-10-25 (25 hours); São Paulo skipped midnight on 2018-11-04.
    autumn = period_of(ReportQuery(period="2026-10-25", tz="Europe/Lisbon"), NOW)
    assert len(autumn.hours) == 25
    assert [h.isoformat() for h in autumn.hours[1:3]] == [
        "2026-10-25T00:00:00+00:00", "2026-10-25T01:00:00+00:00",
    ]  # fmt: skip
    gap = period_of(ReportQuery(period="2018-11-04", tz="America/Sao_Paulo"), NOW)
    assert (gap.start, len(gap.hours)) == (datetime(2018, 11, 4, 3, tzinfo=UTC), 23)
    week = period_of(ReportQuery(period="last-week", tz="America/Sao_Paulo"), NOW)
    assert (week.first_day, week.last_day) == (date(2026, 3, 23), date(2026, 3, 29))
    default = period_of(ReportQuery(), NOW)
    assert default.last_day - default.first_day == timedelta(days=6)


async def test_agents_are_refused_and_bad_parameters_name_their_field(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant, w = await _weekend(api, make_tenant, admin_conn)
    other = await make_tenant()
    resp = await api.get("/api/v1/reports", params=PERIOD, headers=tenant[Role.AGENT].headers)
    assert resp.status == 403
    resp = await api.get(
        "/api/v1/reports/export", params=PERIOD, headers=tenant[Role.AGENT].headers
    )
    assert resp.status == 403

    supervisor = tenant[Role.SUPERVISOR].headers
    cases = [
        ({"tz": "Mars/Olympus"}, "query.tz"),
        ({"first_day": LAST_DAY, "last_day": FIRST_DAY}, "query.last_day"),
        ({"first_day": "2025-01-01", "last_day": "2026-03-01"}, "query.last_day"),
        ({"period": "fortnight"}, "query.period"),
        ({"queue_id": "not-a-uuid"}, "query.queue_id"),
        ({"queue_id": str(w.support), "agent_id": str(other[Role.AGENT].id)}, "query.agent_id"),
        ({"format": "pdf"}, "query.format"),
    ]
    for params, field in cases:
        path = "/api/v1/reports/export" if "format" in params else "/api/v1/reports"
        resp = await api.get(path, params={**PERIOD, **params}, headers=supervisor)
        assert resp.status == 422, (params, await resp.text())
        problem = Problem.model_validate(await resp.json())
        assert problem.errors is not None
        assert field in [e.loc for e in problem.errors], (params, problem)

    # The other tenant's queue is no queue here; its own report sees none of this weekend.
    resp = await api.get(
        "/api/v1/reports",
        params={**PERIOD, "queue_id": str(w.support)},
        headers=other[Role.ADMIN].headers,
    )
    assert resp.status == 422
    resp = await api.get("/api/v1/reports", params=PERIOD, headers=other[Role.ADMIN].headers)
    assert resp.status == 200
    theirs = ReportOut.model_validate(await resp.json())
    assert (theirs.volumes.inbound, theirs.attendance.entered, theirs.breakdown) == (0, 0, [])

    resp = await api.get("/api/v1/reports", params=PERIOD, headers=supervisor)
    assert resp.status == 200
    assert ReportOut.model_validate(await resp.json()).volumes.inbound == 6


async def test_the_rollup_leaves_every_figure_as_it_was(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant, _ = await _weekend(api, make_tenant, admin_conn)
    live = (await _report(api, tenant)).model_dump()
    # Rolled up to a quarter in the middle of Sunday (the rest read live), then past the end.
    for now, until in ((at(29, 9, 50), at(29, 9, 45)), (NOW, NOW)):
        async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
            assert await roll_up_tenant(conn, tenant.id, now) == until
        assert (await _report(api, tenant)).model_dump() == live
    rolled = await admin_conn.fetchrow(
        "SELECT sum(inbound) AS inbound, sum(positive) AS positive, count(*) AS quarters"
        " FROM report_quarters WHERE tenant_id = $1",
        tenant.id,
    )
    assert rolled is not None
    # The weekend's six, and Friday's, Monday's and Eva's outside it; quarters with a message.
    assert (rolled["inbound"], rolled["positive"], rolled["quarters"]) == (9, 2, 8)


async def test_one_process_rolls_up_at_a_time(api: ApiClient, admin_conn: Connection) -> None:
    async with admin_conn.transaction():
        # Another process holds the roll-up's lock: this one skips its pass.
        assert await admin_conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", ROLLUP_LOCK)
        assert await roll_up(api.app[DB_POOL], NOW) is None
