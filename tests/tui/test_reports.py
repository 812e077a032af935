"""The reports screen (f1) with a scripted daemon and the clock pinned: the period picker in the
user's zone, drill-down by Enter and back up by Escape, a conversation opened in the chat,
export of the current view to a file parsed back, and a scheduled e-mail subscription."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Input, OptionList, Select, Static, TabbedContent

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.reports import Dataset, ExportFormat, Level
from pytake_i18n import use_language
from pytake_tui.report_view import figures, weekday_name
from pytake_tui.screens import ChatScreen
from pytake_tui.screens.report_dialogs import CustomPeriodDialog, ExportDialog, SubscribeDialog
from pytake_tui.widgets.report_tables import BreakdownTable

from .fake_daemon import alice
from .helpers import MessageLog, wait_until
from .reports_support import (
    ANA_CONVERSATION,
    BRUNO,
    SUPPORT,
    TZ,
    fixed_report,
    reports_app,
    reports_client,
    reports_ready,
    shown,
)


async def _submit(pilot: Any) -> None:
    """Enter in the dialog's first field, as a user confirming what they typed."""
    pilot.app.screen.query(Input).first().focus()
    await pilot.press("enter")


# FIXED_AT is Friday 14 March 2025, 09:26 UTC: 09:26 in Lisbon (WET).
TODAY = date(2025, 3, 14)


async def test_period_picker_in_the_users_zone(tmp_path: Path) -> None:
    async with reports_app(tmp_path).run_test(size=(160, 48)) as pilot:
        screen = await reports_ready(pilot)
        client = reports_client(pilot)
        first = client.queries[-1]
        assert (first.period, first.tz) == ("last-7d", TZ)
        assert screen.report is not None
        assert (screen.report.first_day, screen.report.last_day) == (date(2025, 3, 8), TODAY)
        where = str(screen.query_one("#report-where", Static).render())
        assert "Last 7 days" in where
        assert TZ in where
        # The figures table shows the report's own figures.
        table = screen.query_one("#report-figures-table", DataTable)
        assert [str(table.get_row_at(i)[1]) for i in range(table.row_count)] == [
            v for _, v in figures(screen.report)
        ]

        await pilot.press("p")
        screen = await shown(pilot, lambda s: s.report.first_day == date(2025, 2, 13))
        assert client.queries[-1].period == "last-30d"
        await pilot.press("p")
        screen = await shown(pilot, lambda s: s.report.first_day == s.report.last_day)
        assert client.queries[-1].period == "today"
        assert screen.report is not None
        assert len(screen.report.hourly) == 24

        # Custom dates: a bad one is said under the field, the dialog stays.
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, CustomPeriodDialog), "dates")
        dialog = pilot.app.screen
        dialog.query_one("#first-day", Input).value = "2025-03-31"
        dialog.query_one("#last-day", Input).value = "2025-03-29"
        await _submit(pilot)
        assert "before the first" in str(dialog.query_one(".dialog-error", Static).render())
        assert pilot.app.screen is dialog
        dialog.query_one("#first-day", Input).value = "2025-03-29"
        dialog.query_one("#last-day", Input).value = "2025-03-31"
        await _submit(pilot)
        # Lisbon's spring-forward weekend: the 30th has 23 hours.
        screen = await shown(pilot, lambda s: s.report.first_day == date(2025, 3, 29))
        query = client.queries[-1]
        assert (query.period, query.first_day, query.last_day) == (
            None, date(2025, 3, 29), date(2025, 3, 31),
        )  # fmt: skip
        assert screen.report is not None
        assert len(screen.report.hourly) == 24 + 23 + 24


async def test_drill_down_by_enter_and_back_up_by_escape(tmp_path: Path) -> None:
    async with reports_app(tmp_path).run_test(size=(160, 48)) as pilot:
        screen = await reports_ready(pilot)
        client = reports_client(pilot)
        screen.query_one(BreakdownTable).focus()
        await pilot.press("enter")  # Support, the first row
        screen = await shown(pilot, lambda s: s.report.level is Level.QUEUE)
        assert client.queries[-1].queue_id == SUPPORT
        assert "queue Support" in str(screen.query_one("#report-where", Static).render())
        screen.query_one(BreakdownTable).focus()
        await pilot.press("enter")  # Bruno
        screen = await shown(pilot, lambda s: s.report.level is Level.AGENT)
        assert (client.queries[-1].queue_id, client.queries[-1].agent_id) == (SUPPORT, BRUNO)
        # Loaded by now (the wait above); the attribute is Optional until the first answer.
        assert [r.name for r in screen.report.breakdown] == ["Ana Souza"]  # type: ignore[union-attr]

        # Enter on a conversation opens it in the chat.
        screen.query_one(BreakdownTable).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChatScreen), "the chat")
        chat = pilot.app.screen
        assert isinstance(chat, ChatScreen)
        await wait_until(
            pilot,
            lambda: chat.pane.open is not None and chat.pane.open.id == ANA_CONVERSATION,
            "Ana's thread",
        )

        # Back on the reports, Escape climbs back up one level at a time.
        await pilot.press("f1")
        screen = await shown(pilot, lambda s: s.report.level is Level.AGENT)
        await pilot.press("escape")
        screen = await shown(pilot, lambda s: s.report.level is Level.QUEUE)
        await pilot.press("escape")
        screen = await shown(pilot, lambda s: s.report.level is Level.TENANT)
        top = client.queries[-1]
        assert top.queue_id is None
        await pilot.press("escape")  # at the top: nothing happens
        await pilot.pause()
        assert screen.report is not None
        assert screen.report.level is Level.TENANT


