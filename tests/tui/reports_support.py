"""A scripted client with fixed reports (a tenant with two queues, an agent, Ana's
conversation), an export of them in the daemon's own file formats, scheduled e-mails kept in
memory, and an app signed in on it with the clock pinned."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from pytake_daemon.attendance.hours import zone
from pytake_daemon.protocol import Me
from pytake_daemon.protocol.notifications import Preferences, PreferencesOut
from pytake_daemon.protocol.report_schedules import (
    Audience,
    ScheduleCreate,
    ScheduleList,
    ScheduleOut,
)
from pytake_daemon.protocol.reports import (
    Attendance,
    Automation,
    BreakdownRow,
    Csat,
    DayRating,
    ExportFormat,
    ExportQuery,
    HeatCell,
    HourPoint,
    IntentCount,
    Level,
    MetaErrorCount,
    Mood,
    Percentiles,
    RatingCount,
    ReportOut,
    ReportQuery,
    Sla,
    Templates,
    Volumes,
)
from pytake_daemon.reports import export
from pytake_daemon.reports.schedule import When, next_slot
from pytake_daemon.reports.service import level_of, period_of
from pytake_tui import PyTakeApp, build_app
from pytake_tui.client import DaemonClient
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.screens.reports import ReportsScreen

from .fake_daemon import ScriptedClient, hello_envelope
from .fake_world import demo_world
from .helpers import wait_until
from .identities import ALICE_EMAIL, FAR_FUTURE, FIXED_AT, USER_ID

SERVER = "http://pytake.invalid:8420"
TZ = "Europe/Lisbon"
SUPPORT = uuid.UUID("00000000-0000-4000-8000-0000000000b1")
SALES = uuid.UUID("00000000-0000-4000-8000-0000000000b2")
BRUNO = uuid.UUID("00000000-0000-4000-8000-0000000000b3")
ANA_CONVERSATION = uuid.UUID("00000000-0000-4000-8000-c00000000001")
"""Ana Souza's conversation in :func:`demo_world`."""

_ROWS: dict[Level, list[tuple[Level, uuid.UUID, str, int]]] = {
    Level.TENANT: [(Level.QUEUE, SUPPORT, "Support", 40), (Level.QUEUE, SALES, "Sales", 12)],
    Level.QUEUE: [(Level.AGENT, BRUNO, "Bruno Agent", 25)],
    Level.AGENT: [(Level.CONVERSATION, ANA_CONVERSATION, "Ana Souza", 3)],
    Level.CONVERSATION: [],
}
_SCALE = {Level.TENANT: 1.0, Level.QUEUE: 0.6, Level.AGENT: 0.3, Level.CONVERSATION: 0.1}


def fixed_report(query: ReportQuery) -> ReportOut:
    """A report whose every figure follows from the query's period and level, so the same
    query always draws the same screen."""
    period = period_of(query, FIXED_AT)
    level = level_of(query)
    k = _SCALE[level]
    tz = zone(query.tz)
    hourly = []
    for n, start in enumerate(period.hours):
        local = start.astimezone(tz)
        busy = 9 <= local.hour < 19 and local.weekday() < 5
        base = (3 + (n * 7) % 5) if busy else n % 2
        hourly.append(
            HourPoint(start=local, inbound=round(base * k * 2), outbound=round(base * k),
                      opened=int(busy and n % 3 == 0), closed=int(busy and n % 4 == 0))
        )  # fmt: skip
    cells: dict[tuple[int, int], int] = {}
    for p in hourly:
        key = (p.start.weekday(), p.start.hour)
        cells[key] = cells.get(key, 0) + p.inbound + p.outbound
    days = [period.first_day.fromordinal(period.first_day.toordinal() + i)
            for i in range((period.last_day - period.first_day).days + 1)]  # fmt: skip
    trend = [DayRating(day=d, ratings=(i % 3), average=None if i % 3 == 0 else 3.5 + (i % 2))
             for i, d in enumerate(days)]  # fmt: skip
    breakdown = [
        BreakdownRow(
            level=row_level, id=row_id, name=name, entered=entered, assigned=entered - 2,
            abandoned=2, transfers=1, first_response_median=95.0, first_response_p90=410.0,
            resolution_median=1800.0, sla_rate=0.82, csat_average=4.4, ratings=entered // 3,
        )
        for row_level, row_id, name, entered in _ROWS[level]
    ]  # fmt: skip
    inbound = sum(p.inbound for p in hourly)
    outbound = sum(p.outbound for p in hourly)
    return ReportOut(
        level=level, tz=query.tz, first_day=period.first_day, last_day=period.last_day,
        start=period.start, end=period.end, queue_id=query.queue_id, agent_id=query.agent_id,
        conversation_id=query.conversation_id,
        volumes=Volumes(inbound=inbound, outbound=outbound, opened=round(52 * k),
                        closed=round(47 * k)),
        attendance=Attendance(
            entered=round(52 * k), assigned=round(48 * k), abandoned=round(4 * k),
            abandonment_rate=0.077, transfers=round(6 * k),
            first_response=Percentiles(median=95.0, p90=410.0),
            resolution=Percentiles(median=1800.0, p90=7200.0),
            sla=Sla(met=round(40 * k), missed=round(8 * k), rate=0.833),
        ),
        csat=Csat(ratings=18, average=4.28, distribution=[
            RatingCount(rating=r, count=c)
            for r, c in zip(range(1, 6), (1, 0, 2, 5, 10), strict=True)
        ]),
        automation=Automation(closed=round(47 * k), automated=round(11 * k), share=0.234),
        mood=Mood(analysed=120, positive=61, neutral=40, negative=19, top_intents=[
            IntentCount(intent="order_status", count=38), IntentCount(intent="billing", count=21),
        ]),
        templates=Templates(sent=200, delivered=190, read=150, failed=10, delivery_rate=0.95,
                            read_rate=0.75),
        meta_errors=[MetaErrorCount(code=131047, title="Re-engagement message", count=7),
                     MetaErrorCount(code=131026, title="Message undeliverable", count=3)],
        hourly=hourly,
        heatmap=[HeatCell(weekday=d, hour=h, messages=cells.get((d, h), 0))
                 for d in range(7) for h in range(24)],
        csat_trend=trend,
        breakdown=breakdown,
    )  # fmt: skip


