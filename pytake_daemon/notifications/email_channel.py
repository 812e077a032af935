"""The e-mail channel: a tenant's SMTP settings, messages with plain-text and HTML bodies, and
sending through aiosmtplib with TLS or STARTTLS, retried with backoff (tenacity)."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from pytake_daemon.config import NotificationsSettings
from pytake_daemon.errors import ApiError, Conflict
from pytake_daemon.i18n import N_, gettext, ngettext
from pytake_daemon.notifications.settings_db import TenantSettingsRow
from pytake_daemon.protocol.notifications import (
    NotificationCategory,
    NotificationOut,
    NotificationSeverity,
)
from pytake_daemon.whatsapp.secretbox import SecretBox
from pytake_i18n import DEFAULT_LANGUAGE, format_moment

# What a retry can cure: the server away or refusing for now (4xx), a dropped connection, a
# timeout. A 5xx refusal of a recipient is retried too (some servers answer 5xx while
# starting); the tries are few and spaced, so a permanent one only costs their time.
_TRANSIENT = (aiosmtplib.SMTPException, OSError, TimeoutError)


class SmtpNotConfigured(Conflict):
    """The tenant has no SMTP settings yet."""


class SmtpFailed(ApiError):
    """The SMTP server refused or was unreachable on every try."""

    status = 502
    title = "Bad Gateway"


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    security: str
    username: str | None
    password: str | None
    from_address: str


def smtp_config(row: TenantSettingsRow, box: SecretBox) -> SmtpConfig:
    if row.smtp_host is None or row.smtp_port is None or row.smtp_from is None:
        raise SmtpNotConfigured(
            "no SMTP settings for this tenant: PUT /api/v1/notifications/smtp first"
        )
    password = box.decrypt(row.smtp_password_enc) if row.smtp_password_enc else None
    return SmtpConfig(
        row.smtp_host,
        row.smtp_port,
        row.smtp_security or "starttls",
        row.smtp_username,
        password,
        row.smtp_from,
    )


def compose(sender: str, to: str, subject: str, text: str, html_body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    message.add_alternative(html_body, subtype="html")
    return message


# What the e-mails say besides the notification's own title and body (worded per recipient by
# the rules): in the recipient's language, ``Member.language``.
_CATEGORIES = {
    NotificationCategory.ASSIGNMENT: N_("assignment"),
    NotificationCategory.TRANSFER: N_("transfer"),
    NotificationCategory.MESSAGE: N_("customer message"),
    NotificationCategory.MENTION: N_("mention"),
    NotificationCategory.SLA: N_("SLA warning"),
    NotificationCategory.AI_ALERT: N_("AI alert"),
    NotificationCategory.SECURITY: N_("security alert"),
    NotificationCategory.BACKUP: N_("backup alert"),
    NotificationCategory.GOAL: N_("goal reached"),
    NotificationCategory.SYSTEM: N_("system notice"),
}
_SEVERITIES = {
    NotificationSeverity.INFO: N_("info"),
    NotificationSeverity.WARNING: N_("warning"),
    NotificationSeverity.URGENT: N_("urgent"),
}


def _severity(n: NotificationOut, language: str) -> str:
    return gettext(_SEVERITIES[n.severity], language=language)


def _line(n: NotificationOut, language: str) -> str:
    return f"[{_severity(n, language)}] {n.title}" + (f" — {n.body}" if n.body else "")


def one_notification(
    sender: str, to: str, n: NotificationOut, language: str = DEFAULT_LANGUAGE
) -> EmailMessage:
    """One notification, its category, severity and time said in ``language``."""
    category = gettext(_CATEGORIES[n.category], language=language)
    moment = format_moment(n.created_at, UTC, language=language)
    when = f"{category}, {_severity(n, language)}, {moment} UTC"
    text = f"{n.title}\n\n{n.body}\n\n({when})\n"
    page = (
        f"<h2>{html.escape(n.title)}</h2><p>{html.escape(n.body)}</p><p><small>{when}</small></p>"
    )
    return compose(sender, to, f"PyTake: {n.title}", text, page)


def digest(
    sender: str, to: str, items: Sequence[NotificationOut], language: str = DEFAULT_LANGUAGE
) -> EmailMessage:
    """One e-mail listing several notifications, newest first, in ``language``."""
    ordered = sorted(items, key=lambda n: n.created_at, reverse=True)
    n = len(ordered)
    heading = ngettext(
        "{n} notification in PyTake", "{n} notifications in PyTake", n, language=language
    ).format(n=n)
    subject = ngettext("{n} notification", "{n} notifications", n, language=language).format(n=n)
    text = f"{heading}:\n\n" + "\n".join(f"- {_line(item, language)}" for item in ordered)
    rows = "".join(f"<li>{html.escape(_line(item, language))}</li>" for item in ordered)
    page = f"<h2>{html.escape(heading)}</h2><ul>{rows}</ul>"
    return compose(sender, to, f"PyTake: {subject}", text + "\n", page)


async def send(
    config: SmtpConfig,
    message: EmailMessage,
    settings: NotificationsSettings,
    *,
    on_retry: Callable[[int, BaseException], None] | None = None,
) -> int:
    """Send ``message``; the number of tries it took. The last failure is raised."""
    # RFC 5322 requires an origination date, and receivers score mail without a Message-ID as
    # spam; aiosmtplib adds neither (a relay might; a plain server like aiosmtpd doesn't).
    # Set once, so every retry sends the same message.
    if "Date" not in message:
        message["Date"] = formatdate(usegmt=True)
    if "Message-ID" not in message:
        message["Message-ID"] = make_msgid(domain=config.from_address.rpartition("@")[2] or None)

    def before_sleep(state: RetryCallState) -> None:
        if on_retry is not None and state.outcome is not None:
            error = state.outcome.exception()
            if error is not None:
                on_retry(state.attempt_number, error)

    retrying = AsyncRetrying(
        stop=stop_after_attempt(settings.email_attempts),
        # Doubling from the first wait, with up to one more first wait of jitter, so several
        # daemons that lost the server together don't all come back in the same instant.
        wait=wait_exponential_jitter(
            multiplier=settings.email_backoff_seconds,
            max=settings.email_backoff_max_seconds,
            jitter=settings.email_backoff_seconds,
        ),
        retry=retry_if_exception_type(_TRANSIENT),
        before_sleep=before_sleep,
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            await aiosmtplib.send(
                message,
                hostname=config.host,
                port=config.port,
                username=config.username,
                password=config.password,
                use_tls=config.security == "tls",
                # "none" must not upgrade opportunistically either (a test server, a relay
                # on localhost): False, not aiosmtplib's "if offered".
                start_tls=config.security == "starttls",
                timeout=settings.smtp_timeout_seconds,
            )
            return attempt.retry_state.attempt_number
    raise AssertionError("unreachable: tenacity reraises the last failure")


# One try and a short timeout: whoever asked for a test is waiting for the answer, and a wrong
# host or port should say so now, not after the backoff of a real notification's tries.
_TEST_TIMEOUT_SECONDS = 10.0


async def send_test(config: SmtpConfig, to: str, settings: NotificationsSettings) -> int:
    """Send the test e-mail (``pytake notify test-email``, ``POST …/test-email``)."""
    # In the language in force: the request's (the console's) or the CLI's.
    said = gettext("This is a test from PyTake: notifications can reach you by e-mail.")
    message = compose(
        config.from_address, to, "PyTake: " + gettext("test e-mail"),
        said + "\n", f"<p>{html.escape(said)}</p>",
    )  # fmt: skip
    once = settings.model_copy(
        update={
            "email_attempts": 1,
            "smtp_timeout_seconds": min(settings.smtp_timeout_seconds, _TEST_TIMEOUT_SECONDS),
        }
    )
    try:
        return await send(config, message, once)
    except Exception as exc:  # whatever the server or the name did: one sentence, never a 500
        detail = str(exc).strip() or type(exc).__name__
        raise SmtpFailed(f"the SMTP server did not take the test e-mail: {detail}") from None
