"""Scheduled e-mail reports: send instants across DST (Lisbon), the API's rules, and the e-mail
itself through a real SMTP server process (aiosmtpd) with the clock pinned, sent once while two
schedulers race for the same slot."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from email.message import Message
from typing import Any
from zoneinfo import ZoneInfo

from typer.testing import CliRunner

from pytake_cli.main import app
from pytake_daemon.app import create_app
from pytake_daemon.config import NotificationsSettings, Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection, tenant_transaction
from pytake_daemon.keys import DB_POOL, SECRET_BOX
from pytake_daemon.protocol import Problem, Role
from pytake_daemon.protocol.report_schedules import Frequency, ScheduleList, ScheduleOut
from pytake_daemon.protocol.reports import ReportQuery
from pytake_daemon.reports.context import REPORT_MAILER
from pytake_daemon.reports.mail import MAIL_LOCK, ReportMailer
from pytake_daemon.reports.schedule import When, next_slot, period_for
from pytake_daemon.reports.service import build_report
from tests.conftest import ApiClient, MakeTenant
from tests.flows.test_segments_and_cli import cli_env
from tests.notifications.conftest import SmtpServer
from tests.reports.seed import TZ, seed_weekend
from tests.support import TenantData

FAST = NotificationsSettings(
    email_attempts=2, email_backoff_seconds=0.05, email_backoff_max_seconds=0.1,
    smtp_timeout_seconds=5,
)  # fmt: skip
SCHEDULES = "/api/v1/reports/schedules"
runner = CliRunner()
_MOVE = "UPDATE report_subscriptions SET next_at = $1 WHERE id = $2"
_NEXT = "SELECT next_at FROM report_subscriptions WHERE id = $1"
_RUNS = "SELECT slot, status FROM report_mail_runs WHERE subscription_id = $1"


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


# Send instants


def test_daily_hour_follows_dst_in_lisbon() -> None:
    daily = When(Frequency.DAILY, TZ, 8)
    # Saturday 28 March is WET (UTC+0), Sunday 29 WEST (UTC+1): 08:00 is 08:00 then 07:00 UTC.
    assert next_slot(daily, utc(2026, 3, 27, 9)) == utc(2026, 3, 28, 8)
    assert next_slot(daily, utc(2026, 3, 28, 8)) == utc(2026, 3, 29, 7)
    # Autumn (25 October): back to 08:00 UTC.
    assert next_slot(daily, utc(2026, 10, 24, 7)) == utc(2026, 10, 25, 8)


def test_skipped_and_repeated_hours_are_sent_once() -> None:
    # 01:00 doesn't exist on 29 March in Lisbon: sent at the first instant after the jump.
    skipped = When(Frequency.DAILY, TZ, 1)
    assert next_slot(skipped, utc(2026, 3, 28, 12)) == utc(2026, 3, 29, 1)
    assert next_slot(skipped, utc(2026, 3, 29, 1)) == utc(2026, 3, 30, 0)
    # 01:00 happens twice on 25 October: its first occurrence (WEST), then the next day's.
    assert next_slot(skipped, utc(2026, 10, 24, 12)) == utc(2026, 10, 25, 0)
    assert next_slot(skipped, utc(2026, 10, 25, 0)) == utc(2026, 10, 26, 1)


def test_weekly_and_monthly_slots_and_their_periods() -> None:
    weekly = When(Frequency.WEEKLY, TZ, 8, weekday=0)
    slot = next_slot(weekly, utc(2026, 3, 25, 12))
    assert slot == utc(2026, 3, 30, 7)  # Monday after the change: WEST
    assert period_for(weekly, slot) == (date(2026, 3, 23), date(2026, 3, 29))
    monthly = When(Frequency.MONTHLY, "America/Sao_Paulo", 0, month_day=1)
    slot = next_slot(monthly, utc(2026, 3, 15))
    assert slot == utc(2026, 4, 1, 3)
    assert period_for(monthly, slot) == (date(2026, 3, 1), date(2026, 3, 31))
    daily = When(Frequency.DAILY, TZ, 1)
    assert period_for(daily, utc(2026, 3, 29, 1)) == (date(2026, 3, 28), date(2026, 3, 28))


# The API


async def _create(api: ApiClient, member: Any, **body: Any) -> ScheduleOut:
    resp = await api.post(SCHEDULES, json=body, headers=member.headers)
    assert resp.status == 201, await resp.text()
    return ScheduleOut.model_validate(await resp.json())


async def _list(api: ApiClient, member: Any) -> set[uuid.UUID]:
    resp = await api.get(SCHEDULES, headers=member.headers)
    assert resp.status == 200, await resp.text()
    return {s.id for s in ScheduleList.model_validate(await resp.json()).items}


async def test_schedules_api_rules(api: ApiClient, make_tenant: MakeTenant) -> None:
    tenant = await make_tenant()
    supervisor, admin = tenant[Role.SUPERVISOR], tenant[Role.ADMIN]
    mine = await _create(api, supervisor, frequency="daily", tz=TZ, hour=7)
    assert (mine.audience.value, mine.user_id, mine.datasets[0].value) == (
        "user", supervisor.id, "summary",
    )  # fmt: skip
    local = mine.next_at.astimezone(ZoneInfo(TZ))
    assert (local.hour, local.minute) == (7, 0)
    team = await _create(api, supervisor, audience="team", datasets=["summary", "summary"])
    assert [d.value for d in team.datasets] == ["summary"]
    admins_own = await _create(api, admin, frequency="monthly", month_day=28)

    assert await _list(api, supervisor) == {mine.id, team.id}
    assert await _list(api, admin) == {mine.id, team.id, admins_own.id}

    # Agents can't read reports, so they can't subscribe to them.
    resp = await api.get(SCHEDULES, headers=tenant[Role.AGENT].headers)
    assert resp.status == 403
    resp = await api.post(SCHEDULES, json={}, headers=tenant[Role.AGENT].headers)
    assert resp.status == 403

    # Bad input: a 422 naming the field.
    for body, loc in (
        ({"tz": "Mars/Olympus"}, "body.tz"),
        ({"datasets": ["messages"]}, "body.datasets"),
        ({"hour": 24}, "body.hour"),
        ({"frequency": "hourly"}, "body.frequency"),
        ({"queue_id": str(uuid.uuid4())}, "body.queue_id"),
    ):
        resp = await api.post(SCHEDULES, json=body, headers=supervisor.headers)
        assert resp.status == 422, (body, await resp.text())
        problem = Problem.model_validate(await resp.json())
        assert problem.errors, problem
        assert problem.errors[0].loc.startswith(loc), problem

    # Another supervisor's own schedule is an unknown id; the team's and admins may remove.
    resp = await api.delete(f"{SCHEDULES}/{admins_own.id}", headers=supervisor.headers)
    assert resp.status == 404
    resp = await api.delete(f"{SCHEDULES}/{team.id}", headers=supervisor.headers)
    assert resp.status == 204
    resp = await api.delete(f"{SCHEDULES}/{mine.id}", headers=admin.headers)
    assert resp.status == 204
    assert await _list(api, admin) == {admins_own.id}

    # Another tenant sees none of them and can't remove them.
    other = await make_tenant()
    assert await _list(api, other[Role.ADMIN]) == set()
    resp = await api.delete(f"{SCHEDULES}/{admins_own.id}", headers=other[Role.ADMIN].headers)
    assert resp.status == 404


# The e-mail


async def _smtp(api: ApiClient, tenant: TenantData, server: SmtpServer) -> None:
    resp = await api.put(
        "/api/v1/notifications/smtp",
        json={"host": "127.0.0.1", "port": server.port, "security": "none",
              "from_address": "reports@example.test"},
        headers=tenant[Role.ADMIN].headers,
    )  # fmt: skip
    assert resp.status == 200, await resp.text()


def _attachments(message: Message) -> dict[str, str]:
    return {
        # A leaf part decoded is bytes; the stub allows every payload kind.
        str(part.get_filename()): part.get_payload(decode=True).decode()  # type: ignore[union-attr]
        for part in message.walk()
        if part.get_filename()
    }


def _html(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/html":
            # A leaf part decoded is bytes; the stub allows every payload kind.
            return part.get_payload(decode=True).decode()  # type: ignore[union-attr]
    raise AssertionError("no HTML part")


def _reports(server: SmtpServer) -> list[Message]:
    """The report e-mails in the server's Maildir (the tenant's notification digests, which
    the notifications' own mailer may send meanwhile, are not ours to count)."""
    # A long subject is folded on the wire: compare it unfolded.
    return [m for m in server.messages() if _subject(m).startswith("PyTake report:")]


