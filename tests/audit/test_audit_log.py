"""Recording: domain events with differences, the middleware's records, append-only storage."""

from __future__ import annotations

import asyncpg
import pytest

from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.audit import ActorType, AuditList, Outcome
from tests.audit.support import drain, entries
from tests.conftest import ApiClient, MakeTenant

NEW_USER = {"email": "new@example.test", "name": "New", "password": "long-enough-secret"}


async def test_user_changes_are_recorded_with_before_and_after(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    resp = await api.post(
        "/api/v1/users", json=NEW_USER, headers={**admin.headers, "User-Agent": "audit-test/1"}
    )
    assert resp.status == 201
    user_id = (await resp.json())["id"]
    resp = await api.patch(
        f"/api/v1/users/{user_id}", json={"role": "supervisor"}, headers=admin.headers
    )
    assert resp.status == 200

    found = await entries(api, admin, target=user_id)
    assert [e.action for e in found] == ["user.role_change", "user.create"]
    change, create = found
    assert change.diff == {"role": {"before": "agent", "after": "supervisor"}}
    assert create.diff is not None
    assert create.diff["email"] == {
        "before": None,
        "after": "new@example.test",
    }
    assert create.actor_type is ActorType.USER
    assert create.actor_id == admin.id
    assert create.actor_role == "admin"
    assert create.user_agent == "audit-test/1"
    assert create.route == "/api/v1/users"
    assert create.request_id
    assert create.ip
    assert "password" not in create.diff
    # One record per call: the domain event replaces the middleware's generic one.
    assert len(await entries(api, admin, action="POST /api/v1/users")) == 0


async def test_refused_calls_are_recorded_by_the_middleware(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    resp = await api.post("/api/v1/users", json=NEW_USER, headers=agent.headers)
    assert resp.status == 403
    found = await entries(api, tenant[Role.ADMIN], action="POST /api/v1/users")
    assert len(found) == 1
    assert found[0].outcome is Outcome.DENIED
    assert found[0].status == 403
    assert found[0].actor_id == agent.id


async def test_logins_logout_and_tokens_are_recorded(
    proxied_api: ApiClient, make_tenant: MakeTenant, from_ip: dict[str, str]
) -> None:
    tenant = await make_tenant()
    owner = tenant[Role.OWNER]
    bad = {"email": owner.email, "password": "wrong-password"}
    assert (await proxied_api.post("/api/v1/auth/login", json=bad, headers=from_ip)).status == 401
    good = {"email": owner.email, "password": "correct-horse-battery-staple"}
    resp = await proxied_api.post("/api/v1/auth/login", json=good, headers=from_ip)
    assert resp.status == 200
    session = {"Authorization": f"Bearer {(await resp.json())['token']}"}
    resp = await proxied_api.post("/api/v1/tokens", json={"name": "ci"}, headers=session)
    assert resp.status == 201
    token_id = (await resp.json())["info"]["id"]
    assert (await proxied_api.delete(f"/api/v1/tokens/{token_id}", headers=session)).status == 204
    assert (await proxied_api.post("/api/v1/auth/logout", headers=session)).status == 204

    found = await entries(proxied_api, owner, limit=10)
    actions = [e.action for e in reversed(found)]
    assert actions == [
        "auth.login_failed",
        "auth.login",
        "token.create",
        "token.revoke",
        "auth.logout",
    ]
    failed = found[-1]
    assert failed.outcome is Outcome.FAILURE
    assert failed.actor_type is ActorType.ANONYMOUS
    assert failed.actor_label == owner.email
    assert failed.ip == from_ip["X-Forwarded-For"]
    assert found[-2].actor_id == owner.id


async def test_filters_and_cursor_pagination(api: ApiClient, make_tenant: MakeTenant) -> None:
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    for n in range(5):
        body = {**NEW_USER, "email": f"u{n}@example.test"}
        assert (await api.post("/api/v1/users", json=body, headers=admin.headers)).status == 201
    seen: list[int] = []
    cursor = None
    while True:
        params = {"action": "user.", "limit": "2", **({"cursor": cursor} if cursor else {})}
        resp = await api.get("/api/v1/audit", params=params, headers=admin.headers)
        page = AuditList.model_validate_json(await resp.read())
        seen += [e.seq for e in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == 5
    assert seen == sorted(seen, reverse=True)
    assert len(await entries(api, admin, text="u3@example")) == 0  # text is not in the diff
    assert len(await entries(api, admin, outcome="denied")) == 0
    resp = await api.get("/api/v1/audit", params={"cursor": "!!"}, headers=admin.headers)
    assert resp.status == 422


async def test_agents_may_not_read_the_audit_log(api: ApiClient, make_tenant: MakeTenant) -> None:
    tenant = await make_tenant()
    for role in (Role.AGENT, Role.SUPERVISOR):
        resp = await api.get("/api/v1/audit", headers=tenant[role].headers)
        assert resp.status == 403


async def test_the_app_role_cannot_change_or_delete_entries(
    api: ApiClient, make_tenant: MakeTenant, app_conn: Connection, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    assert (await api.post("/api/v1/users", json=NEW_USER, headers=admin.headers)).status == 201
    await drain(api)
    for conn in (app_conn, admin_conn):
        for sql in (
            "UPDATE audit_entries SET action = 'x' WHERE tenant_id = current_tenant_id()",
            "DELETE FROM audit_entries WHERE tenant_id = current_tenant_id()",
        ):
            async with conn.transaction():
                await set_tenant(conn, tenant.id)
                # app role: no grant; owner: the trigger. Both refuse with the same error.
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.execute(sql)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await admin_conn.execute("TRUNCATE audit_entries")
