"""Exports of a report's tables and of the period's conversations and messages, as CSV, JSON
Lines or XLSX, one row at a time (constant memory): the same code serves the API's stream and
``pytake report export``.

Times are written in the report's time zone, ISO 8601 with their offset. XLSX goes through
xlsxwriter's ``constant_memory`` mode (each row flushed to the temporary file as it is
written), since a workbook can only be streamed once it is complete.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import xlsxwriter  # type: ignore[import-untyped]  # no stubs or py.typed

from pytake_daemon.attendance.hours import zone
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol.reports import BreakdownRow, Dataset, ExportFormat, ReportOut
from pytake_daemon.reports import db, export_db
from pytake_daemon.reports.db import Scope
from pytake_daemon.reports.service import invalid

MEDIA_TYPES: dict[ExportFormat, str] = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.JSONL: "application/x-ndjson",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
RAW = frozenset({Dataset.CONVERSATIONS, Dataset.MESSAGES})
CHUNK_ROWS = 500
# Excel's hard limits: a longer cell is refused, a longer sheet truncated.
_XLSX_CELL = 32_767
_XLSX_ROWS = 1_048_576

Row = Sequence[Any]


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: Iterable[Row]


def report_table(report: ReportOut, dataset: Dataset) -> Table:
    """One of a report's tables (everything but the raw datasets)."""
    if dataset is Dataset.SUMMARY:
        return Table(("figure", "value"), _summary(report))
    if dataset is Dataset.HOURLY:
        return Table(
            ("start", "inbound", "outbound", "opened", "closed"),
            ((p.start, p.inbound, p.outbound, p.opened, p.closed) for p in report.hourly),
        )
    if dataset is Dataset.HEATMAP:
        return Table(
            ("weekday", "hour", "messages"),
            ((c.weekday, c.hour, c.messages) for c in report.heatmap),
        )
    if dataset is Dataset.BREAKDOWN:
        columns = tuple(BreakdownRow.model_fields)
        return Table(
            columns,
            ([getattr(r, c) for c in columns] for r in report.breakdown),
        )
    if dataset is Dataset.CSAT:
        return Table(
            ("day", "ratings", "average"),
            ((d.day, d.ratings, d.average) for d in report.csat_trend),
        )
    if dataset is Dataset.INTENTS:
        return Table(("intent", "count"), ((i.intent, i.count) for i in report.mood.top_intents))
    if dataset is Dataset.ERRORS:
        return Table(
            ("code", "title", "count"), ((e.code, e.title, e.count) for e in report.meta_errors)
        )
    raise ValueError(f"{dataset} is not one of a report's tables")


def _summary(report: ReportOut) -> Iterator[Row]:
    """Every scalar figure as (dotted name, value)."""
    for section in ("volumes", "attendance", "csat", "automation", "mood", "templates"):
        yield from _flatten(section, getattr(report, section).model_dump(mode="python"))


def _flatten(prefix: str, value: Any) -> Iterator[Row]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _flatten(f"{prefix}.{key}", inner)
    elif isinstance(value, list):
        for item in value:
            label, *rest = item.values()
            yield (f"{prefix}.{label}", rest[0] if rest else None)
    else:
        yield (prefix, value)


MESSAGE_COLUMNS = (
    "created_at",
    "id",
    "conversation_id",
    "direction",
    "type",
    "status",
    "text",
    "sent_by",
    "error_code",
    "error_title",
)
CONVERSATION_COLUMNS = (
    "id",
    "wa_id",
    "profile_name",
    "status",
    "queue_id",
    "assigned_user_id",
    "created_at",
    "last_message_at",
    "messages",
    "inbound",
)


def raw_statement(dataset: Dataset, scope: Scope) -> tuple[str, tuple[str, ...]]:
    """The statement and columns of a raw dataset for the scope."""
    if dataset is Dataset.MESSAGES:
        sql = export_db.EXPORT_WINDOWED_MESSAGES if scope.windowed else export_db.EXPORT_MESSAGES
        return sql, MESSAGE_COLUMNS
    return export_db.EXPORT_CONVERSATIONS, CONVERSATION_COLUMNS


async def raw_rows(
    conn: Connection, dataset: Dataset, scope: Scope
) -> tuple[tuple[str, ...], AsyncIterator[Row]]:
    """Columns and rows of a raw dataset, from a cursor (call inside a transaction)."""
    sql, columns = raw_statement(dataset, scope)
    await db.tune_for_reports(conn)

    async def rows() -> AsyncIterator[Row]:
        record: asyncpg.Record
        async for record in export_db.iter_rows(conn, sql, scope):
            yield [record[c] for c in columns]

    return columns, rows()


def plain(value: Any, tz: str) -> Any:
    """A cell as text-friendly JSON: times in the report's zone, ids as strings."""
    if isinstance(value, datetime):
        return value.astimezone(zone(tz)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "value") and not isinstance(value, int):  # an enum
        return value.value
    return value


def csv_line(values: Iterable[Any]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(["" if v is None else v for v in values])
    return out.getvalue().encode()


def header(columns: Sequence[str], fmt: ExportFormat) -> bytes:
    return csv_line(columns) if fmt is ExportFormat.CSV else b""


def render(columns: Sequence[str], row: Row, fmt: ExportFormat, tz: str) -> bytes:
    """One CSV or JSON Lines record, newline-terminated."""
    values = [plain(v, tz) for v in row]
    if fmt is ExportFormat.CSV:
        return csv_line(values)
    record = dict(zip(columns, values, strict=True))
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


async def text_chunks(
    columns: Sequence[str], rows: AsyncIterator[Row], fmt: ExportFormat, tz: str
) -> AsyncIterator[tuple[bytes, int]]:
    """The export as chunks of about :data:`CHUNK_ROWS` records, each with its row count."""
    first = header(columns, fmt)
    if first:
        yield first, 0
    batch: list[bytes] = []
    async for row in rows:
        batch.append(render(columns, row, fmt, tz))
        if len(batch) >= CHUNK_ROWS:
            yield b"".join(batch), len(batch)
            batch.clear()
    if batch:
        yield b"".join(batch), len(batch)


class XlsxSheet:
    """A one-sheet workbook written row by row to ``path`` (constant memory)."""

    def __init__(self, path: Path, columns: Sequence[str], *, title: str) -> None:
        self._book = xlsxwriter.Workbook(
            str(path), {"constant_memory": True, "strings_to_numbers": False}
        )
        self._sheet = self._book.add_worksheet(title[:31])
        bold = self._book.add_format({"bold": True})
        for col, name in enumerate(columns):
            self._sheet.write_string(0, col, name, bold)
        self._row = 1

    def add(self, row: Row, tz: str) -> None:
        if self._row >= _XLSX_ROWS:
            # Nothing has been sent yet (the workbook goes out complete): a 422, or one line.
            raise invalid("format", f"an XLSX sheet holds at most {_XLSX_ROWS:,} rows: use csv")
        for col, value in enumerate(row):
            cell = plain(value, tz)
            if cell is None:
                continue
            if isinstance(cell, bool) or not isinstance(cell, int | float):
                self._sheet.write_string(self._row, col, str(cell)[:_XLSX_CELL])
            else:
                self._sheet.write_number(self._row, col, cell)
        self._row += 1

    def close(self) -> None:
        self._book.close()
