"""The e-mail channel against a real SMTP server process (aiosmtpd): plain-text and HTML bodies,
the digest, retries while the server is stopped and started again, and after the last try a
system notification to the admins, with nothing lost from the center."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.message import Message

import aiosmtplib
import pytest

from pytake_daemon.app import create_app
from pytake_daemon.config import NotificationsSettings, Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.keys import DB_POOL, SECRET_BOX
from pytake_daemon.notifications import email_channel
from pytake_daemon.notifications.context import NOTIFICATIONS
from pytake_daemon.notifications.email_channel import SmtpConfig
from pytake_daemon.notifications.mailer import Mailer
from pytake_daemon.notifications.rules import Intent
from pytake_daemon.protocol import Role
from pytake_daemon.protocol import notifications as wire
from pytake_daemon.protocol.notifications import NotificationCategory as Cat
from pytake_daemon.protocol.notifications import NotificationSeverity as Sev
from tests.conftest import ApiClient, MakeTenant
from tests.notifications.conftest import SmtpServer
from tests.notifications.support import center, tell
from tests.support import TenantData

FAST = NotificationsSettings(
    email_attempts=4, email_backoff_seconds=0.05, email_backoff_max_seconds=0.2,
    smtp_timeout_seconds=5, mail_poll_seconds=3600,
)  # fmt: skip


async def _fast_api(
    aiohttp_client: Callable[..., Awaitable[ApiClient]], settings: Settings, endpoints: Endpoints
) -> ApiClient:
    """The app with quick retries, whose own mailer stays asleep: the tests drive one."""
    api = await aiohttp_client(
        create_app(settings.model_copy(update={"notifications": FAST}), endpoints)
    )
    api.app[NOTIFICATIONS].fanout.on_email = lambda: None
    return api


async def _smtp(api: ApiClient, tenant: TenantData, server: SmtpServer) -> None:
    resp = await api.put(
        "/api/v1/notifications/smtp",
        json={"host": "127.0.0.1", "port": server.port, "security": "none",
              "username": None, "password": "s3cret", "from_address": "pytake@example.test"},
        headers=tenant[Role.ADMIN].headers,
    )  # fmt: skip
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["password_set"] is True


def _subject(message: Message) -> str:
    """The subject decoded (a non-ASCII one travels as RFC 2047 encoded words)."""
    return str(make_header(decode_header(str(message["Subject"]))))


def _parts(message: Message) -> dict[str, str]:
    return {
        # A leaf part's decoded payload is bytes; typeshed's union also covers multipart parts.
        part.get_content_type(): part.get_payload(decode=True).decode()  # type: ignore[union-attr]
        for part in message.walk()
        if not part.is_multipart()
    }


async def test_immediate_email_and_the_digest_reach_the_smtp_server(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
    smtp_server: SmtpServer,
) -> None:
    api = await _fast_api(aiohttp_client, settings, endpoints)
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    await _smtp(api, tenant, smtp_server)
    prefs = {"digest": "hourly", "categories": {"mention": {"email": True}}}
    resp = await api.put("/api/v1/notifications/preferences", json=prefs, headers=agent.headers)
    assert resp.status == 200, await resp.text()

    # A clock of our own: the first digest is due at once, the next an hour later.
    now = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    notify_calls: list[int] = []

    async def notify(tenant_id: uuid.UUID, intents: list[Intent]) -> int:
        notify_calls.append(len(intents))
        return 0

    mailer = Mailer(api.app[DB_POOL], api.app[SECRET_BOX], FAST, clock=lambda: now, notify=notify)
    mention = Cat.MENTION
    await tell(api, tenant.id,
               Intent(agent.id, mention, Sev.URGENT, "Ana mentioned you: <b>Bob</b>", "urgent?"),
               Intent(agent.id, mention, Sev.INFO, "Carla mentioned you: Dan", "fyi 1"),
               Intent(agent.id, mention, Sev.INFO, "Eva mentioned you: Fay", "fyi 2"))  # fmt: skip

    # Only the agent's: an admin action at night also raises an off-hours security alert, which
    # the admins get by e-mail too (docs/testing.md: assert what holds at any hour).
    def to_agent() -> list[Message]:
        mails = [m for m in smtp_server.messages() if str(m["To"]) == agent.email]
        return sorted(mails, key=lambda m: str(m["Subject"]))

    assert (await mailer.send_tenant(tenant.id)).failed == 0
    mails = to_agent()
    assert [str(m["Subject"]) for m in mails] == [
        "PyTake: 2 notifications", "PyTake: Ana mentioned you: <b>Bob</b>",
    ]  # fmt: skip
    digest, urgent = mails
    assert str(urgent["From"]) == "pytake@example.test"
    body = _parts(urgent)
    assert "urgent?" in body["text/plain"]
    assert "\n(mention, urgent, " in body["text/plain"]  # then the time it was stored, in UTC
    assert "&lt;b&gt;Bob&lt;/b&gt;" in body["text/html"]  # escaped, never markup
    listed = _parts(digest)
    assert "Carla mentioned you: Dan — fyi 1" in listed["text/plain"]
    assert listed["text/html"].count("<li>") == 2

    # Sent once: nothing more now; a new one waits for the next hour's digest.
    await tell(api, tenant.id, Intent(agent.id, Cat.MENTION, Sev.INFO, "Gil mentioned you", ""))
    await mailer.send_tenant(tenant.id)
    assert len(to_agent()) == 2
    now += timedelta(hours=1)
    await mailer.send_tenant(tenant.id)
    assert next(str(m["Subject"]) for m in to_agent()) == "PyTake: 1 notification"
    assert len(to_agent()) == 3
    assert notify_calls == []


async def test_a_portuguese_readers_emails_are_in_portuguese(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
    smtp_server: SmtpServer,
) -> None:
    """Issue 22: what the e-mail says around the notification (its category, severity and
    time, the digest's heading and subject) follows the recipient's profile language."""
    api = await _fast_api(aiohttp_client, settings, endpoints)
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    await _smtp(api, tenant, smtp_server)
    mine = await api.put("/api/v1/auth/me", json={"language": "pt_BR"}, headers=agent.headers)
    assert mine.status == 200, await mine.text()
    prefs = {"digest": "hourly", "categories": {"mention": {"email": True}}}
    resp = await api.put("/api/v1/notifications/preferences", json=prefs, headers=agent.headers)
    assert resp.status == 200, await resp.text()
    now = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)

    async def notify(tenant_id: uuid.UUID, intents: list[Intent]) -> int:
        return 0

    mailer = Mailer(api.app[DB_POOL], api.app[SECRET_BOX], FAST, clock=lambda: now, notify=notify)
    await tell(api, tenant.id,
               Intent(agent.id, Cat.MENTION, Sev.URGENT, "Ana mencionou você", "urgente?"),
               Intent(agent.id, Cat.MENTION, Sev.INFO, "Carla mencionou você", "fyi 1"),
               Intent(agent.id, Cat.MENTION, Sev.INFO, "Eva mencionou você", "fyi 2"))  # fmt: skip
    assert (await mailer.send_tenant(tenant.id)).failed == 0
    mails = sorted((m for m in smtp_server.messages() if str(m["To"]) == agent.email), key=_subject)
    assert [_subject(m) for m in mails] == [
        "PyTake: 2 notificações", "PyTake: Ana mencionou você",
    ]  # fmt: skip
    digest, urgent = mails
    assert "\n(menção, urgente, " in _parts(urgent)["text/plain"]
    listed = _parts(digest)
    assert listed["text/plain"].startswith("2 notificações no PyTake:")
    assert "[informação] Carla mencionou você — fyi 1" in listed["text/plain"]
    assert "<h2>2 notificações no PyTake</h2>" in listed["text/html"]


async def test_retries_while_the_server_is_down_then_admins_are_told_and_nothing_is_lost(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
    smtp_server: SmtpServer,
) -> None:
    api = await _fast_api(aiohttp_client, settings, endpoints)
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    await _smtp(api, tenant, smtp_server)

    # Stopped, then started again between two tries: sent on a later try.
    await smtp_server.stop()
    failed_once = asyncio.Event()
    config = SmtpConfig("127.0.0.1", smtp_server.port, "none", None, None, "pytake@example.test")
    message = email_channel.compose(config.from_address, admin.email, "retry", "text", "<p>h</p>")
    sending = asyncio.create_task(email_channel.send(
        config, message, FAST.model_copy(update={"email_attempts": 20}),
        on_retry=lambda attempt, error: failed_once.set()))  # fmt: skip
    await asyncio.wait_for(failed_once.wait(), timeout=10)
    await smtp_server.start()
    assert await sending >= 2
    assert [str(m["Subject"]) for m in smtp_server.messages()] == ["retry"]

    # Down for good: the test e-mail says so in one problem; the mailer's e-mails fail after
    # their tries, the admins get a system notification, and the notification stays.
    await smtp_server.stop()
    resp = await api.post("/api/v1/notifications/test-email", json={}, headers=admin.headers)
    assert resp.status == 502
    assert "did not take the test e-mail" in (await resp.json())["detail"]
    await tell(api, tenant.id, Intent(admin.id, Cat.BACKUP, Sev.URGENT, "backup failed: disk"))
    result = await api.app[NOTIFICATIONS].mailer.send_tenant(tenant.id)
    # At night the admin's own actions add security alerts that wait for e-mail too.
    assert (result.sent, result.failed >= 1) == (0, True)
    [system] = (await center(api, admin, category="system")).items
    mails = "e-mail" if result.failed == 1 else "e-mails"
    assert system.title == f"{result.failed} {mails} not sent: the SMTP server failed every try"
    assert "Connect call failed" in system.body
    assert [n.title for n in (await center(api, admin, category="backup")).items] == [
        "backup failed: disk"
    ]
    assert [n.title for n in (await center(api, tenant[Role.OWNER], category="system")).items] == [
        system.title
    ]

    await smtp_server.start()
    resp = await api.post(
        "/api/v1/notifications/test-email", json={"to": "ops@example.test"}, headers=admin.headers
    )
    assert resp.status == 200, await resp.text()
    assert wire.TestEmailResult.model_validate(await resp.json()).to == "ops@example.test"
    resp = await api.post(
        "/api/v1/notifications/test-email", json={}, headers=tenant[Role.AGENT].headers
    )
    assert resp.status == 403


async def test_starttls_is_used_when_asked_and_never_given_up(
    starttls_server: SmtpServer, smtp_server: SmtpServer
) -> None:
    message = email_channel.compose("pytake@example.test", "ops@example.test", "tls", "t", "<p/>")
    secure = SmtpConfig("localhost", starttls_server.port, "starttls", None, None, "pytake@x.test")
    assert await email_channel.send(secure, message, FAST) == 1
    assert [str(m["Subject"]) for m in starttls_server.messages()] == ["tls"]
    # A server that offers no STARTTLS: refused, not sent in the clear.
    plain = SmtpConfig("127.0.0.1", smtp_server.port, "starttls", None, None, "pytake@x.test")
    with pytest.raises(aiosmtplib.SMTPException):
        await email_channel.send(plain, message, FAST.model_copy(update={"email_attempts": 1}))
    assert smtp_server.messages() == []