class ReportsClient(ScriptedClient):
    """ScriptedClient plus the reports' endpoints, answering :func:`fixed_report`."""

    def __init__(self, server: str, me: Me | None) -> None:
        super().__init__(server, [hello_envelope(1)], demo_world(), me)
        self.queries: list[ReportQuery] = []
        self.exports: list[ExportQuery] = []
        self.schedules: list[ScheduleOut] = []

    async def notification_preferences(self) -> PreferencesOut:
        return PreferencesOut(preferences=Preferences(timezone=TZ), source="user")

    async def report(self, query: ReportQuery) -> ReportOut:
        self.queries.append(query)
        return fixed_report(query)

    async def export_report(self, query: ExportQuery) -> bytes:
        """The daemon's own writers over the fixed report (CSV and JSON Lines)."""
        self.exports.append(query)
        assert query.format is not ExportFormat.XLSX, "the tests export text formats"
        table = export.report_table(fixed_report(query), query.dataset)

        async def rows() -> Any:
            for row in table.rows:
                yield row

        chunks = export.text_chunks(table.columns, rows(), query.format, query.tz)
        return b"".join([chunk async for chunk, _ in chunks])

    async def report_schedules(self) -> ScheduleList:
        return ScheduleList(items=list(self.schedules))

    async def add_report_schedule(self, body: ScheduleCreate) -> ScheduleOut:
        when = When(body.frequency, body.tz, body.hour, body.weekday, body.month_day)
        created = ScheduleOut(
            id=uuid.UUID(int=0xE000 + len(self.schedules)), audience=body.audience,
            user_id=USER_ID, owner_email=ALICE_EMAIL if body.audience is Audience.USER else None,
            frequency=body.frequency, datasets=body.datasets, tz=body.tz, hour=body.hour,
            weekday=body.weekday, month_day=body.month_day, queue_id=body.queue_id,
            next_at=next_slot(when, FIXED_AT), created_at=FIXED_AT, last_status=None,
            last_slot=None,
        )  # fmt: skip
        self.schedules.append(created)
        return created

    async def remove_report_schedule(self, schedule_id: uuid.UUID) -> None:
        self.schedules = [s for s in self.schedules if s.id != schedule_id]


def reports_app(tmp: Path, *, me: Me | None = None) -> PyTakeApp:
    credentials = tmp / "config" / "credentials.json"
    CredentialStore(credentials).save(
        SavedSession(server=SERVER, token="saved", expires_at=FAR_FUTURE, email=ALICE_EMAIL)
    )
    (tmp / "downloads").mkdir(parents=True, exist_ok=True)

    def client(server: str) -> DaemonClient:
        return ReportsClient(server, me)

    return build_app(
        server=SERVER,
        credentials_path=credentials,
        client_factory=client,
        clock=lambda: FIXED_AT,
        downloads_dir=tmp / "downloads",
    )


def reports_client(pilot: Pilot[Any]) -> ReportsClient:
    app = pilot.app
    assert isinstance(app, PyTakeApp)
    assert isinstance(app.client, ReportsClient)
    return app.client


async def shown(pilot: Pilot[Any], predicate: Any = None) -> ReportsScreen:
    """The reports screen once it shows a report (and ``predicate(screen)`` holds)."""

    def ready() -> bool:
        screen = pilot.app.screen
        return (
            isinstance(screen, ReportsScreen)
            and screen.report is not None
            and screen.report == fixed_report(screen.current_query() or ReportQuery())
            and (predicate is None or predicate(screen))
        )

    await wait_until(pilot, ready, "the report")
    screen = pilot.app.screen
    assert isinstance(screen, ReportsScreen)
    await pilot.pause()
    return screen


async def reports_ready(pilot: Pilot[Any]) -> ReportsScreen:
    """Sign in, press f1, wait for the first report."""
    app = pilot.app
    assert isinstance(app, PyTakeApp)
    await wait_until(pilot, lambda: app.client is not None, "the session")
    await pilot.press("f1")
    return await shown(pilot)