def _subject(message: Message) -> str:
    return " ".join(str(message["Subject"]).split())


async def _mails(server: SmtpServer, count: int) -> list[Message]:
    """The report e-mails once ``count`` of them arrived (polled with a deadline)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while len(messages := _reports(server)) < count:
        assert loop.time() < deadline, f"{len(messages)} of {count} e-mails arrived"
        await asyncio.sleep(0.05)
    return messages


def _mailer(api: ApiClient, now: datetime) -> ReportMailer:
    return ReportMailer(api.app[DB_POOL], api.app[SECRET_BOX], FAST, clock=lambda: now)


async def test_weekly_team_report_reaches_the_smtp_server_once_with_two_schedulers(
    api: ApiClient,
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
    admin_conn: Connection,
    smtp_server: SmtpServer,
) -> None:
    # A second daemon app (its own pool, its own sessions) is the other replica.
    replica = await aiohttp_client(create_app(settings, endpoints))
    for daemon in (api.app, replica.app):
        daemon[REPORT_MAILER].enabled = False  # the apps' own loops read the real clock
    tenant = await make_tenant()
    await seed_weekend(admin_conn, tenant.id, tenant[Role.AGENT].id, api.app[SECRET_BOX])
    await _smtp(api, tenant, smtp_server)
    team = await _create(
        api, tenant[Role.SUPERVISOR], audience="team", frequency="weekly", tz=TZ, hour=8,
        datasets=["summary", "breakdown"],
    )  # fmt: skip
    # Pin the slot: Monday 30 March 2026, 08:00 in Lisbon, the day after spring-forward (WEST).
    slot = utc(2026, 3, 30, 7)
    async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
        await conn.execute(
            "UPDATE report_subscriptions SET next_at = $1 WHERE id = $2", slot, team.id
        )

    early = await _mailer(api, slot - timedelta(seconds=1)).send_due()
    assert early == []  # not yet due at 07:59:59
    now = slot + timedelta(seconds=30)
    first, second = await asyncio.gather(
        _mailer(api, now).send_due(), _mailer(replica, now).send_due()
    )
    done = [s for s in (first or []) + (second or []) if s.schedule_id == team.id]
    assert [(s.slot, s.status, s.recipients) for s in done] == [(slot, "sent", 3)]

    # One e-mail to each of the owner, the admin and the supervisor; nobody twice.
    mails = await _mails(smtp_server, 3)
    assert len(mails) == 3, [(m["To"], m["Subject"]) for m in mails]
    assert sorted(m["To"] for m in mails) == sorted(
        tenant[r].email for r in (Role.OWNER, Role.ADMIN, Role.SUPERVISOR)
    )
    query = ReportQuery(first_day=date(2026, 3, 23), last_day=date(2026, 3, 29), tz=TZ)
    async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
        expected = await build_report(conn, query, slot)
    mail = mails[0]
    assert "2026-03-23 to 2026-03-29 (Europe/Lisbon)" in str(mail["Subject"])
    files = _attachments(mail)
    assert set(files) == {
        "summary-2026-03-23-2026-03-29.csv", "breakdown-2026-03-23-2026-03-29.csv",
    }  # fmt: skip
    summary = dict(csv.reader(io.StringIO(files["summary-2026-03-23-2026-03-29.csv"])))
    assert summary["volumes.inbound"] == str(expected.volumes.inbound)
    assert summary["volumes.outbound"] == str(expected.volumes.outbound)
    assert summary["attendance.entered"] == str(expected.attendance.entered)
    breakdown = list(csv.DictReader(io.StringIO(files["breakdown-2026-03-23-2026-03-29.csv"])))
    assert [r["name"] for r in breakdown] == [r.name for r in expected.breakdown]
    page = _html(mail)
    volumes = f"<td>{expected.volumes.inbound} / {expected.volumes.outbound}</td>"
    assert volumes in page
    assert "By queue" in page

    # Moved to the next Monday 08:00 (still WEST); the same instant again sends nothing.
    async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
        next_at = await conn.fetchval(
            "SELECT next_at FROM report_subscriptions WHERE id = $1", team.id
        )
        runs = await conn.fetch(
            "SELECT slot, status FROM report_mail_runs WHERE subscription_id = $1", team.id
        )
    assert next_at == utc(2026, 4, 6, 7)
    assert [(r["slot"], r["status"]) for r in runs] == [(slot, "sent")]
    assert await _mailer(api, now).send_due() == []
    assert len(_reports(smtp_server)) == 3


async def test_daily_report_on_the_skipped_hour_and_a_missing_smtp_server(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, smtp_server: SmtpServer
) -> None:
    api.app[REPORT_MAILER].enabled = False
    tenant = await make_tenant()
    await seed_weekend(admin_conn, tenant.id, tenant[Role.AGENT].id, api.app[SECRET_BOX])
    supervisor = tenant[Role.SUPERVISOR]
    mine = await _create(api, supervisor, frequency="daily", tz=TZ, hour=1)
    # 01:00 on Sunday 29 March doesn't exist in Lisbon: the e-mail leaves at 01:00 UTC.
    slot = utc(2026, 3, 29, 1)
    async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
        await conn.execute(
            "UPDATE report_subscriptions SET next_at = $1 WHERE id = $2", slot, mine.id
        )
    # No SMTP settings yet: the run is skipped with its reason, and the schedule moves on.
    [skipped] = await _mailer(api, slot).send_due() or []
    assert (skipped.status, skipped.recipients) == ("skipped", 0)
    resp = await api.get(SCHEDULES, headers=supervisor.headers)
    [listed] = ScheduleList.model_validate(await resp.json()).items
    assert (listed.last_status, listed.last_slot, listed.next_at) == (
        "skipped", slot, utc(2026, 3, 30, 0),
    )  # fmt: skip

    await _smtp(api, tenant, smtp_server)
    async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
        await conn.execute(
            "UPDATE report_subscriptions SET next_at = $1 WHERE id = $2", slot, mine.id
        )
        await conn.execute("DELETE FROM report_mail_runs WHERE subscription_id = $1", mine.id)
    [sent] = await _mailer(api, slot + timedelta(minutes=1)).send_due() or []
    assert (sent.status, sent.recipients) == ("sent", 1)
    [mail] = await _mails(smtp_server, 1)
    assert mail["To"] == supervisor.email
    # Saturday alone (a 24-hour WET day): the report of 28 March.
    summary = dict(csv.reader(io.StringIO(_attachments(mail)["summary-2026-03-28-2026-03-28.csv"])))
    query = ReportQuery(first_day=date(2026, 3, 28), last_day=date(2026, 3, 28), tz=TZ)
    async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
        expected = await build_report(conn, query, slot)
    assert summary["volumes.inbound"] == str(expected.volumes.inbound)
    assert summary["volumes.closed"] == str(expected.volumes.closed)


# The CLI


async def test_cli_schedule_add_list_remove_with_one_line_errors(
    api: ApiClient, make_tenant: MakeTenant, settings: Settings
) -> None:
    tenant = await make_tenant()
    env = cli_env(settings)

    async def cli(*args: str) -> tuple[int, str]:
        argv = ["report", "schedule", *args]
        result = await asyncio.to_thread(runner.invoke, app, argv, env=env)
        return result.exit_code, result.output

    slug = ("-t", tenant.slug)
    code, out = await cli(
        "add", *slug, "--user", tenant[Role.SUPERVISOR].email, "--every", "daily",
        "--tz", TZ, "--hour", "7", "--reports", "summary,csat", "--json",
    )  # fmt: skip
    assert code == 0, out
    mine = ScheduleOut.model_validate_json(out)
    assert (mine.user_id, [d.value for d in mine.datasets]) == (
        tenant[Role.SUPERVISOR].id, ["summary", "csat"],
    )  # fmt: skip
    code, out = await cli("add", *slug, "--team", "--every", "monthly", "--month-day", "2")
    assert code == 0, out
    assert "next e-mail" in out
    code, out = await cli("list", *slug, "--json")
    assert code == 0, out
    listed = [ScheduleOut.model_validate(item) for item in json.loads(out)]
    assert [(s.audience.value, s.frequency.value) for s in listed] == [
        ("user", "daily"), ("team", "monthly"),
    ]  # fmt: skip
    # The API lists the same rows (the supervisor sees the team's and their own).
    assert await _list(api, tenant[Role.SUPERVISOR]) == {s.id for s in listed}

    for args, message in (
        (("--team", "--user", "x@example.test"), "give either --user EMAIL or --team"),
        (("--user", tenant[Role.AGENT].email), "reports are for supervisors and up"),
        (("--team", "--tz", "Mars/Olympus"), "--tz: unknown time zone"),
        (("--team", "--reports", "messages"), "--reports: messages can't be e-mailed"),
        (("--team", "--hour", "25"), "--hour:"),
    ):
        code, out = await cli("add", *slug, *args)
        assert code == 1, (args, out)
        assert message in out, (args, out)
        assert "Traceback" not in out

    code, out = await cli("remove", *slug, str(mine.id))
    assert code == 0, out
    code, out = await cli("remove", *slug, str(mine.id))
    assert (code, out.strip()) == (1, f"error: no schedule {mine.id}")
    assert await _list(api, tenant[Role.ADMIN]) == {listed[1].id}


async def test_the_slot_is_claimed_once_even_without_the_lock(
    api: ApiClient, make_tenant: MakeTenant, smtp_server: SmtpServer
) -> None:
    """The second guard: two processes that both reach one subscription (the lock lost, or a
    pass starting as another ends) send it once; a pass that finds the lock held skips."""
    api.app[REPORT_MAILER].enabled = False
    tenant = await make_tenant()
    await _smtp(api, tenant, smtp_server)
    mine = await _create(api, tenant[Role.SUPERVISOR], frequency="daily", tz=TZ, hour=9)
    slot = utc(2026, 10, 25, 9)  # autumn change in Lisbon: 09:00 WET, a 25-hour Saturday before
    async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
        await conn.execute(_MOVE, slot, mine.id)

    async with api.app[DB_POOL].acquire() as holder:
        await holder.execute("SELECT pg_advisory_lock($1)", MAIL_LOCK)
        try:
            assert await _mailer(api, slot).send_due() is None  # another process is at it
        finally:
            await holder.execute("SELECT pg_advisory_unlock($1)", MAIL_LOCK)

    one, two = _mailer(api, slot), _mailer(api, slot)
    results = await asyncio.gather(
        one.send_one(tenant.id, mine.id), two.send_one(tenant.id, mine.id)
    )
    sent = [r for r in results if r is not None]
    assert [(s.slot, s.status, s.recipients) for s in sent] == [(slot, "sent", 1)]
    [mail] = await _mails(smtp_server, 1)
    assert "2026-10-24 (Europe/Lisbon)" in str(mail["Subject"])
    async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
        assert await conn.fetchval(_NEXT, mine.id) == utc(2026, 10, 26, 9)
