"""``/api/v1/audit``: the log with filters, one entry, counts, alerts, trends, export."""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
from aiohttp import web

from pytake_daemon.audit import db, trends
from pytake_daemon.audit.action_words import alert_summary
from pytake_daemon.audit.entries import entry_out
from pytake_daemon.audit.export import MEDIA_TYPES, Format, csv_header, render
from pytake_daemon.audit.http import audit_in
from pytake_daemon.db.pool import tenant_transaction
from pytake_daemon.errors import NotFound, UnprocessableEntity
from pytake_daemon.http.api import RouteTable, identity, path_uuid
from pytake_daemon.keys import DB_POOL, SETTINGS
from pytake_daemon.protocol import ProblemField, Role
from pytake_daemon.protocol.audit import (
    AlertList,
    AlertQuery,
    AuditCounts,
    AuditCountsQuery,
    AuditEntryOut,
    AuditList,
    AuditQuery,
    ExportQuery,
    TrendList,
)
from pytake_i18n import get_language

routes = RouteTable(tag="audit")


def _encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode()


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        kind, _, value = text.partition(":")
        if kind != "seq":
            raise ValueError(kind)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise UnprocessableEntity(
            "invalid cursor",
            errors=[ProblemField(loc="query.cursor", msg="not a cursor", type="value_error")],
        ) from None


@routes.get(
    "/api/v1/audit",
    summary="Audit entries, newest first, with filters and cursor pagination",
    query=AuditQuery,
    response=AuditList,
    role=Role.ADMIN,
    errors=(422,),
)
async def list_audit(request: web.Request, query: AuditQuery) -> AuditList:
    caller = identity(request)
    before = _decode_cursor(query.cursor) if query.cursor else None
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        statement = db.search_statement(
            actor=query.actor,
            action=query.action,
            target=query.target,
            target_type=query.target_type,
            outcome=query.outcome.value if query.outcome else None,
            since=query.since,
            until=query.until,
            text=query.text,
            before_seq=before,
            limit=query.limit + 1,
        )
        rows = await db.search_entries(conn, statement)
    items = [entry_out(row) for row in rows[: query.limit]]
    more = len(rows) > query.limit
    return AuditList(items=items, next_cursor=_encode_cursor(items[-1].seq) if more else None)


@routes.get(
    "/api/v1/audit/counts",
    summary="Audit entries per hour or day (the dashboard's chart)",
    query=AuditCountsQuery,
    response=AuditCounts,
    role=Role.ADMIN,
)
async def audit_counts(request: web.Request, query: AuditCountsQuery) -> AuditCounts:
    caller = identity(request)
    until = query.until or datetime.now(UTC)
    since = query.since or until - timedelta(days=1 if query.bucket == "hour" else 30)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        rows = await db.counts(conn, query.bucket, since, until)
    return AuditCounts(bucket=query.bucket, items=rows)


@routes.get(
    "/api/v1/audit/alerts",
    summary="Security alerts, newest first, each with the audit entries behind it",
    operation_id="list_security_alerts",
    query=AlertQuery,
    response=AlertList,
    role=Role.ADMIN,
)
async def list_alerts(request: web.Request, query: AlertQuery) -> AlertList:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        rows = await db.list_alerts(conn, query.limit)
    # Summaries are stored in English (audit/alerts.py marks each sentence): said again in the
    # request's language, its action and roles in words, as the notifications say them in their
    # recipient's.
    language = get_language()
    return AlertList(
        items=[r.model_copy(update={"summary": alert_summary(r.summary, language)}) for r in rows]
    )


@routes.get(
    "/api/v1/audit/trends",
    summary="Each action's last hour against the same hour of previous weeks; spikes first",
    response=TrendList,
    role=Role.ADMIN,
)
async def audit_trends(request: web.Request) -> TrendList:
    caller = identity(request)
    settings = request.app[SETTINGS].audit
    end = datetime.now(UTC)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        rows = await db.weekly_windows(conn, end - trends.WINDOW, end, settings.trend_weeks)
    return trends.compare(rows, end=end, settings=settings)


@routes.get(
    "/api/v1/audit/export",
    summary="Export entries of a period as csv or jsonl, with the chain data to re-verify them",
    query=ExportQuery,
    role=Role.ADMIN,
    media_types=tuple(MEDIA_TYPES.values()),
)
async def export_audit(request: web.Request, query: ExportQuery) -> web.StreamResponse:
    caller = identity(request)
    response = web.StreamResponse(
        headers={
            "Content-Type": MEDIA_TYPES[query.format],
            "Content-Disposition": f'attachment; filename="audit.{query.format}"',
        }
    )
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        # Recorded first, in the export's own transaction: the export includes its own record
        # only when the period reaches now, and is never made without one.
        await audit_in(
            request,
            conn,
            "audit.export",
            target_type="audit",
            diff={"format": {"before": None, "after": query.format}},
        )
        await response.prepare(request)
        if query.format == "csv":
            await response.write(csv_header())
        async for chunk in _chunks(
            db.iter_entries(conn, since=query.since, until=query.until), query.format
        ):
            await response.write(chunk)
    await response.write_eof()
    return response


async def _chunks(rows: AsyncIterator[asyncpg.Record], fmt: Format) -> AsyncIterator[bytes]:
    batch: list[bytes] = []
    async for row in rows:
        batch.append(render(row, fmt))
        if len(batch) >= 500:
            yield b"".join(batch)
            batch.clear()
    if batch:
        yield b"".join(batch)


@routes.get(
    "/api/v1/audit/{id}",
    summary="One audit entry with its before/after difference",
    response=AuditEntryOut,
    role=Role.ADMIN,
    errors=(404,),
)
async def get_audit_entry(request: web.Request) -> AuditEntryOut:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        row = await db.get_entry(conn, path_uuid(request))
    if row is None:
        raise NotFound("no such audit entry")
    return entry_out(row)
