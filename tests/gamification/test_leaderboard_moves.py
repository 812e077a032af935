"""The issue's "done when": the leaderboard moves as agents close conversations. Everything
through the real API (queue, assignment, the agent's reply, the close), then the pass, then
the leaderboard as the console reads it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pytake_daemon.db.pool import Connection
from pytake_daemon.keys import DB_POOL, SECRET_BOX
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.gamification import Leaderboard
from tests.conftest import ApiClient, MakeTenant
from tests.gamification.test_scoring import _score
from tests.queues.support import conversations
from tests.support import Member, TenantData


async def _attend(api: ApiClient, tenant: TenantData, queue: str, conversation: uuid.UUID,
                  member: Member) -> None:  # fmt: skip
    supervisor = tenant[Role.SUPERVISOR].headers
    path = f"/api/v1/conversations/{conversation}"
    resp = await api.post(f"{path}/assignment", json={"queue_id": queue}, headers=supervisor)
    assert resp.status == 200, await resp.text()
    resp = await api.post(
        f"{path}/assignment",
        json={"agent_id": str(member.id), "override_capacity": True},
        headers=supervisor,
    )
    assert resp.status == 200, await resp.text()
    resp = await api.post(
        f"{path}/messages",
        json={"content": {"type": "text", "body": "On it!"}},
        headers=member.headers,
    )
    assert resp.status == 201, await resp.text()
    resp = await api.patch(f"{path}/status", json={"status": "resolved"}, headers=member.headers)
    assert resp.status == 200, await resp.text()


async def _board(api: ApiClient, tenant: TenantData) -> list[tuple[uuid.UUID, int, int]]:
    resp = await api.get(
        "/api/v1/gamification/leaderboard",
        params={"period": "day"},
        headers=tenant[Role.AGENT].headers,
    )
    assert resp.status == 200, await resp.text()
    board = Leaderboard.model_validate(await resp.json())
    return [(r.agent_id, r.points, r.rank) for r in board.rows]


async def test_the_leaderboard_moves_as_agents_close_conversations(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    agent, supervisor = tenant[Role.AGENT], tenant[Role.SUPERVISOR]
    resp = await api.post(
        "/api/v1/queues", json={"name": "Support"}, headers=tenant[Role.ADMIN].headers
    )
    assert resp.status == 201, await resp.text()
    queue = (await resp.json())["id"]
    first, second, third = await conversations(admin_conn, tenant.id, api.app[SECRET_BOX], 3)
    pool = api.app[DB_POOL]

    # The pass runs on the real clock here: the attendances end now, in the tenant's today.
    await _score(pool, tenant.id, datetime.now(UTC))
    assert await _board(api, tenant) == [(agent.id, 0, 1)]

    await _attend(api, tenant, queue, first, agent)
    await _score(pool, tenant.id, datetime.now(UTC))
    # Resolved with a reply (10) and answered within Support's five minutes (5).
    assert await _board(api, tenant) == [(agent.id, 15, 1)]

    await _attend(api, tenant, queue, second, supervisor)
    await _attend(api, tenant, queue, third, supervisor)
    await _score(pool, tenant.id, datetime.now(UTC))
    assert await _board(api, tenant) == [(supervisor.id, 30, 1), (agent.id, 15, 2)]
