"""The invitation e-mail through the tenant's SMTP settings, to a real SMTP server process
(aiosmtpd, the notifications' fixture): the code arrives there and only there; with the server
away, the admin is given the code instead."""

from __future__ import annotations

import re
from email.message import Message

from pytake_daemon.protocol import LoginResponse, Role
from tests.conftest import ApiClient, MakeTenant
from tests.invitations.support import accept, invite
from tests.notifications.conftest import SmtpServer
from tests.support import Member

_CODE = re.compile(r"pti_[A-Za-z0-9_-]{32}")


def _parts(message: Message) -> dict[str, str]:
    """Each leaf part's text by content type (plain and HTML)."""
    parts = {}
    for part in message.walk():
        if not part.is_multipart():
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            parts[part.get_content_type()] = payload.decode()
    return parts


async def _smtp(api: ApiClient, admin: Member, server: SmtpServer) -> None:
    resp = await api.put(
        "/api/v1/notifications/smtp",
        json={"host": "127.0.0.1", "port": server.port, "security": "none", "username": None,
              "password": None, "from_address": "pytake@example.test"},
        headers=admin.headers,
    )  # fmt: skip
    assert resp.status == 200, await resp.text()


async def test_the_code_arrives_by_e_mail_and_joins(
    proxied_api: ApiClient, make_tenant: MakeTenant, smtp_server: SmtpServer
) -> None:
    api = proxied_api
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    await _smtp(api, admin, smtp_server)
    sent = await invite(api, admin, email="ana@example.test", role="supervisor")
    assert sent.emailed is True
    assert sent.code is None  # e-mailed: the admin never sees it
    assert sent.invitation.emailed_at is not None

    (message,) = smtp_server.messages()
    assert message["To"] == "ana@example.test"
    assert message["Subject"] == f"PyTake: you are invited to {tenant.slug}"
    parts = _parts(message)
    (code,) = set(_CODE.findall(parts["text/plain"]))
    assert f"pytake tui --invite {code}" in parts["text/plain"]
    assert code in parts["text/html"]
    assert "as supervisor" in parts["text/plain"]

    resp = await accept(api, code)
    assert resp.status == 201, await resp.text()
    joined = LoginResponse.model_validate(await resp.json())
    assert (joined.me.email, joined.me.role) == ("ana@example.test", Role.SUPERVISOR)

    # A resend e-mails a new code; the first one is dead.
    again = await invite(api, admin, email="bia@example.test")
    resent = await api.post(
        f"/api/v1/invitations/{again.invitation.id}/resend", headers=admin.headers
    )
    assert resent.status == 200, await resent.text()
    assert (await resent.json())["emailed"] is True
    first, second = (
        _CODE.findall(_parts(m)["text/plain"])[0]
        for m in smtp_server.messages()
        if m["To"] == "bia@example.test"
    )
    assert first != second
    codes = {first: 0, second: 0}
    for code_sent in codes:
        codes[code_sent] = (await accept(api, code_sent)).status
    assert sorted(codes.values()) == [201, 404]


async def test_with_the_server_away_the_admin_gets_the_code(
    proxied_api: ApiClient, make_tenant: MakeTenant, smtp_server: SmtpServer
) -> None:
    api = proxied_api
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    await _smtp(api, admin, smtp_server)
    await smtp_server.stop()
    sent = await invite(api, admin, email="off@example.test")
    assert sent.emailed is False
    assert sent.code is not None
    assert sent.email_error is not None
    assert sent.email_error.startswith("the SMTP server did not take the invitation: ")
    assert sent.invitation.emailed_at is None
    assert (await accept(api, sent.code)).status == 201
