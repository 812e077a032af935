"""``/api/v1/gamification`` through the real app: leaderboard and my points for every role,
challenges (supervisors change them, with progress from the ledger), the tenant's switch
(admins), every change audited, 422s naming the field, and tenant isolation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pytake_daemon.db.pool import Connection, tenant_transaction
from pytake_daemon.gamification import service
from pytake_daemon.keys import DB_POOL, SECRET_BOX
from pytake_daemon.protocol import Problem, Role
from pytake_daemon.protocol.gamification import ChallengeList, ChallengeOut, Leaderboard, MyPoints
from tests.conftest import ApiClient, MakeTenant
from tests.gamification.seed import NOW, seed_week
from tests.gamification.test_scoring import _score

BASE = "/api/v1/gamification"
CARE_CHALLENGE = {
    "title": "Two resolved this week",
    "metric": "resolved",
    "threshold": 2,
    "first_day": "2026-03-23",
    "last_day": "2026-03-29",
    "department": "care",
}


async def _audit(admin_conn: Connection, tenant_id: uuid.UUID) -> list[tuple[str, Any]]:
    rows = await admin_conn.fetch(
        "SELECT action, diff FROM audit_entries WHERE tenant_id = $1"
        " AND action LIKE 'gamification.%' ORDER BY seq",
        tenant_id,
    )
    return [(r["action"], r["diff"]) for r in rows]


async def test_leaderboard_and_my_points_for_an_agent(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    await seed_week(admin_conn, tenant.id, api.app[SECRET_BOX])
    await _score(api.app[DB_POOL], tenant.id)
    agent = tenant[Role.AGENT].headers

    resp = await api.get(
        f"{BASE}/leaderboard", params={"period": "week", "day": "2026-03-25"}, headers=agent
    )
    assert resp.status == 200, await resp.text()
    board = Leaderboard.model_validate(await resp.json())
    assert [(r.name, r.points) for r in board.rows][:3] == [
        ("Bruno", 40), ("Ana", 32), ("Carla", 25),
    ]  # fmt: skip

    week = {"period": "week", "day": "2026-03-25"}
    resp = await api.get(f"{BASE}/me", params=week, headers=agent)
    assert resp.status == 200, await resp.text()
    mine = MyPoints.model_validate(await resp.json())
    assert (mine.enabled, mine.points, mine.rank, mine.of) == (True, 0, 4, 4)

    for params, field in (
        ({"queue_id": str(uuid.uuid4())}, "query.queue_id"),
        ({"period": "year"}, "query.period"),
        ({"queue_id": str(uuid.uuid4()), "department": "care"}, "query"),
    ):
        resp = await api.get(f"{BASE}/leaderboard", params=params, headers=agent)
        assert resp.status == 422, params
        problem = Problem.model_validate(await resp.json())
        assert problem.errors, problem
        assert problem.errors[0].loc.startswith(field), problem


async def test_challenges_supervisors_change_everyone_sees_progress_all_audited(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    team = await seed_week(admin_conn, tenant.id, api.app[SECRET_BOX])
    await _score(api.app[DB_POOL], tenant.id, NOW)
    supervisor, agent = tenant[Role.SUPERVISOR].headers, tenant[Role.AGENT].headers

    resp = await api.post(f"{BASE}/challenges", json=CARE_CHALLENGE, headers=agent)
    assert resp.status == 403
    resp = await api.post(f"{BASE}/challenges", json=CARE_CHALLENGE, headers=supervisor)
    assert resp.status == 201, await resp.text()
    challenge = ChallengeOut.model_validate(await resp.json())
    # Ana resolved two in care's week, Bruno one (his empty close doesn't count).
    assert [(p.agent_id, p.value, p.done) for p in challenge.progress] == [
        (team.ana, 2, True), (team.bruno, 1, False),
    ]  # fmt: skip

    points = {**CARE_CHALLENGE, "metric": "points", "threshold": 35}
    resp = await api.put(f"{BASE}/challenges/{challenge.id}", json=points, headers=supervisor)
    assert resp.status == 200, await resp.text()
    changed = ChallengeOut.model_validate(await resp.json())
    assert [(p.agent_id, p.value, p.done) for p in changed.progress] == [
        (team.bruno, 40, True), (team.ana, 32, False),
    ]  # fmt: skip

    # Listed while not over, or over this month (clock pinned to the Monday after).
    async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
        listed = await service.list_challenges(conn, datetime(2026, 3, 30, 9, tzinfo=UTC))
        gone = await service.list_challenges(conn, datetime(2026, 5, 2, 9, tzinfo=UTC))
    assert ([c.id for c in listed.items], gone.items) == ([challenge.id], [])

    bad = (
        ({**CARE_CHALLENGE, "last_day": "2026-03-01"}, "body"),
        ({**CARE_CHALLENGE, "department": None, "queue_id": str(uuid.uuid4())}, "body.queue_id"),
        ({**CARE_CHALLENGE, "threshold": 0}, "body.threshold"),
    )
    for body, field in bad:
        resp = await api.post(f"{BASE}/challenges", json=body, headers=supervisor)
        assert resp.status == 422, body
        problem = Problem.model_validate(await resp.json())
        assert problem.errors, problem
        assert problem.errors[0].loc.startswith(field), problem

    resp = await api.delete(f"{BASE}/challenges/{challenge.id}", headers=supervisor)
    assert resp.status == 204
    resp = await api.delete(f"{BASE}/challenges/{challenge.id}", headers=supervisor)
    assert resp.status == 404

    audit = await _audit(admin_conn, tenant.id)
    assert [a for a, _ in audit] == [
        "gamification.challenge.create",
        "gamification.challenge.update",
        "gamification.challenge.delete",
    ]
    assert audit[1][1]["threshold"] == {"before": 2, "after": 35}


async def test_settings_are_for_admins_audited_and_off_shows_on_every_screen(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    for role in (Role.AGENT, Role.SUPERVISOR):
        headers = tenant[role].headers
        assert (await api.get(f"{BASE}/settings", headers=headers)).status == 403
        resp = await api.put(f"{BASE}/settings", json={"enabled": False}, headers=headers)
        assert resp.status == 403
    admin = tenant[Role.ADMIN].headers
    assert await (await api.get(f"{BASE}/settings", headers=admin)).json() == {"enabled": True}
    resp = await api.put(f"{BASE}/settings", json={"enabled": False}, headers=admin)
    assert resp.status == 200, await resp.text()
    assert await (await api.get(f"{BASE}/settings", headers=admin)).json() == {"enabled": False}
    agent = tenant[Role.AGENT].headers
    board = Leaderboard.model_validate(
        await (await api.get(f"{BASE}/leaderboard", headers=agent)).json()
    )
    mine = MyPoints.model_validate(await (await api.get(f"{BASE}/me", headers=agent)).json())
    listed = ChallengeList.model_validate(
        await (await api.get(f"{BASE}/challenges", headers=agent)).json()
    )
    assert (board.enabled, board.rows, mine.enabled, listed.enabled) == (False, [], False, False)
    resp = await api.put(f"{BASE}/settings", json={"enabled": "maybe"}, headers=admin)
    assert resp.status == 422
    assert await _audit(admin_conn, tenant.id) == [
        ("gamification.settings", {"enabled": {"before": True, "after": False}})
    ]


async def test_another_tenants_challenge_is_not_there(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    one, other = await make_tenant(), await make_tenant()
    today = datetime.now(UTC).date()  # the list shows challenges not over yet
    body = {**CARE_CHALLENGE, "first_day": str(today), "last_day": str(today + timedelta(30))}
    resp = await api.post(f"{BASE}/challenges", json=body, headers=one[Role.SUPERVISOR].headers)
    assert resp.status == 201, await resp.text()
    challenge_id = (await resp.json())["id"]
    theirs = other[Role.SUPERVISOR].headers
    resp = await api.put(f"{BASE}/challenges/{challenge_id}", json=body, headers=theirs)
    assert resp.status == 404
    resp = await api.delete(f"{BASE}/challenges/{challenge_id}", headers=theirs)
    assert resp.status == 404
    listed = ChallengeList.model_validate(
        await (await api.get(f"{BASE}/challenges", headers=theirs)).json()
    )
    assert listed.items == []
    mine = await api.get(f"{BASE}/challenges", headers=one[Role.AGENT].headers)
    assert [c.id for c in ChallengeList.model_validate(await mine.json()).items] == [
        uuid.UUID(challenge_id)
    ]
    assert await _audit(admin_conn, other.id) == []
