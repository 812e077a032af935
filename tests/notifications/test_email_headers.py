"""Every e-mail PyTake sends carries the headers RFC 5322 asks of an originator, checked on what
the real SMTP server process stored (issue 21's walkthrough: the weekly report arrived with no
Date and no Message-ID)."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

from pytake_daemon.config import NotificationsSettings
from pytake_daemon.notifications import email_channel
from pytake_daemon.notifications.email_channel import SmtpConfig
from tests.notifications.conftest import SmtpServer


async def test_a_sent_email_has_a_date_and_a_message_id(smtp_server: SmtpServer) -> None:
    config = SmtpConfig("127.0.0.1", smtp_server.port, "none", None, None, "reports@acme.test")
    for n in (1, 2):
        message = email_channel.compose(
            config.from_address, "ana@acme.test", f"report {n}", "text", "<p>html</p>"
        )
        assert await email_channel.send(config, message, NotificationsSettings()) == 1

    stored = sorted(smtp_server.messages(), key=lambda m: str(m["Subject"]))
    assert [str(m["Subject"]) for m in stored] == ["report 1", "report 2"]
    for mail in stored:
        assert parsedate_to_datetime(str(mail["Date"])).utcoffset() is not None
        assert str(mail["Message-ID"]).endswith("@acme.test>")
    assert stored[0]["Message-ID"] != stored[1]["Message-ID"]