async def test_export_of_the_current_view_is_written_and_parses_back(tmp_path: Path) -> None:
    log = MessageLog()
    async with reports_app(tmp_path).run_test(size=(160, 48), message_hook=log) as pilot:
        screen = await reports_ready(pilot)
        client = reports_client(pilot)
        screen.query_one(BreakdownTable).focus()
        await pilot.press("enter")
        screen = await shown(pilot, lambda s: s.report.level is Level.QUEUE)

        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ExportDialog), "the dialog")
        dialog = pilot.app.screen
        path_input = dialog.query_one("#export-path", Input)
        expected = tmp_path / "downloads" / "report-queue-breakdown-2025-03-08-2025-03-14.csv"
        assert path_input.value == str(expected)
        await _submit(pilot)
        await wait_until(pilot, expected.exists, "the CSV file")
        toast = f"Exported: {expected} ("
        await wait_until(
            pilot, lambda: any(n.startswith(toast) for n in log.notifications()), "the toast"
        )
        rows = list(csv.DictReader(io.StringIO(expected.read_text())))
        report = fixed_report(client.queries[-1])
        assert [(r["name"], r["entered"], r["id"]) for r in rows] == [
            (b.name, str(b.entered), str(b.id)) for b in report.breakdown
        ]
        sent = client.exports[-1]
        assert (sent.dataset, sent.format, sent.queue_id, sent.tz) == (
            Dataset.BREAKDOWN, ExportFormat.CSV, SUPPORT, TZ,
        )  # fmt: skip

        # The summary as JSON Lines, to a path the user typed.
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ExportDialog), "the dialog")
        dialog = pilot.app.screen
        dialog.query_one("#export-dataset", Select).value = Dataset.SUMMARY
        dialog.query_one("#export-format", Select).value = ExportFormat.JSONL
        await pilot.pause()
        target = tmp_path / "mine.jsonl"
        dialog.query_one("#export-path", Input).value = str(target)
        await _submit(pilot)
        await wait_until(pilot, target.exists, "the JSON Lines file")
        records = [json.loads(line) for line in target.read_text().splitlines()]
        summary = {r["figure"]: r["value"] for r in records}
        assert summary["volumes.inbound"] == report.volumes.inbound
        assert summary["attendance.sla.rate"] == report.attendance.sla.rate

        # A folder that doesn't exist is said in the dialog, nothing is written.
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ExportDialog), "the dialog")
        dialog = pilot.app.screen
        dialog.query_one("#export-path", Input).value = str(tmp_path / "nowhere" / "x.csv")
        await _submit(pilot)
        assert "No folder" in str(dialog.query_one(".dialog-error", Static).render())
        assert pilot.app.screen is dialog


async def test_subscribe_to_the_report_by_email_and_remove_it(tmp_path: Path) -> None:
    supervisor = alice().model_copy(update={"role": Role.SUPERVISOR})
    async with reports_app(tmp_path, me=supervisor).run_test(size=(160, 48)) as pilot:
        screen = await reports_ready(pilot)
        client = reports_client(pilot)
        screen.query_one(TabbedContent).active = "report-email"
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, SubscribeDialog), "dialog")
        dialog = pilot.app.screen
        dialog.query_one("#subscribe-hour", Input).value = "25"
        await _submit(pilot)
        error = str(dialog.query_one(".dialog-error", Static).render())
        assert error == "The hour is a whole number from 0 to 23"
        dialog.query_one("#subscribe-hour", Input).value = "7"
        await _submit(pilot)
        table = screen.query_one("#report-schedules", DataTable)
        await wait_until(pilot, lambda: table.row_count == 1, "the schedule listed")
        [created] = client.schedules
        assert (created.tz, created.hour, created.frequency.value) == (TZ, 7, "weekly")
        # Next Monday 07:00 in Lisbon, shown in local time, the reader's way.
        assert str(table.get_row_at(0)[4]) == "3/17/2025 07:00"
        table.focus()
        await pilot.press("delete")
        await wait_until(pilot, lambda: table.row_count == 0, "the schedule removed")
        assert client.schedules == []


async def test_agents_have_no_reports_key(tmp_path: Path) -> None:
    agent = alice().model_copy(update={"role": Role.AGENT})
    async with reports_app(tmp_path, me=agent).run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChatScreen), "the chat")
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ChatScreen)
        assert reports_client(pilot).queries == []


def test_weekdays_are_named_by_the_readers_language() -> None:
    with use_language("pt_BR"):
        assert [weekday_name(d) for d in (0, 5, 6)] == ["segunda-feira", "sábado", "domingo"]
        assert weekday_name(2, short=True) == "qua."
    with use_language("en"):
        assert [weekday_name(d) for d in (0, 5, 6)] == ["Monday", "Saturday", "Sunday"]
        assert weekday_name(2, short=True) == "Wed"


async def test_the_email_dialog_speaks_portuguese(tmp_path: Path) -> None:
    """A Portuguese supervisor's e-mail dialog: weekdays by CLDR, frequencies and audiences
    from the catalog."""
    me = alice().model_copy(update={"role": Role.SUPERVISOR, "language": "pt_BR"})
    async with reports_app(tmp_path, me=me).run_test(size=(160, 48)) as pilot:
        await reports_ready(pilot)
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, SubscribeDialog), "dialog")
        dialog = pilot.app.screen

        def prompts(select_id: str) -> list[str]:
            options = dialog.query_one(f"#{select_id}", Select).query_one(OptionList)
            return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]

        assert prompts("subscribe-weekday") == [
            "segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira",
            "sábado", "domingo",
        ]  # fmt: skip
        assert prompts("subscribe-frequency") == ["diário", "semanal", "mensal"]
        assert prompts("subscribe-to") == ["eu", "a equipe (supervisores+)"]
