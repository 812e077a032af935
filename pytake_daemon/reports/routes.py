"""``/api/v1/reports``: a report over a period with its drill-down, and its exports.

Supervisors and above (agents: 403). Each report is read in one read-only REPEATABLE READ
transaction, so its figures agree with each other. An export is audited (``report.export``;
the audit domain raises a mass-export alert past its threshold) in a short transaction of its
own *before* streaming: the record exists even if the download is interrupted, and the
tenant's audit chain is not held for the length of a download.
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import structlog
from aiohttp import web

from pytake_daemon.audit.http import audit_in
from pytake_daemon.db.pool import Connection, Pool, set_tenant, tenant_transaction
from pytake_daemon.http.api import RouteTable, identity
from pytake_daemon.keys import DB_POOL
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.reports import ExportFormat, ExportQuery, ReportOut, ReportQuery
from pytake_daemon.reports import export
from pytake_daemon.reports.service import build_report, level_of, period_of, scope_of

log = structlog.get_logger("pytake.reports")

routes = RouteTable(tag="reports")

_FILE_CHUNK = 64 * 1024


@asynccontextmanager
async def snapshot(pool: Pool, tenant_id: uuid.UUID) -> AsyncIterator[Connection]:
    """A read-only transaction that sees one snapshot of the tenant's rows."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        await set_tenant(conn, tenant_id)
        yield conn


@routes.get(
    "/api/v1/reports",
    summary="A report over a period in a time zone: volumes, response and resolution times, "
    "SLA, abandonment, transfers, CSAT, automation, AI mood and intents, templates, Meta "
    "errors; drill down with queue_id, agent_id, conversation_id",
    query=ReportQuery,
    response=ReportOut,
    role=Role.SUPERVISOR,
    errors=(422,),
)
async def get_report(request: web.Request, query: ReportQuery) -> ReportOut:
    caller = identity(request)
    async with snapshot(request.app[DB_POOL], caller.tenant_id) as conn:
        return await build_report(conn, query, datetime.now(UTC))


def _disconnected(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


@routes.get(
    "/api/v1/reports/export",
    summary="Export one of a report's tables, or the period's conversations or messages, as "
    "csv, jsonl or xlsx (streamed; audited as report.export)",
    query=ExportQuery,
    role=Role.SUPERVISOR,
    errors=(422,),
    media_types=tuple(export.MEDIA_TYPES.values()),
)
async def export_report(request: web.Request, query: ExportQuery) -> web.StreamResponse:
    caller = identity(request)
    pool = request.app[DB_POOL]
    now = datetime.now(UTC)
    async with tenant_transaction(pool, caller.tenant_id) as conn:
        period = period_of(query, now)
        scope = await scope_of(conn, query, period)
        await audit_in(
            request,
            conn,
            "report.export",
            target_type="report",
            target_id=query.dataset.value,
            diff={
                "export": {
                    "before": None,
                    "after": {
                        "dataset": query.dataset.value,
                        "format": query.format.value,
                        "first_day": period.first_day.isoformat(),
                        "last_day": period.last_day.isoformat(),
                        "tz": period.tz,
                        "level": level_of(query).value,
                    },
                }
            },
        )
    name = f"{query.dataset.value}-{period.first_day}-{period.last_day}.{query.format.value}"
    response = web.StreamResponse(
        headers={
            "Content-Type": export.MEDIA_TYPES[query.format],
            "Content-Disposition": f'attachment; filename="{name}"',
        }
    )
    try:
        async with snapshot(pool, caller.tenant_id) as conn:
            if query.dataset in export.RAW:
                columns, rows = await export.raw_rows(conn, query.dataset, scope)
            else:
                report = await build_report(conn, query, now)
                table = export.report_table(report, query.dataset)
                columns, rows = table.columns, _aiter(table.rows)
            if query.format is ExportFormat.XLSX:
                await _send_xlsx(request, response, columns, rows, query)
            else:
                await response.prepare(request)
                async for chunk, _ in export.text_chunks(columns, rows, query.format, query.tz):
                    await response.write(chunk)
    except ConnectionResetError:
        # The client went away: leaving the transaction closed the cursor (the query stops).
        log.info("report export interrupted by the client", dataset=query.dataset.value)
        return response
    await response.write_eof()
    return response


async def _aiter(rows: Iterable[export.Row]) -> AsyncIterator[export.Row]:
    for row in rows:
        yield row


async def _send_xlsx(
    request: web.Request,
    response: web.StreamResponse,
    columns: tuple[str, ...],
    rows: AsyncIterator[export.Row],
    query: ExportQuery,
) -> None:
    with tempfile.TemporaryDirectory(prefix="pytake-report-") as tmp:
        path = Path(tmp) / "report.xlsx"
        sheet = export.XlsxSheet(path, columns, title=query.dataset.value)
        written = 0
        try:
            async for row in rows:
                sheet.add(row, query.tz)
                written += 1
                # Nothing is sent until the workbook is complete: look for a client that left.
                if written % export.CHUNK_ROWS == 0 and _disconnected(request):
                    raise ConnectionResetError("client disconnected")
        finally:
            # Zipping a large workbook takes a while: not on the event loop.
            await asyncio.to_thread(sheet.close)
        response.content_length = path.stat().st_size
        await response.prepare(request)
        with path.open("rb") as handle:
            while chunk := await asyncio.to_thread(handle.read, _FILE_CHUNK):
                await response.write(chunk)
