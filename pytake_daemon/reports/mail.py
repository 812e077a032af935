"""Sending scheduled e-mail reports: a pass every minute in every daemon, done by one.

Once across replicas, twice guarded: the pass holds a session advisory lock for its whole run
(a process that doesn't get it skips, as the backups' scheduler does), and each subscription's
slot is claimed by a compare-and-set on ``next_at`` in the transaction that inserts its run
under a unique (subscription, slot), so a pass that comes after another finished finds nothing
due. The claim commits before anything is sent: a process that dies mid-send leaves the run
``sending`` and that e-mail unsent (at most once, never twice). The report is built in one
read-only snapshot and sent outside any transaction, with the notifications' retries
(``email_channel.send``); the run ends ``sent``, ``failed`` (every try failed) or ``skipped``
(no SMTP settings, nobody to send to), with a one-line reason.
"""

from __future__ import annotations

import asyncio
import html
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import asyncpg
import structlog

from pytake_daemon.config import NotificationsSettings
from pytake_daemon.db.pool import Pool, set_tenant, tenant_transaction
from pytake_daemon.notifications import audience, email_channel, settings_db
from pytake_daemon.notifications.email_channel import SmtpNotConfigured
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.report_schedules import Audience, Frequency
from pytake_daemon.protocol.reports import Dataset, ExportFormat, ReportOut, ReportQuery
from pytake_daemon.reports import export, schedule_db
from pytake_daemon.reports.schedule import next_slot, period_for
from pytake_daemon.reports.service import build_report
from pytake_daemon.whatsapp.secretbox import SecretBox

log = structlog.get_logger("pytake.reports")

# "pytakeRM": apart from the other domains' advisory locks.
MAIL_LOCK = 0x7079_7461_6B65_524D
INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Sent:
    schedule_id: uuid.UUID
    slot: datetime
    status: str
    recipients: int


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value / 60:.1f} min"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def headline(report: ReportOut) -> list[tuple[str, str]]:
    """The figures the body shows, in reading order."""
    a, v = report.attendance, report.volumes
    return [
        ("Messages in / out", f"{v.inbound} / {v.outbound}"),
        ("Conversations opened / closed", f"{v.opened} / {v.closed}"),
        ("Attendances (taken / abandoned)", f"{a.entered} ({a.assigned} / {a.abandoned})"),
        ("First response median / p90", f"{_seconds(a.first_response.median)} / "
         f"{_seconds(a.first_response.p90)}"),
        ("Resolution median / p90", f"{_seconds(a.resolution.median)} / "
         f"{_seconds(a.resolution.p90)}"),
        ("SLA attainment", f"{_percent(a.sla.rate)} ({a.sla.met} met, {a.sla.missed} missed)"),
        ("Abandonment", _percent(a.abandonment_rate)),
        ("Transfers", str(a.transfers)),
        ("CSAT", "—" if report.csat.average is None
         else f"{report.csat.average:.2f} over {report.csat.ratings} rating(s)"),
        ("Automation share", _percent(report.automation.share)),
        ("Templates delivered / read", f"{_percent(report.templates.delivery_rate)} / "
         f"{_percent(report.templates.read_rate)} of {report.templates.sent}"),
    ]  # fmt: skip


def _period_text(report: ReportOut) -> str:
    if report.first_day == report.last_day:
        return f"{report.first_day} ({report.tz})"
    return f"{report.first_day} to {report.last_day} ({report.tz})"


async def csv_bytes(report: ReportOut, dataset: Dataset) -> bytes:
    """One of the report's tables as the export's CSV (the same bytes as ``/export``)."""
    table = export.report_table(report, dataset)

    async def rows() -> AsyncIterator[export.Row]:
        for row in table.rows:
            yield row

    chunks = [c async for c, _ in export.text_chunks(table.columns, rows(), ExportFormat.CSV,
                                                      report.tz)]  # fmt: skip
    return b"".join(chunks)


async def compose(
    sender: str, to: str, tenant: str, report: ReportOut, datasets: Iterable[Dataset]
) -> EmailMessage:
    """The HTML (and plain-text) body with the headline figures and the rows one level down,
    and each chosen table attached as a CSV."""
    period = _period_text(report)
    figures = headline(report)
    text = f"PyTake report for {tenant}, {period}\n\n" + "".join(
        f"{name}: {value}\n" for name, value in figures
    )
    cells = "".join(
        f"<tr><th align='left'>{html.escape(n)}</th><td>{html.escape(v)}</td></tr>"
        for n, v in figures
    )
    rows = "".join(
        f"<tr><td>{html.escape(r.name)}</td><td>{r.entered}</td><td>{r.assigned}</td>"
        f"<td>{r.abandoned}</td><td>{_seconds(r.first_response_median)}</td>"
        f"<td>{_percent(r.sla_rate)}</td></tr>"
        for r in report.breakdown[:50]
    )
    below = (
        "<h3>By " + html.escape(report.breakdown[0].level.value) + "</h3><table border='1' "
        "cellpadding='4'><tr><th>name</th><th>entered</th><th>taken</th><th>abandoned</th>"
        f"<th>first response</th><th>SLA</th></tr>{rows}</table>"
        if report.breakdown
        else ""
    )
    page = (
        f"<h2>PyTake report: {html.escape(tenant)}</h2><p>{html.escape(period)}</p>"
        f"<table cellpadding='4'>{cells}</table>{below}"
        "<p><small>The attached CSV files hold the figures; see docs/reports.md for each "
        "definition.</small></p>"
    )
    subject = f"PyTake report: {tenant}, {period}"
    message = email_channel.compose(sender, to, subject, text, page)
    for dataset in datasets:
        name = f"{dataset.value}-{report.first_day}-{report.last_day}.csv"
        message.add_attachment(
            await csv_bytes(report, dataset), maintype="text", subtype="csv", filename=name
        )
    return message


