"""The user's console language on the daemon: PUT /api/v1/auth/me, read back in /auth/me with
the tenant profile's language, audited; against the real PostgreSQL."""

from __future__ import annotations

import json

from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol import Me, Role
from tests.conftest import ApiClient, MakeTenant


async def test_a_user_sets_and_clears_their_language(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    agent, other = tenant[Role.AGENT], tenant[Role.SUPERVISOR]

    resp = await api.get("/api/v1/auth/me", headers=agent.headers)
    assert resp.status == 200, await resp.text()
    first = Me.model_validate(await resp.json())
    assert (first.language, first.tenant_language) == (None, None)

    resp = await api.put("/api/v1/auth/me", json={"language": "pt_BR"}, headers=agent.headers)
    assert resp.status == 200, await resp.text()
    assert Me.model_validate(await resp.json()).language == "pt_BR"
    # It is this user's choice only.
    resp = await api.get("/api/v1/auth/me", headers=other.headers)
    assert Me.model_validate(await resp.json()).language is None

    audit = await admin_conn.fetchrow(
        "SELECT diff::text FROM audit_entries"
        " WHERE tenant_id = $1 AND action = 'user.profile_update'",
        tenant.id,
    )
    assert audit is not None
    assert json.loads(audit["diff"]) == {"language": {"before": None, "after": "pt_BR"}}

    resp = await api.put("/api/v1/auth/me", json={"language": None}, headers=agent.headers)
    assert Me.model_validate(await resp.json()).language is None


async def test_an_unknown_language_is_refused(api: ApiClient, make_tenant: MakeTenant) -> None:
    tenant = await make_tenant()
    resp = await api.put(
        "/api/v1/auth/me", json={"language": "fr"}, headers=tenant[Role.AGENT].headers
    )
    assert resp.status == 422, await resp.text()


async def test_me_carries_the_tenant_profile_language(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    profile = {"business_name": "Padaria Pão Quente", "timezone": "America/Sao_Paulo"}
    resp = await api.put(
        "/api/v1/tenant/profile",
        json={**profile, "language": "pt_BR"},
        headers=tenant[Role.ADMIN].headers,
    )
    assert resp.status == 200, await resp.text()
    resp = await api.get("/api/v1/auth/me", headers=tenant[Role.AGENT].headers)
    me = Me.model_validate(await resp.json())
    assert (me.language, me.tenant_language) == (None, "pt_BR")
