"""Every operation of the OpenAPI document enforces the API-token scope it states.

Table-driven over the document the real app serves: for each authenticated operation, a token
of an admin (whose role passes every route) holding every scope but the stated one gets 403,
and a token holding only the stated one does not. One request per operation and token.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from aiohttp.test_utils import TestClient

from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.auth import Scope
from tests.auth_scopes.support import bearer, plant_token
from tests.support import TenantData

ApiClient = TestClient[Any, Any]
_PARAM = re.compile(r"{(\w+)}")
# Operations that would start real work even with a made-up id and an empty body: the scope
# check runs before any of it, so only the "lacks the scope" half is asked of them.
_NOT_CALLED_WITH_SCOPE = frozenset(
    {
        ("POST", "/api/v1/backups"),  # would run a real pg_dump
        ("GET", "/api/v1/ws"),  # a WebSocket: the upgrade needs a client that speaks it
        ("GET", "/api/v1/conversations/ws"),
    }
)


def _url(path: str) -> str:
    return _PARAM.sub(lambda m: str(uuid.uuid4()) if m.group(1) != "step" else "profile", path)


async def _operations(api: ApiClient) -> list[tuple[str, str, str | None]]:
    resp = await api.get("/api/v1/openapi.json")
    assert resp.status == 200
    doc = await resp.json()
    ops = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if "security" not in op:
                continue  # public: no token at all
            scope = op["x-pytake-scope"]
            assert op["security"] == [{"bearer": [scope] if scope else []}]
            assert (f"**{scope}** scope" if scope else "Any API token") in op["description"]
            ops.append((method.upper(), path, scope))
    return ops


async def test_every_operation_states_and_enforces_its_scope(
    api: ApiClient, make_tenant: Any, admin_conn: Connection
) -> None:
    tenant: TenantData = await make_tenant()
    admin = tenant[Role.ADMIN]
    only: dict[Scope, dict[str, str]] = {}
    all_but: dict[Scope, dict[str, str]] = {}
    for each in Scope:
        token, _ = await plant_token(admin_conn, tenant.id, admin.id, [each])
        only[each] = bearer(token)
        others = [s for s in Scope if s is not each]
        token, _ = await plant_token(admin_conn, tenant.id, admin.id, others)
        all_but[each] = bearer(token)

    ops = await _operations(api)
    assert len(ops) > 100  # the whole API, not a slice of it
    stated = {scope for _, _, scope in ops}
    assert stated == {s.value for s in Scope} | {None}, "every scope guards something"

    wrong: list[str] = []
    for method, path, scope in ops:
        if scope is None:  # logout: any token may end itself
            continue
        needed = Scope(scope)
        url = _url(path)
        body: dict[str, Any] | None = {} if method in ("POST", "PUT", "PATCH") else None
        resp = await api.request(method, url, json=body, headers=all_but[needed])
        detail = await resp.text()
        if resp.status != 403 or f"lacks the {scope} scope" not in detail:
            wrong.append(f"{method} {path} without {scope}: {resp.status} {detail[:120]}")
        if (method, path) in _NOT_CALLED_WITH_SCOPE:
            continue
        resp = await api.request(method, url, json=body, headers=only[needed])
        if resp.status == 403 or (resp.status >= 500 and resp.status != 503):
            wrong.append(f"{method} {path} with {scope}: {resp.status} {await resp.text()}")
    assert not wrong, "\n".join(wrong)


async def test_a_session_and_an_all_scopes_token_keep_role_rules(
    api: ApiClient, make_tenant: Any, admin_conn: Connection
) -> None:
    tenant: TenantData = await make_tenant()
    agent = tenant[Role.AGENT]
    token, _ = await plant_token(admin_conn, tenant.id, agent.id, list(Scope))
    # Scopes never lift a role: the agent's admin-scoped token is still an agent.
    resp = await api.post("/api/v1/queues", json={"name": "x"}, headers=bearer(token))
    assert resp.status == 403
    assert "admin role" in (await resp.json())["detail"]
    # A login session has no scopes: its role decides alone.
    resp = await api.get("/api/v1/conversations", headers=agent.headers)
    assert resp.status == 200


async def test_an_api_token_without_scopes_in_the_database_can_do_nothing(
    api: ApiClient, make_tenant: Any, admin_conn: Connection
) -> None:
    tenant: TenantData = await make_tenant()
    token, token_id = await plant_token(admin_conn, tenant.id, tenant[Role.ADMIN].id, [])
    await admin_conn.execute("UPDATE auth_tokens SET scopes = NULL WHERE id = $1", token_id)
    resp = await api.get("/api/v1/conversations", headers=bearer(token))
    assert resp.status == 403


async def test_a_token_mints_no_token_with_more_scopes_than_its_own(
    api: ApiClient, make_tenant: Any, admin_conn: Connection
) -> None:
    tenant: TenantData = await make_tenant()
    admin = tenant[Role.ADMIN]
    token, _ = await plant_token(admin_conn, tenant.id, admin.id, [Scope.ADMIN, Scope.READ])
    wider = {"name": "wider", "scopes": ["read", "messages:send"]}
    resp = await api.post("/api/v1/tokens", json=wider, headers=bearer(token))
    assert resp.status == 403
    assert "scopes it doesn't have" in (await resp.json())["detail"]
    same = {"name": "same", "scopes": ["read"]}
    resp = await api.post("/api/v1/tokens", json=same, headers=bearer(token))
    assert resp.status == 201
    assert (await resp.json())["info"]["scopes"] == ["read"]
    # An unknown scope is a 422 naming the field.
    bad = {"name": "bad", "scopes": ["everything"]}
    resp = await api.post("/api/v1/tokens", json=bad, headers=admin.headers)
    assert resp.status == 422
    assert (await resp.json())["errors"][0]["loc"].startswith("body.scopes")