class ReportMailer:
    """The pass (``run_pass`` for the supervised loop; ``send_due`` with a pinned clock)."""

    def __init__(
        self,
        pool: Pool,
        box: SecretBox,
        settings: NotificationsSettings,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self._pool = pool
        self._box = box
        self._settings = settings
        self._clock = clock
        self.enabled = True
        """Off: the loop's passes send nothing (tests drive their own mailers, clock pinned)."""

    async def run_pass(self) -> None:
        # Until the next whole minute (a timer, not synchronisation): slots are whole hours.
        now = self._clock()
        await asyncio.sleep(60 - now.second - now.microsecond / 1e6 + 0.5)
        if self.enabled:
            await self.send_due()

    async def send_due(self) -> list[Sent] | None:
        """Send every subscription due at the clock's instant; ``None`` when another process
        holds the lock (it is doing this very work)."""
        # Transaction-scoped, on a pooled connection: a session lock would outlive its
        # borrower if the pass failed before unlocking (tests/test_pool.py). The transaction
        # only holds the lock and the due list; each send commits on a connection of its own.
        async with self._pool.acquire() as lock, lock.transaction():
            if not await lock.fetchval("SELECT pg_try_advisory_xact_lock($1)", MAIL_LOCK):
                return None
            done = []
            for tenant_id, schedule_id in await schedule_db.due(lock, self._clock()):
                try:
                    sent = await self.send_one(tenant_id, schedule_id)
                except Exception:
                    log.exception("scheduled report not sent", schedule_id=str(schedule_id))
                    continue
                if sent is not None:
                    done.append(sent)
            return done

    async def send_one(self, tenant_id: uuid.UUID, schedule_id: uuid.UUID) -> Sent | None:
        now = self._clock()
        async with tenant_transaction(self._pool, tenant_id) as conn:
            row = await schedule_db.lock_due(conn, schedule_id, now)
            if row is None:
                return None
            when = schedule_db.when_of(row)
            slot: datetime = row["next_at"]
            # Missed slots (the daemon was down) are not sent late one by one: the due one is.
            run_id = await schedule_db.claim_run(
                conn, schedule_id, slot, now, next_slot(when, max(now, slot))
            )
        if run_id is None:
            return None
        try:
            status, count, detail = await self._deliver(tenant_id, row, slot)
        except Exception as exc:  # the report itself failed: said in the run, not a traceback
            log.exception("scheduled report not built", schedule_id=str(schedule_id))
            status, count, detail = "failed", 0, _one_line(exc)
        async with tenant_transaction(self._pool, tenant_id) as conn:
            await schedule_db.finish_run(conn, run_id, status, count, detail, self._clock())
        log.info("scheduled report", schedule_id=str(schedule_id), status=status, to=count)
        return Sent(schedule_id, slot, status, count)

    async def _deliver(
        self, tenant_id: uuid.UUID, row: asyncpg.Record, slot: datetime
    ) -> tuple[str, int, str]:
        when = schedule_db.when_of(row)
        first, last = period_for(when, slot)
        query = ReportQuery(first_day=first, last_day=last, tz=when.tz, queue_id=row["queue_id"])
        async with (
            self._pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            await set_tenant(conn, tenant_id)
            tenant = await settings_db.tenant_settings(conn)
            team = await audience.load(conn, ())
            name = await conn.fetchval("SELECT name FROM tenants WHERE id = current_tenant_id()")
            try:
                config = email_channel.smtp_config(tenant, self._box)
            except SmtpNotConfigured:
                return "skipped", 0, "no SMTP settings for this tenant"
            if Audience(row["audience"]) is Audience.TEAM:
                people = team.supervisors()
            else:
                owner = team.members.get(row["user_id"])
                people = [owner] if owner and owner.role.at_least(Role.SUPERVISOR) else []
            if not people:
                return "skipped", 0, "nobody to send to (no supervisor or the owner left)"
            report = await build_report(conn, query, slot)
        datasets = [Dataset(d) for d in row["datasets"]]
        try:
            for person in people:
                mail = await compose(config.from_address, person.email, name, report, datasets)
                await email_channel.send(config, mail, self._settings)
        except Exception as exc:  # every try failed: one line for the list, never a traceback
            return "failed", len(people), _one_line(exc)
        return "sent", len(people), f"{Frequency(row['frequency']).value} {first}..{last}"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def utc_now() -> datetime:
    return datetime.now(UTC)
