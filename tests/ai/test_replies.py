"""Canned responses with a /shortcut and a scope: personal (an agent's own) or the team's (the
tenant, or one department). Real app, PostgreSQL and Redis."""

from __future__ import annotations

from typing import Any

from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol import Problem, Role
from pytake_daemon.protocol.ai import ReplyList, ReplyOut, ReplyScope
from tests.conftest import ApiClient, MakeTenant
from tests.support import TenantData

REFUND = {"title": "Refund", "body": "Your refund leaves in 5 days.", "shortcut": "/Refund"}


async def _create(api: ApiClient, headers: dict[str, str], body: dict[str, Any]) -> ReplyOut:
    resp = await api.post("/api/v1/ai/replies", json=body, headers=headers)
    assert resp.status == 201, await resp.text()
    return ReplyOut.model_validate(await resp.json())


async def _listed(api: ApiClient, headers: dict[str, str], query: str = "") -> list[str]:
    resp = await api.get(f"/api/v1/ai/replies{query}", headers=headers)
    assert resp.status == 200, await resp.text()
    items = ReplyList.model_validate(await resp.json()).items
    return [f"{r.scope.value}:{r.shortcut}" for r in items]


async def _problem(resp: Any, status: int) -> str:
    assert resp.status == status, await resp.text()
    return Problem.model_validate(await resp.json()).detail or ""


async def test_scopes_decide_who_uses_and_who_manages_a_reply(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant: TenantData = await make_tenant()
    agent, supervisor = tenant[Role.AGENT].headers, tenant[Role.SUPERVISOR].headers

    team = await _create(api, supervisor, REFUND)
    assert (team.scope, team.shortcut, team.owner_id) == (ReplyScope.TEAM, "refund", None)
    vip = await _create(
        api, supervisor, {"title": "VIP", "body": "Hello!", "shortcut": "vip", "department": "vip"}
    )
    # Agents add their own; a shared one is for supervisors.
    resp = await api.post("/api/v1/ai/replies", json=REFUND, headers=agent)
    assert "scope 'personal'" in await _problem(resp, 403)
    mine = await _create(api, agent, REFUND | {"scope": "personal", "body": "Mine."})
    assert (mine.scope, mine.owner_id) == (ReplyScope.PERSONAL, tenant[Role.AGENT].id)

    # A shortcut is unique per owner scope (a personal one may shadow the team's).
    resp = await api.post("/api/v1/ai/replies", json=REFUND | {"scope": "personal"}, headers=agent)
    taken = await _problem(resp, 409)
    assert taken == "the shortcut /refund is already used among your own replies"
    resp = await api.post("/api/v1/ai/replies", json=REFUND, headers=supervisor)
    assert "among the team's replies" in await _problem(resp, 409)
    bad = {"title": "x", "body": "y", "shortcut": "not a slug"}
    resp = await api.post("/api/v1/ai/replies", json=bad, headers=supervisor)
    assert resp.status == 422
    resp = await api.post(
        "/api/v1/ai/replies",
        json=bad | {"shortcut": "ok", "scope": "personal", "department": "v"},
        headers=agent,
    )
    assert resp.status == 422

    # Listing returns what the caller may use: their own first, the department's only to its
    # agents (supervisors see every shared reply), never someone else's personal one.
    assert await _listed(api, agent) == ["personal:refund", "team:refund"]
    assert await _listed(api, supervisor) == ["team:refund", "team:vip"]
    resp = await api.put(
        f"/api/v1/agents/{tenant[Role.AGENT].id}/status",
        json={"status": "offline", "departments": ["vip"]},
        headers=supervisor,
    )
    assert resp.status == 200, await resp.text()
    assert await _listed(api, agent) == ["personal:refund", "team:refund", "team:vip"]
    assert await _listed(api, agent, "?shortcut=/re") == ["personal:refund", "team:refund"]
    assert await _listed(api, agent, "?scope=personal") == ["personal:refund"]

    # Managing: agents their own, supervisors the team's; another's personal one is not found.
    resp = await api.patch(f"/api/v1/ai/replies/{team.id}", json={"title": "x"}, headers=agent)
    await _problem(resp, 403)
    resp = await api.patch(f"/api/v1/ai/replies/{mine.id}", json={"title": "x"}, headers=supervisor)
    assert await _problem(resp, 404) == "no such reply"
    resp = await api.delete(f"/api/v1/ai/replies/{mine.id}", headers=supervisor)
    await _problem(resp, 404)
    resp = await api.patch(f"/api/v1/ai/replies/{mine.id}", json={"scope": "team"}, headers=agent)
    await _problem(resp, 403)
    resp = await api.patch(
        f"/api/v1/ai/replies/{mine.id}", json={"shortcut": None, "title": "Mine"}, headers=agent
    )
    assert resp.status == 200, await resp.text()
    changed = ReplyOut.model_validate(await resp.json())
    assert (changed.shortcut, changed.title, changed.body) == (None, "Mine", "Mine.")
    # A supervisor makes a shared one theirs, and the department goes with the scope.
    resp = await api.patch(
        f"/api/v1/ai/replies/{vip.id}", json={"scope": "personal"}, headers=supervisor
    )
    moved = ReplyOut.model_validate(await resp.json())
    assert (moved.owner_id, moved.department) == (tenant[Role.SUPERVISOR].id, None)
    assert await _listed(api, agent) == ["personal:None", "team:refund"]
    resp = await api.delete(f"/api/v1/ai/replies/{mine.id}", headers=agent)
    assert resp.status == 204

    actions = await admin_conn.fetch(
        "SELECT action, actor_id FROM audit_entries WHERE tenant_id = $1 AND action LIKE"
        " 'ai.reply.%' ORDER BY seq",
        tenant.id,
    )
    assert [r["action"] for r in actions] == [
        "ai.reply.create", "ai.reply.create", "ai.reply.create",
        "ai.reply.update", "ai.reply.update", "ai.reply.delete",
    ]  # fmt: skip
