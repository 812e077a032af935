"""Password resets by invitation through the real app, PostgreSQL, Redis and SMTP server: the
admin never types a password; the code (e-mailed, or shown once) sets the user's new password,
ends their sessions and logs them in; it works once, not for a disabled account, not above the
admin's own role, not across tenants; every step audited."""

from __future__ import annotations

import asyncio
import re
import uuid

from typer.testing import CliRunner

from pytake_cli.main import app
from pytake_daemon.config import Settings
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.protocol import LoginResponse, Role
from pytake_daemon.protocol.invitations import InvitationSent, InvitationStatus
from tests.conftest import ApiClient, MakeTenant
from tests.flows.test_segments_and_cli import cli_env
from tests.invitations.support import NEW_PASSWORD, accept, problem
from tests.invitations.test_email import _parts, _smtp
from tests.notifications.conftest import SmtpServer
from tests.support import Member, unique_ip

_CODE = re.compile(r"pti_[A-Za-z0-9_-]{32}")
_RESETS = "/api/v1/invitations/password-resets"


async def _reset(api: ApiClient, admin: Member, user_id: uuid.UUID) -> InvitationSent:
    resp = await api.post(_RESETS, json={"user_id": str(user_id)}, headers=admin.headers)
    assert resp.status == 201, await resp.text()
    return InvitationSent.model_validate(await resp.json())


async def _login(api: ApiClient, email: str, password: str) -> int:
    resp = await api.post(
        "/api/v1/auth/login",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": unique_ip()},
    )
    return resp.status


async def _actions(conn: Connection, tenant_id: uuid.UUID) -> list[str]:
    rows = await conn.fetch(
        "SELECT action FROM audit_entries WHERE tenant_id = $1"
        " AND action LIKE 'user.password_reset%' ORDER BY seq",
        tenant_id,
    )
    return [r["action"] for r in rows]


async def test_a_reset_code_sets_the_password_ends_the_sessions_and_logs_in(
    proxied_api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    api = proxied_api
    tenant = await make_tenant()
    admin, agent = tenant[Role.ADMIN], tenant[Role.AGENT]
    sent = await _reset(api, admin, agent.id)
    assert sent.emailed is False  # no SMTP: the admin passes the code on
    assert sent.code is not None
    invitation = sent.invitation
    assert (invitation.email, invitation.role, invitation.resets_user_id) == (
        agent.email, Role.AGENT, agent.id,
    )  # fmt: skip
    assert invitation.status is InvitationStatus.PENDING

    # A second reset while this one is pending is refused, as a second invitation is.
    again = await api.post(_RESETS, json={"user_id": str(agent.id)}, headers=admin.headers)
    assert (await problem(again))[0] == 409

    resp = await accept(api, sent.code, name="ignored for a reset")
    assert resp.status == 201, await resp.text()
    session = LoginResponse.model_validate(await resp.json())
    assert (session.me.user_id, session.me.name) == (agent.id, f"Agent of {tenant.slug}")
    # The old session is over, the new one works, and the new password logs in.
    old = await api.get("/api/v1/auth/me", headers=agent.headers)
    assert old.status == 401
    new = await api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {session.token}"})
    assert new.status == 200
    assert await _login(api, agent.email, NEW_PASSWORD) == 200
    # Used once.
    assert (await problem(await accept(api, sent.code)))[0] == 410
    assert await _actions(admin_conn, tenant.id) == [
        "user.password_reset_sent", "user.password_reset",
    ]  # fmt: skip
    await set_tenant(admin_conn, tenant.id)
    users = await admin_conn.fetchval("SELECT count(*) FROM users WHERE tenant_id = $1", tenant.id)
    assert users == len(Role)  # nobody was created


async def test_refusals_change_nothing(proxied_api: ApiClient, make_tenant: MakeTenant) -> None:
    api = proxied_api
    tenant, other = await make_tenant(), await make_tenant()
    admin, owner, agent = tenant[Role.ADMIN], tenant[Role.OWNER], tenant[Role.AGENT]
    # Not above the admin's own role; not another tenant's user; not a supervisor's call.
    above = await api.post(_RESETS, json={"user_id": str(owner.id)}, headers=admin.headers)
    assert await problem(above) == (403, "an admin can't reset the password of an owner")
    foreign = await api.post(
        _RESETS, json={"user_id": str(other[Role.AGENT].id)}, headers=admin.headers
    )
    assert await problem(foreign) == (404, "no such user")
    supervisor = tenant[Role.SUPERVISOR]
    denied = await api.post(_RESETS, json={"user_id": str(agent.id)}, headers=supervisor.headers)
    assert denied.status == 403

    # A disabled account gets no reset; one disabled after the code was sent can't use it.
    sent = await _reset(api, admin, agent.id)
    assert sent.code is not None
    off = await api.patch(
        f"/api/v1/users/{agent.id}", json={"disabled": True}, headers=admin.headers
    )
    assert off.status == 200
    refused = await api.post(_RESETS, json={"user_id": str(agent.id)}, headers=admin.headers)
    assert (await problem(refused))[0] == 409
    assert await problem(await accept(api, sent.code)) == (
        410, "this account is disabled: ask an admin to enable it first",
    )  # fmt: skip
    assert await _login(api, agent.email, NEW_PASSWORD) == 401


async def test_the_reset_code_arrives_by_e_mail(
    proxied_api: ApiClient, make_tenant: MakeTenant, smtp_server: SmtpServer
) -> None:
    api = proxied_api
    tenant = await make_tenant()
    admin, supervisor = tenant[Role.ADMIN], tenant[Role.SUPERVISOR]
    await _smtp(api, admin, smtp_server)
    sent = await _reset(api, admin, supervisor.id)
    assert (sent.emailed, sent.code) == (True, None)
    (message,) = smtp_server.messages()
    assert message["To"] == supervisor.email
    assert message["Subject"] == f"PyTake: reset your password for {tenant.slug}"
    (code,) = set(_CODE.findall(_parts(message)["text/plain"]))
    assert "reset your password" in _parts(message)["text/plain"]
    assert (await accept(api, code)).status == 201


async def test_the_cli_sends_a_reset_code(
    settings: Settings, make_tenant: MakeTenant, proxied_api: ApiClient
) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]

    def cli(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(app, ["user", *args, "-t", tenant.slug], env=cli_env(settings))
        return result.exit_code, result.output

    # The commands run their own loop (asyncio.run): a worker thread.
    code, out = await asyncio.to_thread(cli, "reset-password", "nobody@example.test")
    assert (code, out.strip()) == (
        1, "error: no user 'nobody@example.test' in this tenant (see 'pytake user list')",
    )  # fmt: skip
    code, out = await asyncio.to_thread(cli, "reset-password", agent.email, "--ttl-hours", "0")
    assert code == 1
    assert out.startswith("error: ttl_hours: Input should be greater than or equal to 1")
    code, out = await asyncio.to_thread(cli, "reset-password", agent.email.upper())
    assert code == 0, out
    assert out.startswith(f"password reset for agent {agent.email} (until ")
    (reset_code,) = set(_CODE.findall(out))
    assert (await accept(proxied_api, reset_code)).status == 201
    assert await _login(proxied_api, agent.email, NEW_PASSWORD) == 200
