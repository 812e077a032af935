"""Invitations through the real app, PostgreSQL and Redis: a code shown once and accepted into a
session, single use, expiry on a pinned clock, revocation, resend killing the old code, role and
queue scoping, and nothing changed by any refusal."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from pytake_daemon.app import create_app
from pytake_daemon.attendance import agents_db
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.invitations.routes import INVITATION_CLOCK, Clock
from pytake_daemon.protocol import LoginResponse, Me, Role
from pytake_daemon.protocol.invitations import InvitationList, InvitationStatus
from tests.conftest import ApiClient, MakeTenant
from tests.invitations.support import (
    NEW_PASSWORD,
    PinnedClock,
    accept,
    audit_actions,
    invite,
    problem,
    user_count,
)
from tests.support import Member, unique_ip


async def _queue(api: ApiClient, admin: Member, name: str, **extra: object) -> uuid.UUID:
    resp = await api.post("/api/v1/queues", json={"name": name, **extra}, headers=admin.headers)
    assert resp.status == 201, await resp.text()
    return uuid.UUID((await resp.json())["id"])


async def _listed(api: ApiClient, member: Member) -> InvitationList:
    resp = await api.get("/api/v1/invitations", headers=member.headers)
    assert resp.status == 200, await resp.text()
    return InvitationList.model_validate(await resp.json())


async def _pinned_api(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    clock: PinnedClock,
) -> ApiClient:
    server = settings.server.model_copy(update={"trusted_proxies": ["127.0.0.1"]})
    app = create_app(settings.model_copy(update={"server": server}), endpoints)
    pinned: Clock = clock
    app[INVITATION_CLOCK] = pinned
    return await aiohttp_client(app)


async def test_a_code_shown_once_becomes_a_logged_in_agent_serving_the_queues(
    proxied_api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    api = proxied_api
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    billing = await _queue(api, admin, "Billing", required_skills=["billing"], department="fin")
    sent = await invite(
        api, admin, email="Maria@Example.test", role="agent", queue_ids=[str(billing)]
    )
    assert sent.emailed is False
    assert sent.code is not None
    assert (sent.invitation.email, sent.invitation.status) == ("maria@example.test", "pending")
    listed = await _listed(api, admin)
    assert [i.id for i in listed.items] == [sent.invitation.id]
    assert "code" not in (
        await (await api.get("/api/v1/invitations", headers=admin.headers)).text()
    )

    resp = await accept(api, sent.code, name="Maria Silva")
    assert resp.status == 201, await resp.text()
    session = LoginResponse.model_validate(await resp.json())
    assert (session.me.email, session.me.name, session.me.role) == (
        "maria@example.test", "Maria Silva", Role.AGENT,
    )  # fmt: skip
    me = await api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {session.token}"})
    assert Me.model_validate(await me.json()).user_id == session.me.user_id
    # She can log in with the password she chose, like anyone else.
    login = await api.post(
        "/api/v1/auth/login",
        json={"email": "maria@example.test", "password": NEW_PASSWORD},
        # An address of its own: the suite's other failed logins from 127.0.0.1 throttle it.
        headers={"X-Forwarded-For": unique_ip()},
    )
    assert login.status == 200, await login.text()

    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant.id)
        assert await agents_db.served_queue_ids(admin_conn, session.me.user_id) == [billing]
        stored = await admin_conn.fetchval(
            "SELECT code_hash FROM invitations WHERE id = $1", sent.invitation.id
        )
    assert sent.code.encode() not in stored
    assert len(stored) == 32
    (after,) = (await _listed(api, admin)).items
    assert after.status is InvitationStatus.ACCEPTED
    assert await audit_actions(admin_conn, tenant.id) == [
        ("invitation.create", "success"),
        ("invitation.accept", "success"),
    ]


async def test_a_code_works_once_and_the_second_use_changes_nothing(
    proxied_api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    api = proxied_api
    tenant = await make_tenant()
    sent = await invite(api, tenant[Role.ADMIN], email="once@example.test")
    assert sent.code is not None
    assert (await accept(api, sent.code)).status == 201
    users = await user_count(admin_conn, tenant.id)
    again = await accept(api, sent.code, password="another passphrase")
    assert await problem(again) == (
        410,
        "this invitation has already been used: log in with its e-mail and password",
    )
    assert await user_count(admin_conn, tenant.id) == users
    login = await api.post(
        "/api/v1/auth/login",
        json={"email": "once@example.test", "password": NEW_PASSWORD},
        # An address of its own: the suite's other failed logins from 127.0.0.1 throttle it.
        headers={"X-Forwarded-For": unique_ip()},
    )
    assert login.status == 200, "the second use must not have changed the password"


async def test_expiry_on_a_pinned_clock_and_resend_kills_the_old_code(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
    admin_conn: Connection,
) -> None:
    clock = PinnedClock()
    api = await _pinned_api(aiohttp_client, settings, endpoints, clock)
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    sent = await invite(api, admin, email="late@example.test", ttl_hours=2)
    assert sent.code is not None
    assert sent.invitation.expires_at == clock.at.replace(hour=11)

    clock.advance(hours=2)  # the very instant it expires
    users = await user_count(admin_conn, tenant.id)
    assert await problem(await accept(api, sent.code)) == (
        410,
        "this invitation expired at 2026-12-01 11:00 UTC: ask whoever invited you to send it again",
    )
    assert await user_count(admin_conn, tenant.id) == users
    (listed,) = (await _listed(api, admin)).items
    assert listed.status is InvitationStatus.EXPIRED

    resp = await api.post(f"/api/v1/invitations/{sent.invitation.id}/resend", headers=admin.headers)
    assert resp.status == 200, await resp.text()
    resent = (await resp.json())["code"]
    assert resent
    assert resent != sent.code
    assert await problem(await accept(api, sent.code)) == (
        404,
        "no invitation has this code: check it for typos, or ask for a new invitation",
    )
    clock.advance(hours=1, minutes=59)  # the same two hours of life, counted from the resend
    assert (await accept(api, resent)).status == 201
    assert [a for a, _ in await audit_actions(admin_conn, tenant.id)] == [
        "invitation.create", "invitation.accept", "invitation.resend", "invitation.accept",
    ]  # fmt: skip


async def test_a_revoked_code_is_refused_and_an_accepted_one_cant_be_revoked(
    proxied_api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    api = proxied_api
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    revoked = await invite(api, admin, email="gone@example.test")
    kept = await invite(api, admin, email="kept@example.test")
    assert revoked.code is not None
    assert kept.code is not None
    resp = await api.delete(f"/api/v1/invitations/{revoked.invitation.id}", headers=admin.headers)
    assert resp.status == 200
    assert (await resp.json())["status"] == "revoked"
    users = await user_count(admin_conn, tenant.id)
    assert await problem(await accept(api, revoked.code)) == (
        410,
        "this invitation was revoked: ask whoever invited you for a new one",
    )
    assert await user_count(admin_conn, tenant.id) == users
    resend = await api.post(
        f"/api/v1/invitations/{revoked.invitation.id}/resend", headers=admin.headers
    )
    assert resend.status == 409

    assert (await accept(api, kept.code)).status == 201
    late = await api.delete(f"/api/v1/invitations/{kept.invitation.id}", headers=admin.headers)
    assert await problem(late) == (409, "this invitation was accepted: disable the user instead")
    assert [a for a, _ in await audit_actions(admin_conn, tenant.id)][-3:] == [
        "invitation.revoke", "invitation.accept", "invitation.accept",
    ]  # fmt: skip


async def test_roles_follow_the_rules_of_user_creation(
    proxied_api: ApiClient, make_tenant: MakeTenant
) -> None:
    api = proxied_api
    tenant = await make_tenant()
    admin, owner = tenant[Role.ADMIN], tenant[Role.OWNER]
    resp = await api.post(
        "/api/v1/invitations", json={"email": "boss@example.test", "role": "owner"},
        headers=admin.headers,
    )  # fmt: skip
    assert await problem(resp) == (403, "an admin can't invite an owner")
    by_owner = await invite(api, owner, email="boss@example.test", role="owner")
    assert by_owner.invitation.role is Role.OWNER
    # An admin can't revoke or resend what they could not have created.
    path = f"/api/v1/invitations/{by_owner.invitation.id}"
    assert (await api.delete(path, headers=admin.headers)).status == 403
    assert (await api.post(f"{path}/resend", headers=admin.headers)).status == 403
    supervisor = await api.post(
        "/api/v1/invitations", json={"email": "x@example.test"},
        headers=tenant[Role.SUPERVISOR].headers,
    )  # fmt: skip
    assert supervisor.status == 403
    assert (await api.get("/api/v1/invitations", headers=tenant[Role.AGENT].headers)).status == 403
    # Taken e-mails: a user, or a live invitation.
    taken = await api.post(
        "/api/v1/invitations", json={"email": admin.email}, headers=admin.headers
    )
    assert await problem(taken) == (
        409, f"a user with e-mail {admin.email} already exists in this tenant",
    )  # fmt: skip
    twice = await api.post(
        "/api/v1/invitations", json={"email": "BOSS@example.test"}, headers=owner.headers
    )
    assert await problem(twice) == (
        409, "boss@example.test already has a pending invitation: resend or revoke that one",
    )  # fmt: skip


async def test_queues_must_be_the_tenants(proxied_api: ApiClient, make_tenant: MakeTenant) -> None:
    api = proxied_api
    a, b = await make_tenant(), await make_tenant()
    theirs = await _queue(api, b[Role.ADMIN], "Theirs")
    for queue_id in (theirs, uuid.uuid4()):
        resp = await api.post(
            "/api/v1/invitations",
            json={"email": "q@example.test", "queue_ids": [str(queue_id)]},
            headers=a[Role.ADMIN].headers,
        )
        assert await problem(resp) == (422, f"queue {queue_id} is not a queue of this tenant")
    assert (await _listed(api, a[Role.ADMIN])).items == []


async def test_bad_codes_and_passwords_get_one_sentence_and_the_throttle(
    proxied_api: ApiClient, make_tenant: MakeTenant, settings: Settings
) -> None:
    api = proxied_api
    tenant = await make_tenant()
    sent = await invite(api, tenant[Role.ADMIN], email="weak@example.test")
    assert sent.code is not None
    short = await accept(api, sent.code, password="short")
    assert short.status == 422  # the same password rule as everywhere (10 characters)
    ip = unique_ip()
    status, detail = await problem(await accept(api, "ptk_not-an-invitation", ip=ip))
    assert status == 400
    assert detail is not None
    assert detail.startswith("this is not an invitation")
    unknown = "pti_" + "x" * 32
    for _ in range(settings.auth.login_max_failures_per_user):  # the login's limit, per code
        assert (await accept(api, unknown, ip=ip)).status == 404
    throttled = await accept(api, unknown, ip=ip)
    assert throttled.status == 429
    assert "Retry-After" in throttled.headers
    assert (await accept(api, sent.code, ip=ip)).status == 201  # another code is not held back


async def test_tenants_never_see_or_touch_each_others_invitations(
    proxied_api: ApiClient, make_tenant: MakeTenant, app_conn: Connection
) -> None:
    api = proxied_api
    a, b = await make_tenant(), await make_tenant()
    theirs = await invite(api, b[Role.ADMIN], email="same@example.test")
    mine = await invite(api, a[Role.ADMIN], email="same@example.test")  # e-mails are per tenant
    assert [i.id for i in (await _listed(api, a[Role.ADMIN])).items] == [mine.invitation.id]
    for method, suffix in (("DELETE", ""), ("POST", "/resend")):
        for target in (theirs.invitation.id, uuid.uuid4()):
            resp = await api.request(
                method, f"/api/v1/invitations/{target}{suffix}", headers=a[Role.OWNER].headers
            )
            assert await problem(resp) == (404, "no such invitation")
    (still,) = (await _listed(api, b[Role.ADMIN])).items
    assert still.status is InvitationStatus.PENDING
    assert still.sent_at == theirs.invitation.sent_at
    # Row-level security, as the daemon's own role: nothing without a tenant, only its own with.
    assert await app_conn.fetchval("SELECT count(*) FROM invitations") == 0
    async with app_conn.transaction():
        await set_tenant(app_conn, a.id)
        ids = [r["id"] for r in await app_conn.fetch("SELECT id FROM invitations")]
        assert ids == [mine.invitation.id]
        updated = await app_conn.execute(
            "UPDATE invitations SET revoked_at = now() WHERE id = $1", theirs.invitation.id
        )
        assert updated == "UPDATE 0"
    # B's code makes a user of B, whoever's daemon it reaches.
    assert theirs.code is not None
    joined = LoginResponse.model_validate(await (await accept(api, theirs.code)).json())
    assert joined.me.tenant_id == b.id


async def test_two_people_racing_with_one_code_make_one_user(
    proxied_api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    api = proxied_api
    tenant = await make_tenant()
    sent = await invite(api, tenant[Role.ADMIN], email="race@example.test")
    assert sent.code is not None
    users = await user_count(admin_conn, tenant.id)
    first, second = await asyncio.gather(
        accept(api, sent.code, name="First"), accept(api, sent.code, name="Second")
    )
    assert sorted([first.status, second.status]) == [201, 410]
    assert await user_count(admin_conn, tenant.id) == users + 1
