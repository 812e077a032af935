"""The mailer: sends the e-mails notifications wait for, immediately or as digests.

A pass claims a tenant's waiting rows under a lease in a short transaction, sends outside any
transaction (retries with backoff in ``email_channel.send``), and records the outcome in another.
When the last try fails, that pass's e-mails of the tenant are marked failed together and the
admins get one system notification saying so (never e-mailed itself, or a dead server would feed
a loop); the notifications stay in the center, so nothing is lost. A tenant without SMTP
settings keeps its e-mails waiting until it has some (retention ends them otherwise).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage

import structlog

from pytake_daemon.config import NotificationsSettings
from pytake_daemon.db.pool import Pool, tenant_transaction
from pytake_daemon.i18n import ngettext
from pytake_daemon.notifications import audience, email_channel, mail_db, preferences, settings_db
from pytake_daemon.notifications.email_channel import SmtpConfig, SmtpNotConfigured
from pytake_daemon.notifications.rules import Intent
from pytake_daemon.protocol.notifications import NotificationCategory, NotificationSeverity
from pytake_daemon.whatsapp.secretbox import SecretBox

log = structlog.get_logger("pytake.notifications")

Notify = Callable[[uuid.UUID, list[Intent]], Awaitable[int]]


@dataclass
class _Batch:
    config: SmtpConfig
    mails: list[tuple[list[uuid.UUID], EmailMessage]] = field(default_factory=list)
    digest_users: list[uuid.UUID] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PassResult:
    sent: int
    failed: int


class Mailer:
    def __init__(
        self,
        pool: Pool,
        box: SecretBox,
        settings: NotificationsSettings,
        *,
        clock: Callable[[], datetime],
        notify: Notify,
    ) -> None:
        self._pool = pool
        self._box = box
        self._settings = settings
        self._clock = clock
        self._notify = notify
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run_pass(self) -> None:
        try:
            async with asyncio.timeout(self._settings.mail_poll_seconds):
                await self._wake.wait()
        except TimeoutError:
            pass
        self._wake.clear()
        await self.send_waiting()

    async def send_waiting(self) -> PassResult:
        """One round over every tenant with e-mails waiting."""
        async with self._pool.acquire() as conn:
            tenants = await mail_db.tenants_waiting(conn)
        sent = failed = 0
        for tenant_id in tenants:
            try:
                result = await self.send_tenant(tenant_id)
            except Exception:
                log.exception("tenant's e-mails not sent", tenant_id=str(tenant_id))
                continue
            sent, failed = sent + result.sent, failed + result.failed
        return PassResult(sent, failed)

    async def send_tenant(self, tenant_id: uuid.UUID) -> PassResult:
        now = self._clock()
        batch = await self._claim(tenant_id, now)
        if batch is None or not batch.mails:
            return PassResult(0, 0)
        done: list[uuid.UUID] = []
        error: BaseException | None = None
        for index, (ids, message) in enumerate(batch.mails):
            try:
                await email_channel.send(batch.config, message, self._settings)
            except Exception as exc:  # every try failed: this and the rest of the pass fail
                error = exc
                failed = [i for ids_, _ in batch.mails[index:] for i in ids_]
                break
            done.extend(ids)
        else:
            failed = []
        async with tenant_transaction(self._pool, tenant_id) as conn:
            await mail_db.finish(conn, done, "sent")
            await mail_db.finish(conn, failed, "failed")
            if error is None:
                for user_id in batch.digest_users:
                    await settings_db.digest_sent(conn, user_id, now)
        if error is not None:
            log.warning("e-mails failed after every try", count=len(failed), error=str(error))
            await self._tell_admins(tenant_id, len(failed), error)
        return PassResult(len(done), len(failed))

    async def _claim(self, tenant_id: uuid.UUID, now: datetime) -> _Batch | None:
        async with tenant_transaction(self._pool, tenant_id) as conn:
            tenant = await settings_db.tenant_settings(conn)
            try:
                config = email_channel.smtp_config(tenant, self._box)
            except SmtpNotConfigured:
                return None
            batch = _Batch(config)
            team = await audience.load(conn, ())
            for user_id, item in await mail_db.claim_immediate(conn, now):
                member = team.members.get(user_id)
                if member is not None:
                    mail = email_channel.one_notification(
                        config.from_address, member.email, item, member.language
                    )
                    batch.mails.append(([item.id], mail))
            users = await mail_db.digest_users(conn)
            docs = await settings_db.user_preferences(conn, users)
            last = await settings_db.last_digests(conn, users)
            for user_id in users:
                prefs, _ = preferences.effective(docs.get(user_id), tenant.defaults)
                member = team.members.get(user_id)
                if member is None or not preferences.digest_due(prefs, last.get(user_id), now):
                    continue
                items = await mail_db.claim_digest(conn, user_id, now)
                if items:
                    mail = email_channel.digest(
                        config.from_address, member.email, items, member.language
                    )
                    batch.mails.append(([i.id for i in items], mail))
                    batch.digest_users.append(user_id)
        return batch

    async def _tell_admins(self, tenant_id: uuid.UUID, count: int, error: BaseException) -> None:
        async with tenant_transaction(self._pool, tenant_id) as conn:
            admins = (await audience.load(conn, ())).admins()
        reason = (
            str(error).strip().splitlines()[0][:300] if str(error).strip() else type(error).__name__
        )
        intents = [
            Intent(
                admin.id,
                NotificationCategory.SYSTEM,
                NotificationSeverity.WARNING,
                ngettext(
                    "{count} e-mail not sent: the SMTP server failed every try",
                    "{count} e-mails not sent: the SMTP server failed every try",
                    count,
                    language=admin.language,
                ).format(count=count),
                reason,  # the server's own words
                group_key="system:email_failed",
                # From two on (the database fills {n}, db.py): the plural form for 2 is every
                # count's a group reaches.
                many_title=ngettext(
                    "E-mail delivery failed {n} time",
                    "E-mail delivery failed {n} times",
                    2,
                    language=admin.language,
                ),
                email=False,
            )
            for admin in admins
        ]
        await self._notify(tenant_id, intents)
