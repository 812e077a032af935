"""The reports screen's DaemonClient calls against the real daemon (app, PostgreSQL, Redis): the
seeded Lisbon weekend's report drilled into a queue, an export parsed back, the scheduled e-mail
subscriptions, and the daemon's refusals as DaemonErrors."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from pytake_daemon.db.pool import Connection
from pytake_daemon.keys import SECRET_BOX
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.report_schedules import Audience, Frequency, ScheduleCreate
from pytake_daemon.protocol.reports import Dataset, ExportFormat, ExportQuery, Level, ReportQuery
from pytake_tui.client import DaemonClient, DaemonError
from tests.conftest import ApiClient, MakeTenant
from tests.reports.seed import TZ, seed_weekend
from tests.support import Member

WEEKEND = {"first_day": date(2026, 3, 28), "last_day": date(2026, 3, 29), "tz": TZ}


def _client(api: ApiClient, member: Member) -> DaemonClient:
    return DaemonClient(str(api.make_url("/")), token=member.token)


async def test_report_export_and_schedules_through_the_client(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    weekend = await seed_weekend(admin_conn, tenant.id, tenant[Role.AGENT].id, api.app[SECRET_BOX])
    async with _client(api, tenant[Role.SUPERVISOR]) as client:
        report = await client.report(ReportQuery(**WEEKEND))
        assert report.level is Level.TENANT
        assert len(report.hourly) == 47  # Sunday is 23 hours long in Lisbon
        queue = await client.report(ReportQuery(**WEEKEND, queue_id=weekend.support))
        assert queue.level is Level.QUEUE
        assert queue.attendance.entered <= report.attendance.entered

        content = await client.export_report(
            ExportQuery(**WEEKEND, queue_id=weekend.support, dataset=Dataset.BREAKDOWN,
                        format=ExportFormat.CSV)
        )  # fmt: skip
        rows = list(csv.DictReader(io.StringIO(content.decode())))
        assert [r["id"] for r in rows] == [str(r.id) for r in queue.breakdown]

        created = await client.add_report_schedule(
            ScheduleCreate(audience=Audience.TEAM, frequency=Frequency.DAILY, tz=TZ, hour=6)
        )
        listed = await client.report_schedules()
        assert [s.id for s in listed.items] == [created.id]
        await client.remove_report_schedule(created.id)
        assert (await client.report_schedules()).items == []
        with pytest.raises(DaemonError) as missing:
            await client.remove_report_schedule(created.id)
        assert missing.value.status == 404

    async with _client(api, tenant[Role.AGENT]) as client:
        with pytest.raises(DaemonError) as refused:
            await client.report(ReportQuery(**WEEKEND))
        assert refused.value.status == 403
