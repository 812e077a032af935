"""The reports screen as a new supervisor meets it, against the real daemon (issue 21's
walkthrough): Enter drills down at once (the table has the focus, not the tabs), the export
goes to the console's own downloads folder although it does not exist yet, and a weekly
e-mail can be set for any weekday."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.widgets import Input, Select

from pytake_daemon.db.pool import Connection
from pytake_daemon.keys import SECRET_BOX
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.report_schedules import Frequency
from pytake_daemon.protocol.reports import Level
from pytake_tui import build_app
from pytake_tui.client import DaemonClient
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.screens.report_dialogs import CustomPeriodDialog, ExportDialog, SubscribeDialog
from pytake_tui.screens.reports import ReportsScreen
from pytake_tui.widgets.report_tables import BreakdownTable
from tests.conftest import ApiClient, MakeTenant
from tests.reports.seed import seed_weekend

from .admin_support import signed_in
from .helpers import wait_until

DEADLINE = 30.0
NOW = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
"""The console's clock: the Monday after the seeded Lisbon weekend."""
SATURDAY = 5


async def test_drill_export_and_weekly_email_on_first_use(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    weekend = await seed_weekend(admin_conn, tenant.id, tenant[Role.AGENT].id, api.app[SECRET_BOX])
    supervisor = tenant[Role.SUPERVISOR]
    server = str(api.make_url("")).rstrip("/")
    credentials = tmp_path / "credentials.json"
    CredentialStore(credentials).save(
        SavedSession(
            server=server, token=supervisor.token, expires_at=NOW + timedelta(days=36500),
            email=supervisor.email,
        )
    )  # fmt: skip
    downloads = tmp_path / "Downloads" / "pytake"  # as platformdirs names it: not made yet
    app = build_app(
        server=server, credentials_path=credentials, downloads_dir=downloads, clock=lambda: NOW
    )
    async with app.run_test(size=(160, 48)) as pilot:
        await signed_in(pilot)
        await pilot.press("f1")

        def showing(level: Level) -> bool:
            screen = pilot.app.screen
            return (
                isinstance(screen, ReportsScreen)
                and screen.report is not None
                and screen.report.level is level
                and bool(screen.report.breakdown)
            )

        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ReportsScreen), "f1")
        screen = pilot.app.screen
        assert isinstance(screen, ReportsScreen)
        await wait_until(pilot, lambda: screen.report is not None, "the first report", DEADLINE)
        assert screen.query_one(BreakdownTable).has_focus
        # The seeded weekend, by its dates (the daemon's "last 7 days" is its own week).
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, CustomPeriodDialog), "dates")
        pilot.app.screen.query_one("#first-day", Input).value = "2026-03-28"
        last_day = pilot.app.screen.query_one("#last-day", Input)
        last_day.value = "2026-03-29"
        last_day.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: showing(Level.TENANT), "the tenant's report", DEADLINE)
        assert screen.query_one(BreakdownTable).has_focus
        first_row = screen.query_one(BreakdownTable).cursor_row
        assert screen.report is not None
        assert screen.report.breakdown[first_row].id in {weekend.support, weekend.sales}

        await pilot.press("enter")  # no click, no tab: straight down to the queue
        await wait_until(pilot, lambda: showing(Level.QUEUE), "the queue's report", DEADLINE)

        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ExportDialog), "export")
        path = Path(pilot.app.screen.query_one("#export-path", Input).value)
        assert path.parent == downloads
        assert not downloads.exists()
        pilot.app.screen.query(Input).first().focus()
        await pilot.press("enter")
        await wait_until(pilot, path.exists, "the CSV in the downloads folder", DEADLINE)
        rows = list(csv.DictReader(io.StringIO(path.read_text())))
        assert screen.report is not None
        assert [r["id"] for r in rows] == [str(b.id) for b in screen.report.breakdown]

        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, SubscribeDialog), "e-mail")
        dialog = pilot.app.screen
        dialog.query_one("#subscribe-weekday", Select).value = SATURDAY
        hour = dialog.query_one("#subscribe-hour", Input)
        hour.value = "20"
        hour.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(screen.schedules), "the schedule", DEADLINE)

    async with DaemonClient(server, token=supervisor.token) as client:
        (schedule,) = (await client.report_schedules()).items
    assert (schedule.frequency, schedule.weekday, schedule.hour) == (
        Frequency.WEEKLY, SATURDAY, 20,
    )  # fmt: skip
    assert schedule.next_at.weekday() == SATURDAY
