"""Login, bearer tokens, throttling, RBAC and API tokens against the real PostgreSQL and Redis.

Login failures are counted per client address in Redis, and every test client connects from
127.0.0.1. So tests here that log in talk to an app of their own that trusts X-Forwarded-For from
127.0.0.1, and each test claims an address nobody else uses: its failures never throttle other
tests, whatever the order.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from typing import Any

import pytest
from aiohttp import ClientResponse
from argon2 import PasswordHasher
from redis.asyncio import Redis

from pytake_daemon.config import Settings
from pytake_daemon.db.migrations import quote_ident
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol import (
    LoginResponse,
    Me,
    Problem,
    Role,
    TokenCreated,
    TokenList,
    UserList,
    UserOut,
)
from tests.conftest import ApiClient, MakeTenant
from tests.support import PASSWORD, TenantData, unique_ip

BAD_LOGIN = "wrong e-mail or password"
NEW_PASSWORD = "another-long-passphrase"
ARGON2 = re.compile(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$")


async def login(
    client: ApiClient,
    email: str,
    password: str = PASSWORD,
    *,
    headers: dict[str, str],
    tenant: str | None = None,
) -> ClientResponse:
    body: dict[str, Any] = {"email": email, "password": password}
    if tenant is not None:
        body["tenant"] = tenant
    return await client.post("/api/v1/auth/login", json=body, headers=headers)


async def problem(resp: ClientResponse) -> Problem:
    assert resp.content_type == "application/problem+json", await resp.text()
    return Problem.model_validate(await resp.json())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def me_status(client: ApiClient, headers: dict[str, str]) -> int:
    resp = await client.get("/api/v1/auth/me", headers=headers)
    return resp.status


async def create_user(
    api: ApiClient, tenant: TenantData, *, role: Role = Role.AGENT, email: str | None = None
) -> UserOut:
    resp = await api.post(
        "/api/v1/users",
        json={
            "email": email or f"new-{uuid.uuid4().hex[:8]}@{tenant.slug}.test",
            "name": "New User",
            "role": role.value,
            "password": PASSWORD,
        },
        headers=tenant[Role.OWNER].headers,
    )
    assert resp.status == 201, await resp.text()
    return UserOut.model_validate(await resp.json())


# --- login ------------------------------------------------------------------------------------


async def test_login_returns_a_working_session_token(
    proxied_api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, from_ip: dict[str, str]
) -> None:
    tenant = await make_tenant()
    member = tenant[Role.SUPERVISOR]
    resp = await login(proxied_api, member.email.upper(), headers=from_ip)  # e-mail is caseless
    assert resp.status == 200, await resp.text()
    session = LoginResponse.model_validate(await resp.json())
    assert session.me.user_id == member.id
    assert session.me.tenant_id == tenant.id
    assert session.me.role is Role.SUPERVISOR

    resp = await proxied_api.get("/api/v1/auth/me", headers=bearer(session.token))
    assert resp.status == 200
    me = Me.model_validate(await resp.json())
    assert (me.user_id, me.token_id, me.tenant_slug) == (
        member.id,
        session.me.token_id,
        tenant.slug,
    )

    row = await admin_conn.fetchrow(
        "SELECT kind, token_hash, created_ip::text AS ip FROM auth_tokens WHERE id = $1",
        me.token_id,
    )
    assert row is not None
    assert row["kind"] == "session"
    assert bytes(row["token_hash"]) == hashlib.sha256(session.token.encode()).digest()
    assert row["ip"].split("/")[0] == from_ip["X-Forwarded-For"]


async def test_database_never_holds_the_token(
    proxied_api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, from_ip: dict[str, str]
) -> None:
    tenant = await make_tenant()
    resp = await login(proxied_api, tenant[Role.AGENT].email, headers=from_ip)
    assert resp.status == 200
    session_token = LoginResponse.model_validate(await resp.json()).token
    resp = await proxied_api.post(
        "/api/v1/tokens", json={"name": "ci"}, headers=bearer(session_token)
    )
    assert resp.status == 201
    api_token = TokenCreated.model_validate(await resp.json()).token

    tables = await admin_conn.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
    )
    assert tables
    for secret in (session_token, api_token, session_token.removeprefix("ptk_")):
        for row in tables:
            table = quote_ident(row["tablename"])
            found = await admin_conn.fetchval(
                f"SELECT count(*) FROM {table} t WHERE strpos(t::text, $1) > 0", secret
            )
            assert found == 0, f"{row['tablename']} holds a bearer secret in clear"


async def test_passwords_are_argon2id_at_owasp_cost(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    user = await create_user(api, tenant)
    resp = await api.patch(
        f"/api/v1/users/{tenant[Role.AGENT].id}",
        json={"password": NEW_PASSWORD},
        headers=tenant[Role.ADMIN].headers,
    )
    assert resp.status == 200
    for user_id, password in ((user.id, PASSWORD), (tenant[Role.AGENT].id, NEW_PASSWORD)):
        stored: str = await admin_conn.fetchval(
            "SELECT password_hash FROM users WHERE id = $1", user_id
        )
        match = ARGON2.match(stored)
        assert match, f"not an argon2id hash: {stored[:30]}…"
        memory, time_cost, lanes = (int(g) for g in match.groups())
        assert memory >= 19456
        assert time_cost >= 2
        assert lanes >= 1
        assert password not in stored
        assert PasswordHasher().verify(stored, password)


async def test_every_failed_login_looks_the_same(
    proxied_api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, from_ip: dict[str, str]
) -> None:
    tenant = await make_tenant()
    await admin_conn.execute(
        "UPDATE users SET disabled_at = now() WHERE id = $1", tenant[Role.AGENT].id
    )
    attempts = {
        "wrong password": (tenant[Role.ADMIN].email, "not-the-password"),
        "unknown e-mail": (f"nobody@{tenant.slug}.test", PASSWORD),
        "disabled user": (tenant[Role.AGENT].email, PASSWORD),
    }
    seen = {}
    for case, (email, password) in attempts.items():
        resp = await login(proxied_api, email, password, headers=from_ip)
        assert resp.status == 401, case
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        got = await problem(resp)
        seen[case] = (got.title, got.detail)
    assert set(seen.values()) == {("Unauthorized", BAD_LOGIN)}, seen


async def test_email_in_two_tenants_needs_the_tenant(
    proxied_api: ApiClient, make_tenant: MakeTenant, from_ip: dict[str, str]
) -> None:
    a, b = await make_tenant(), await make_tenant()
    shared = a[Role.AGENT].email
    await create_user(proxied_api, b, email=shared)

    resp = await login(proxied_api, shared, headers=from_ip)
    assert resp.status == 422
    assert "tenant" in ((await problem(resp)).detail or "")

    for tenant in (a, b):
        resp = await login(proxied_api, shared, headers=from_ip, tenant=tenant.slug)
        assert resp.status == 200, await resp.text()
        me = LoginResponse.model_validate(await resp.json()).me
        assert (me.tenant_id, me.email) == (tenant.id, shared)


# --- throttling -------------------------------------------------------------------------------


def _retry_after(resp: ClientResponse, settings: Settings) -> int:
    value = int(resp.headers["Retry-After"])
    assert 0 < value <= settings.auth.login_window_seconds
    return value


async def test_failures_throttle_the_email_even_with_the_right_password(
    proxied_api: ApiClient,
    make_tenant: MakeTenant,
    settings: Settings,
    redis: Redis,
    from_ip: dict[str, str],
) -> None:
    tenant = await make_tenant()
    email = tenant[Role.AGENT].email
    limit = settings.auth.login_max_failures_per_user
    for _ in range(limit):
        resp = await login(proxied_api, email, "wrong-password", headers=from_ip)
        assert resp.status == 401
    for password in (PASSWORD, "wrong-password"):
        resp = await login(proxied_api, email, password, headers=from_ip)
        assert resp.status == 429
        _retry_after(resp, settings)
        assert "account" in ((await problem(resp)).detail or "")
    # Another address doesn't help: the e-mail itself is throttled.
    resp = await login(proxied_api, email, headers={"X-Forwarded-For": unique_ip()})
    assert resp.status == 429
    # Other accounts are unaffected.
    resp = await login(proxied_api, tenant[Role.ADMIN].email, headers=from_ip)
    assert resp.status == 200
    # Redis keys hold a digest, never the e-mail.
    keys = [k.decode() async for k in redis.scan_iter(f"{settings.redis.key_prefix}login-fail:*")]
    assert keys
    assert not [k for k in keys if tenant.slug in k]


async def test_success_resets_the_email_counter(
    proxied_api: ApiClient, make_tenant: MakeTenant, settings: Settings, from_ip: dict[str, str]
) -> None:
    tenant = await make_tenant()
    email = tenant[Role.AGENT].email
    below = settings.auth.login_max_failures_per_user - 1
    for _ in range(2):  # 2 * (limit - 1) failures in all: over the limit without the reset
        for _ in range(below):
            resp = await login(proxied_api, email, "wrong-password", headers=from_ip)
            assert resp.status == 401
        resp = await login(proxied_api, email, headers=from_ip)
        assert resp.status == 200, await resp.text()


async def test_failures_throttle_the_address_across_emails(
    proxied_api: ApiClient, make_tenant: MakeTenant, settings: Settings, from_ip: dict[str, str]
) -> None:
    tenant = await make_tenant()
    per_user = settings.auth.login_max_failures_per_user
    per_ip = settings.auth.login_max_failures_per_ip
    assert per_ip > per_user  # so the address, not an e-mail, is what trips
    for i in range(per_ip):
        resp = await login(proxied_api, f"nobody-{i}@{tenant.slug}.test", headers=from_ip)
        assert resp.status == 401
    resp = await login(proxied_api, tenant[Role.OWNER].email, headers=from_ip)
    assert resp.status == 429
    _retry_after(resp, settings)
    assert "address" in ((await problem(resp)).detail or "")
    # The same credentials from another address still work.
    resp = await login(
        proxied_api, tenant[Role.OWNER].email, headers={"X-Forwarded-For": unique_ip()}
    )
    assert resp.status == 200


# --- tokens: expiry, revocation, logout --------------------------------------------------------


async def test_expired_token_is_refused(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    member = tenant[Role.AGENT]
    assert await me_status(api, member.headers) == 200
    await admin_conn.execute(
        "UPDATE auth_tokens SET expires_at = now() - interval '1 second' WHERE id = $1",
        member.token_id,
    )
    resp = await api.get("/api/v1/auth/me", headers=member.headers)
    assert resp.status == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await problem(resp)).detail == "token expired"
    assert await me_status(api, tenant[Role.ADMIN].headers) == 200


async def test_revoked_token_is_refused(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    member = tenant[Role.AGENT]
    await admin_conn.execute(
        "UPDATE auth_tokens SET revoked_at = now() WHERE id = $1", member.token_id
    )
    resp = await api.get("/api/v1/tenant", headers=member.headers)
    assert resp.status == 401
    assert (await problem(resp)).detail == "invalid or revoked token"


async def test_unknown_token_is_refused(api: ApiClient) -> None:
    resp = await api.get("/api/v1/auth/me", headers=bearer("ptk_" + secrets.token_urlsafe(32)))
    assert resp.status == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


async def test_logout_revokes_the_token(
    proxied_api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, from_ip: dict[str, str]
) -> None:
    tenant = await make_tenant()
    resp = await login(proxied_api, tenant[Role.AGENT].email, headers=from_ip)
    session = LoginResponse.model_validate(await resp.json())
    resp = await proxied_api.post("/api/v1/auth/logout", headers=bearer(session.token))
    assert resp.status == 204
    assert await me_status(proxied_api, bearer(session.token)) == 401
    revoked = await admin_conn.fetchval(
        "SELECT revoked_at FROM auth_tokens WHERE id = $1", session.me.token_id
    )
    assert revoked is not None
    # Only that session: the user's other token is untouched.
    assert await me_status(proxied_api, tenant[Role.AGENT].headers) == 200


async def test_token_of_a_disabled_user_is_refused(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    member = tenant[Role.SUPERVISOR]
    # Disabled behind the API's back: the token isn't revoked, the user check alone must hold.
    await admin_conn.execute("UPDATE users SET disabled_at = now() WHERE id = $1", member.id)
    assert await me_status(api, member.headers) == 401
    await admin_conn.execute("UPDATE users SET disabled_at = NULL WHERE id = $1", member.id)
    assert await me_status(api, member.headers) == 200

    # Disabled through the API: the tokens are revoked too, so re-enabling doesn't revive them.
    resp = await api.patch(
        f"/api/v1/users/{member.id}", json={"disabled": True}, headers=tenant[Role.ADMIN].headers
    )
    assert resp.status == 200
    assert UserOut.model_validate(await resp.json()).disabled
    assert await me_status(api, member.headers) == 401
    resp = await api.patch(
        f"/api/v1/users/{member.id}", json={"disabled": False}, headers=tenant[Role.ADMIN].headers
    )
    assert resp.status == 200
    assert await me_status(api, member.headers) == 401


async def test_password_change_revokes_the_users_tokens(
    proxied_api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, from_ip: dict[str, str]
) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    resp = await proxied_api.post("/api/v1/tokens", json={"name": "script"}, headers=agent.headers)
    assert resp.status == 201
    api_token = TokenCreated.model_validate(await resp.json()).token

    resp = await proxied_api.patch(
        f"/api/v1/users/{agent.id}",
        json={"password": NEW_PASSWORD},
        headers=tenant[Role.ADMIN].headers,
    )
    assert resp.status == 200, await resp.text()
    assert await me_status(proxied_api, agent.headers) == 401
    assert await me_status(proxied_api, bearer(api_token)) == 401
    live = await admin_conn.fetchval(
        "SELECT count(*) FROM auth_tokens WHERE user_id = $1 AND revoked_at IS NULL", agent.id
    )
    assert live == 0
    assert await me_status(proxied_api, tenant[Role.ADMIN].headers) == 200
    assert await me_status(proxied_api, tenant[Role.SUPERVISOR].headers) == 200

    assert (await login(proxied_api, agent.email, PASSWORD, headers=from_ip)).status == 401
    assert (await login(proxied_api, agent.email, NEW_PASSWORD, headers=from_ip)).status == 200


# --- RBAC ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR])
async def test_only_admins_create_users(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, role: Role
) -> None:
    tenant = await make_tenant()
    email = f"sneaky@{tenant.slug}.test"
    resp = await api.post(
        "/api/v1/users",
        json={"email": email, "name": "Sneaky", "role": "agent", "password": PASSWORD},
        headers=tenant[role].headers,
    )
    assert resp.status == 403
    await problem(resp)
    assert await admin_conn.fetchval("SELECT count(*) FROM users WHERE email = $1", email) == 0


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.AGENT, 403), (Role.SUPERVISOR, 200), (Role.ADMIN, 200), (Role.OWNER, 200)],
)
async def test_reading_users_needs_supervisor(
    api: ApiClient, make_tenant: MakeTenant, role: Role, status: int
) -> None:
    tenant = await make_tenant()
    resp = await api.get("/api/v1/users", headers=tenant[role].headers)
    assert resp.status == status
    if status == 200:
        assert len(UserList.model_validate(await resp.json()).items) == len(tenant.members)
    resp = await api.get(f"/api/v1/users/{tenant[Role.OWNER].id}", headers=tenant[role].headers)
    assert resp.status == status


async def test_admin_cannot_create_or_make_an_owner(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    email = f"boss@{tenant.slug}.test"
    resp = await api.post(
        "/api/v1/users",
        json={"email": email, "name": "Boss", "role": "owner", "password": PASSWORD},
        headers=admin.headers,
    )
    assert resp.status == 403
    assert await admin_conn.fetchval("SELECT count(*) FROM users WHERE email = $1", email) == 0
    # Nor promote anyone (itself included) to owner, nor touch the owner.
    for target in (tenant[Role.AGENT].id, admin.id):
        resp = await api.patch(
            f"/api/v1/users/{target}", json={"role": "owner"}, headers=admin.headers
        )
        assert resp.status == 403
    resp = await api.patch(
        f"/api/v1/users/{tenant[Role.OWNER].id}", json={"disabled": True}, headers=admin.headers
    )
    assert resp.status == 403
    roles = await admin_conn.fetch(
        "SELECT role, count(*) AS n FROM users WHERE tenant_id = $1 AND disabled_at IS NULL "
        "GROUP BY role",
        tenant.id,
    )
    assert {r["role"]: r["n"] for r in roles} == {r.value: 1 for r in Role}


async def test_last_active_owner_stays(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    owner = tenant[Role.OWNER]
    for change in ({"disabled": True}, {"role": "admin"}):
        resp = await api.patch(f"/api/v1/users/{owner.id}", json=change, headers=owner.headers)
        assert resp.status == 409, change
        await problem(resp)
    row = await admin_conn.fetchrow("SELECT role, disabled_at FROM users WHERE id = $1", owner.id)
    assert row is not None
    assert (row["role"], row["disabled_at"]) == ("owner", None)
    assert await me_status(api, owner.headers) == 200

    # A disabled second owner doesn't count; an active one does.
    second = await create_user(api, tenant, role=Role.OWNER)
    resp = await api.patch(
        f"/api/v1/users/{second.id}", json={"disabled": True}, headers=owner.headers
    )
    assert resp.status == 200
    resp = await api.patch(
        f"/api/v1/users/{owner.id}", json={"role": "admin"}, headers=owner.headers
    )
    assert resp.status == 409
    resp = await api.patch(
        f"/api/v1/users/{second.id}", json={"disabled": False}, headers=owner.headers
    )
    assert resp.status == 200
    resp = await api.patch(
        f"/api/v1/users/{owner.id}", json={"role": "admin"}, headers=owner.headers
    )
    assert resp.status == 200
    assert UserOut.model_validate(await resp.json()).role is Role.ADMIN


async def test_missing_authorization_is_401_with_challenge(api: ApiClient) -> None:
    for method, path in (
        ("GET", "/api/v1/auth/me"),
        ("GET", "/api/v1/users"),
        ("POST", "/api/v1/auth/logout"),
    ):
        resp = await api.request(method, path)
        assert resp.status == 401, path
        assert resp.headers["WWW-Authenticate"] == 'Bearer realm="pytake"'
        await problem(resp)


@pytest.mark.parametrize(
    "header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "ptk_abcdef", "Token ptk_abcdef"]
)
async def test_malformed_authorization_is_401(
    api: ApiClient, make_tenant: MakeTenant, header: str
) -> None:
    tenant = await make_tenant()
    # Even a real token in the wrong scheme is refused.
    header = header.replace("ptk_abcdef", tenant[Role.OWNER].token)
    resp = await api.get("/api/v1/auth/me", headers={"Authorization": header})
    assert resp.status == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    await problem(resp)


# --- API tokens ---------------------------------------------------------------------------------


async def test_api_token_acts_as_its_creator(api: ApiClient, make_tenant: MakeTenant) -> None:
    tenant = await make_tenant()
    supervisor = tenant[Role.SUPERVISOR]
    resp = await api.post(
        "/api/v1/tokens", json={"name": "reporting", "ttl_days": 7}, headers=supervisor.headers
    )
    assert resp.status == 201, await resp.text()
    created = TokenCreated.model_validate(await resp.json())
    assert created.token.startswith("ptk_")
    assert (created.info.kind, created.info.name, created.info.user_id) == (
        "api",
        "reporting",
        supervisor.id,
    )
    resp = await api.get("/api/v1/auth/me", headers=bearer(created.token))
    assert resp.status == 200
    me = Me.model_validate(await resp.json())
    assert (me.user_id, me.role, me.token_id) == (supervisor.id, Role.SUPERVISOR, created.info.id)
    # And it carries the creator's permissions, no more.
    assert (await api.get("/api/v1/users", headers=bearer(created.token))).status == 200
    resp = await api.post(
        "/api/v1/users",
        json={"email": f"x@{tenant.slug}.test", "name": "X", "password": PASSWORD},
        headers=bearer(created.token),
    )
    assert resp.status == 403


async def test_non_admins_see_and_revoke_only_their_own_tokens(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    agent, supervisor, admin = tenant[Role.AGENT], tenant[Role.SUPERVISOR], tenant[Role.ADMIN]
    made: dict[Role, TokenCreated] = {}
    for member in (agent, supervisor):
        resp = await api.post("/api/v1/tokens", json={"name": "mine"}, headers=member.headers)
        assert resp.status == 201
        made[member.role] = TokenCreated.model_validate(await resp.json())

    for member in (agent, supervisor):
        resp = await api.get("/api/v1/tokens", headers=member.headers)
        assert resp.status == 200
        items = TokenList.model_validate(await resp.json()).items
        assert {t.user_id for t in items} == {member.id}
        assert {t.id for t in items} == {member.token_id, made[member.role].info.id}
    resp = await api.get("/api/v1/tokens", headers=admin.headers)
    everything = {t.id for t in TokenList.model_validate(await resp.json()).items}
    assert {made[Role.AGENT].info.id, made[Role.SUPERVISOR].info.id, agent.token_id} <= everything

    # The agent can't revoke the supervisor's tokens (and learns nothing: 404 like a random id).
    for other in (made[Role.SUPERVISOR].info.id, supervisor.token_id, uuid.uuid4()):
        resp = await api.delete(f"/api/v1/tokens/{other}", headers=agent.headers)
        assert resp.status == 404
    assert await me_status(api, bearer(made[Role.SUPERVISOR].token)) == 200
    assert await me_status(api, supervisor.headers) == 200

    # Its own, yes; an admin, anyone's.
    resp = await api.delete(f"/api/v1/tokens/{made[Role.AGENT].info.id}", headers=agent.headers)
    assert resp.status == 204
    assert await me_status(api, bearer(made[Role.AGENT].token)) == 401
    resp = await api.delete(
        f"/api/v1/tokens/{made[Role.SUPERVISOR].info.id}", headers=admin.headers
    )
    assert resp.status == 204
    assert await me_status(api, bearer(made[Role.SUPERVISOR].token)) == 401
    # Revoking twice is "not found": there's no live token of that id any more.
    resp = await api.delete(
        f"/api/v1/tokens/{made[Role.SUPERVISOR].info.id}", headers=admin.headers
    )
    assert resp.status == 404
    assert await me_status(api, agent.headers) == 200


# --- changing your own password -----------------------------------------------------------------


async def test_changing_your_password_ends_your_other_sessions_but_not_this_one(
    proxied_api: ApiClient, make_tenant: MakeTenant, from_ip: dict[str, str]
) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    other = await login(proxied_api, agent.email, headers=from_ip)
    assert other.status == 200
    other_session = bearer((await other.json())["token"])
    new_password = "a-brand-new-passphrase"
    resp = await proxied_api.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": new_password},
        headers={**agent.headers, **from_ip},
    )
    assert resp.status == 204, await resp.text()
    assert await me_status(proxied_api, agent.headers) == 200  # the session that changed it
    assert await me_status(proxied_api, other_session) == 401
    assert (await login(proxied_api, agent.email, headers=from_ip)).status == 401
    assert (await login(proxied_api, agent.email, new_password, headers=from_ip)).status == 200


async def test_a_wrong_current_password_is_refused_and_throttled(
    proxied_api: ApiClient,
    make_tenant: MakeTenant,
    settings: Settings,
    from_ip: dict[str, str],
) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    body = {"current_password": "not-my-password", "new_password": "a-brand-new-passphrase"}
    headers = {**agent.headers, **from_ip}
    for _ in range(settings.auth.login_max_failures_per_user):
        resp = await proxied_api.post("/api/v1/auth/password", json=body, headers=headers)
        assert resp.status == 403
        assert "current password" in ((await problem(resp)).detail or "")
    resp = await proxied_api.post("/api/v1/auth/password", json=body, headers=headers)
    assert resp.status == 429
    _retry_after(resp, settings)
    # Nothing changed: the old password still logs in (from another address).
    fresh = {"X-Forwarded-For": unique_ip()}
    assert (await login(proxied_api, tenant[Role.ADMIN].email, headers=fresh)).status == 200


async def test_a_short_new_password_is_422(api: ApiClient, make_tenant: MakeTenant) -> None:
    tenant = await make_tenant()
    resp = await api.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=tenant[Role.AGENT].headers,
    )
    assert resp.status == 422
    assert (await problem(resp)).errors
