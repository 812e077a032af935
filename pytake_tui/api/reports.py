"""The reports screen's calls: a report, an export of it, and the scheduled e-mail reports
(supervisors and above)."""

from __future__ import annotations

import uuid

from pytake_daemon.protocol.report_schedules import ScheduleCreate, ScheduleList, ScheduleOut
from pytake_daemon.protocol.reports import ExportQuery, ReportOut, ReportQuery
from pytake_tui.api.transport import API_PREFIX, Endpoints

_REPORTS = f"{API_PREFIX}/reports"
# A month's table is read and written in the request: more than the default 10 s on a big tenant.
EXPORT_TIMEOUT = 120.0


class ReportEndpoints(Endpoints):
    """``/reports/…``."""

    async def report(self, query: ReportQuery) -> ReportOut:
        """The figures of a period, at the query's drill-down level."""
        params = query.model_dump(mode="json", exclude_none=True)
        return await self._transport.get(ReportOut, _REPORTS, params=params)

    async def export_report(self, query: ExportQuery) -> bytes:
        """One of the report's tables as CSV, JSON Lines or XLSX (the file's bytes).

        The console exports the table it shows (small); whole periods of messages are the
        CLI's ``pytake report export``, which streams."""
        params = query.model_dump(mode="json", exclude_none=True)
        response = await self._transport.send(
            "GET", f"{_REPORTS}/export", params=params, time_limit=EXPORT_TIMEOUT
        )
        return response.content

    async def report_schedules(self) -> ScheduleList:
        """The team's scheduled e-mail reports and mine."""
        return await self._transport.get(ScheduleList, f"{_REPORTS}/schedules")

    async def add_report_schedule(self, body: ScheduleCreate) -> ScheduleOut:
        """Subscribe me or the team to a report by e-mail."""
        return await self._transport.call(ScheduleOut, "POST", f"{_REPORTS}/schedules", body)

    async def remove_report_schedule(self, schedule_id: uuid.UUID) -> None:
        await self._transport.send("DELETE", f"{_REPORTS}/schedules/{schedule_id}")
