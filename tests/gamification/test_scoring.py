"""The pass against the hand-computed week of tests/gamification/seed.py (Lisbon, across the
spring-forward change), clock pinned: points with their source rows, rankings per team and
period, the DST boundary, idempotence, once across replicas, turned off."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg

from pytake_daemon.db.pool import Connection, Pool, set_tenant
from pytake_daemon.gamification import rules, scoring, service
from pytake_daemon.keys import DB_POOL, SECRET_BOX
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.gamification import BoardQuery, Leaderboard
from tests.conftest import ApiClient, MakeTenant
from tests.gamification.seed import NOW, Team, seed_week
from tests.support import TenantData


async def _score(pool: Pool, tenant_id: uuid.UUID, now: Any = NOW) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await scoring.score_tenant(conn, tenant_id, now)


async def _ledger(pool: Pool, tenant_id: uuid.UUID) -> list[tuple[Any, ...]]:
    async with pool.acquire() as conn, conn.transaction():
        await set_tenant(conn, tenant_id)
        rows = await conn.fetch(
            "SELECT id, agent_id, reason, points, at, source_table, source_id, detail"
            " FROM gamification_points ORDER BY id"
        )
    return [tuple(r) for r in rows]


async def _board(pool: Pool, tenant_id: uuid.UUID, **query: Any) -> Leaderboard:
    async with pool.acquire() as conn, conn.transaction():
        await set_tenant(conn, tenant_id)
        return await service.leaderboard(conn, BoardQuery.model_validate(query), NOW)


def _points(board: Leaderboard, team: Team) -> list[tuple[str, int, int]]:
    names = {team.ana: "Ana", team.bruno: "Bruno", team.carla: "Carla"}
    # The tenant's own agent (tests/support.py) is listed too, as "other".
    return [(names.get(r.agent_id, "other"), r.points, r.rank) for r in board.rows]


async def _week(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> tuple[TenantData, Team, Pool]:
    tenant = await make_tenant()
    team = await seed_week(admin_conn, tenant.id, api.app[SECRET_BOX])
    pool = api.app[DB_POOL]
    await _score(pool, tenant.id)
    return tenant, team, pool


async def test_points_come_from_measured_work_each_with_its_source(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant, team, pool = await _week(api, make_tenant, admin_conn)
    ledger = await _ledger(pool, tenant.id)
    by_agent: dict[uuid.UUID, list[tuple[str, int]]] = {}
    for _, agent, reason, points, _, table, source, _ in ledger:
        by_agent.setdefault(agent, []).append((reason, points))
        assert source  # every point names its row
        assert table in ("queue_items", "conversation_feedback", "agent_activities")
    monday = [("resolved", 10), ("first_response", 5), ("csat", 5)]
    tuesday = [("resolved", 10), ("first_response", 0), ("csat", 2)]
    sunday_night = [("resolved", 10), ("first_response", 5)]
    assert sorted(by_agent[team.ana]) == sorted([*monday, *tuesday, *sunday_night])
    # The empty close earns nothing, and fifty messages in an open attendance neither.
    assert sorted(by_agent[team.bruno]) == sorted(
        [("resolved", 10), ("first_response", 5), ("csat", 5), ("goal_reached", 20)]
    )
    assert sorted(by_agent[team.carla]) == sorted(
        [("resolved", 10), ("first_response", 5), ("resolved", 10), ("first_response", 0)]
    )
    late = next(r for r in ledger if r[1] == team.carla and r[2] == "first_response" and not r[3])
    assert late[7] == {"seconds": 90, "target": 60}


async def test_rankings_per_period_and_team_in_the_tenant_zone(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant, team, pool = await _week(api, make_tenant, admin_conn)

    week = await _board(pool, tenant.id, period="week", day="2026-03-25")
    assert (week.first_day, week.last_day, week.tz) == (
        date(2026, 3, 23), date(2026, 3, 29), "Europe/Lisbon",
    )  # fmt: skip
    assert _points(week, team) == [
        ("Bruno", 40, 1), ("Ana", 32, 2), ("Carla", 25, 3), ("other", 0, 4),
    ]  # fmt: skip
    ana = next(r for r in week.rows if r.agent_id == team.ana)
    assert (ana.resolved, ana.on_target, ana.five_stars) == (2, 1, 1)

    month = await _board(pool, tenant.id, period="month", day="2026-03-01")
    assert _points(month, team) == [
        ("Ana", 47, 1), ("Bruno", 40, 2), ("Carla", 25, 3), ("other", 0, 4),
    ]  # fmt: skip

    care = await _board(pool, tenant.id, period="week", day="2026-03-23", department="care")
    assert (care.team, _points(care, team)) == ("care", [("Bruno", 40, 1), ("Ana", 32, 2)])
    sales = await _board(pool, tenant.id, period="week", day="2026-03-29", queue_id=team.sales)
    assert (sales.team, _points(sales, team)) == ("Sales", [("Carla", 25, 1)])


async def test_the_spring_forward_sunday_is_23_hours_of_lisbon(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant, team, pool = await _week(api, make_tenant, admin_conn)
    # Carla's 22:50 UTC is 23:50 WEST, still Sunday; Ana's 23:30 UTC is Monday 00:30 WEST.
    sunday = await _board(pool, tenant.id, period="day", day="2026-03-29")
    assert _points(sunday, team) == [
        ("Carla", 25, 1), ("other", 0, 2), ("Ana", 0, 2), ("Bruno", 0, 2),
    ]  # fmt: skip
    monday = await _board(pool, tenant.id, period="day", day="2026-03-30")
    assert _points(monday, team)[0] == ("Ana", 15, 1)


async def test_running_again_or_recomputing_a_period_gives_the_same_ledger(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant, _, pool = await _week(api, make_tenant, admin_conn)
    first = await _ledger(pool, tenant.id)
    await _score(pool, tenant.id, NOW + timedelta(minutes=2))
    async with pool.acquire() as conn, conn.transaction():
        await set_tenant(conn, tenant.id)
        start = rules.local_midnight(date(2026, 3, 1), "Europe/Lisbon")
        await scoring.compute_range(conn, start, NOW, NOW)
    assert await _ledger(pool, tenant.id) == first  # same rows, same ids, same points


async def test_once_across_replicas_the_lock_holder_scores(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    pool = api.app[DB_POOL]
    async with pool.acquire() as holder, holder.transaction():
        await holder.execute("SELECT pg_advisory_xact_lock($1)", scoring.SCORING_LOCK)
        assert await scoring.score(pool, NOW) is None


async def test_turned_off_no_points_are_computed_and_the_board_says_so(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    team = await seed_week(admin_conn, tenant.id, api.app[SECRET_BOX])
    pool = api.app[DB_POOL]
    async with pool.acquire() as conn, conn.transaction():
        await set_tenant(conn, tenant.id)
        await service.set_enabled(conn, False, team.ana, NOW)
        tenants = [r["tenant_id"] for r in await conn.fetch("SELECT * FROM gamification_tenants()")]
    assert tenant.id not in tenants  # the pass skips it
    board = await _board(pool, tenant.id, period="week", day="2026-03-25")
    assert (board.enabled, board.rows) == (False, [])
    assert await _ledger(pool, tenant.id) == []

    # On again: from then on; what happened while it was off earns nothing.
    async with pool.acquire() as conn, conn.transaction():
        await set_tenant(conn, tenant.id)
        await service.set_enabled(conn, True, team.ana, NOW)
    await _score(pool, tenant.id, NOW + timedelta(minutes=2))
    assert await _ledger(pool, tenant.id) == []


async def test_a_fact_is_credited_to_an_agent_of_the_tenant_only(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    """Row-level security: the pass run for one tenant writes none of another's rows."""
    one, _, pool = await _week(api, make_tenant, admin_conn)
    other = await make_tenant()
    await _score(pool, other.id)
    assert await _ledger(pool, other.id) == []
    assert len(await _ledger(pool, one.id)) == 8 + 4 + 4  # Ana, Bruno, Carla
    board = await _board(pool, other.id, period="month", day="2026-03-01")
    # Only the other tenant's own agent (no points), none of the first tenant's people.
    assert [(r.agent_id, r.points) for r in board.rows] == [(other[Role.AGENT].id, 0)]


async def test_the_ledger_refuses_a_negative_point(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant, team, pool = await _week(api, make_tenant, admin_conn)
    async with pool.acquire() as conn:
        try:
            async with conn.transaction():
                await set_tenant(conn, tenant.id)
                await conn.execute(
                    "UPDATE gamification_points SET points = -1 WHERE agent_id = $1", team.ana
                )
        except asyncpg.CheckViolationError:
            return
    raise AssertionError("a negative point was accepted")
