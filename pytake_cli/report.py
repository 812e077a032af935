"""``pytake report show|export``: a tenant's reports over a period, and their exports.

The same figures and files as ``/api/v1/reports`` (``pytake_daemon.reports``), read as the
daemon's role under row-level security; exports are audited as the CLI's ``report.export``.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import typer
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from pytake_cli import report_schedule
from pytake_cli.context import (
    Backend,
    console,
    err_console,
    handle_errors,
    perform,
    respond,
)
from pytake_cli.i18n import _
from pytake_cli.options import JsonOpt, TenantOpt
from pytake_daemon.audit.cli_actions import record_cli_action
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import PyTakeError
from pytake_daemon.protocol.reports import (
    PERIOD_HELP,
    Dataset,
    ExportFormat,
    ReportOut,
    ReportQuery,
)
from pytake_daemon.reports import export, export_db
from pytake_daemon.reports.service import build_report, level_of, period_of, scope_of

app = typer.Typer(help="Reports over a period, and their exports.", no_args_is_help=True)
app.add_typer(report_schedule.app, name="schedule")

PeriodOpt = Annotated[str, typer.Option("--period", "-p", help=PERIOD_HELP)]
TzOpt = Annotated[str, typer.Option("--tz", help="IANA time zone of the days and hours.")]
QueueOpt = Annotated[str | None, typer.Option("--queue", help="Drill down: queue name or id.")]
AgentOpt = Annotated[str | None, typer.Option("--agent", help="Drill down: agent e-mail or id.")]
ConversationOpt = Annotated[
    str | None, typer.Option("--conversation", help="Drill down: one conversation's id.")
]

_QUEUE_BY_NAME = "SELECT id FROM queues WHERE tenant_id = current_tenant_id() AND name = $1"
_USER_BY_EMAIL = "SELECT id FROM users WHERE tenant_id = current_tenant_id() AND email = lower($1)"


def _query(period: str, tz: str, **ids: uuid.UUID | None) -> ReportQuery:
    try:
        return ReportQuery(period=period, tz=tz, **ids)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "period"
        raise PyTakeError(f"--{where.replace('_', '-')}: {err['msg']}") from None


async def _id(conn: Connection, value: str | None, sql: str, what: str) -> uuid.UUID | None:
    """An id as given, or the one the name (queue) or e-mail (agent) finds."""
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        pass
    found: uuid.UUID | None = await conn.fetchval(sql, value)
    if found is None:
        raise PyTakeError(_("no {what} {value!r}").format(what=what, value=value))
    return found


async def _resolve(
    conn: Connection,
    period: str,
    tz: str,
    queue: str | None,
    agent: str | None,
    conversation: str | None,
) -> ReportQuery:
    return _query(
        period,
        tz,
        queue_id=await _id(conn, queue, _QUEUE_BY_NAME, "queue"),
        agent_id=await _id(conn, agent, _USER_BY_EMAIL, "agent"),
        conversation_id=_conversation(conversation),
    )


def _conversation(value: str | None) -> uuid.UUID | None:
    try:
        return None if value is None else uuid.UUID(value)
    except ValueError:
        raise PyTakeError(
            _("--conversation: not a conversation id: {value!r}").format(value=value)
        ) from None


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _print(report: ReportOut) -> None:
    a, v = report.attendance, report.volumes
    console.print(
        _("[bold]{value}[/] report, {first_day} to {last_day} ({tz})").format(
            value=report.level.value,
            first_day=report.first_day,
            last_day=report.last_day,
            tz=report.tz,
        ),
        highlight=False,
    )
    lines = [
        ("messages in / out", f"{v.inbound} / {v.outbound}"),
        ("conversations opened / closed", f"{v.opened} / {v.closed}"),
        ("attendances / assigned", f"{a.entered} / {a.assigned}"),
        ("first response median / p90", f"{_seconds(a.first_response.median)} / "
                                        f"{_seconds(a.first_response.p90)}"),
        ("resolution median / p90", f"{_seconds(a.resolution.median)} / "
                                    f"{_seconds(a.resolution.p90)}"),
        ("SLA met", f"{a.sla.met} of {a.sla.met + a.sla.missed} ({_share(a.sla.rate)})"),
        ("abandoned", f"{a.abandoned} ({_share(a.abandonment_rate)})"),
        ("transfers", str(a.transfers)),
        ("CSAT", "-" if report.csat.average is None
                 else f"{report.csat.average:.2f} ({report.csat.ratings} ratings)"),
        ("automation", f"{report.automation.automated} of {report.automation.closed} "
                       f"({_share(report.automation.share)})"),
        ("mood +/=/-", f"{report.mood.positive}/{report.mood.neutral}/{report.mood.negative}"),
        ("templates sent / read", f"{report.templates.sent} / {report.templates.read} "
                                  f"({_share(report.templates.read_rate)})"),
    ]  # fmt: skip
    for label, value in lines:
        console.print(f"[bold]{label}[/]: {value}", highlight=False)
    for e in report.meta_errors:
        console.print(
            _("Meta error {code} ({title}): {count}").format(
                code=e.code, title=e.title, count=e.count
            ),
            highlight=False,
        )
    if report.breakdown:
        table = Table(
            report.breakdown[0].level.value,
            _("entered"),
            _("FRT median"),
            _("SLA"),
            _("CSAT"),
            _("id"),
        )
        for r in report.breakdown:
            csat = "-" if r.csat_average is None else f"{r.csat_average:.2f}"
            table.add_row(
                r.name, str(r.entered), _seconds(r.first_response_median), _share(r.sla_rate),
                csat, str(r.id),
            )  # fmt: skip
        console.print(table)


@app.command("show")
@handle_errors
def show(
    tenant: TenantOpt,
    period: PeriodOpt = "last-7d",
    tz: TzOpt = "UTC",
    queue: QueueOpt = None,
    agent: AgentOpt = None,
    conversation: ConversationOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The figures of a period; --queue, --agent, --conversation drill down."""

    async def fetch(backend: Backend) -> ReportOut:
        async with backend.tenant(tenant) as conn:
            query = await _resolve(conn, period, tz, queue, agent, conversation)
            return await build_report(conn, query, datetime.now(UTC))

    respond(perform(fetch), as_json=as_json, show=_show_report)


class _Bar:
    """Rows written, on stderr (stdout may be the export itself)."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def start(self, description: str, total: int | None) -> None:
        if self._progress is not None:
            self._task = self._progress.add_task(description, total=total)

    def advance(self, rows: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, rows)


def _progress(out: Path | None) -> AbstractContextManager[Progress | None]:
    if out is None or not err_console.is_terminal:
        return nullcontext()
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
    )


async def _aiter(rows: Iterable[export.Row]) -> AsyncIterator[export.Row]:
    for row in rows:
        yield row


@app.command("export")
@handle_errors
def export_cmd(
    dataset: Annotated[Dataset, typer.Argument(help="A table of the report, or raw rows.")],
    tenant: TenantOpt,
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="File format.")] = (
        ExportFormat.CSV
    ),
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="File to write (default: stdout).")
    ] = None,
    period: PeriodOpt = "last-7d",
    tz: TzOpt = "UTC",
    queue: QueueOpt = None,
    agent: AgentOpt = None,
    conversation: ConversationOpt = None,
) -> None:
    """Export a report's table or the period's conversations or messages, with progress."""
    if fmt is ExportFormat.XLSX and out is None:
        raise PyTakeError(_("--format xlsx needs --out FILE"))

    async def write(backend: Backend, bar: _Bar) -> int:
        now = datetime.now(UTC)
        async with backend.tenant(tenant) as conn:
            query = await _resolve(conn, period, tz, queue, agent, conversation)
            period_ = period_of(query, now)
            scope = await scope_of(conn, query, period_)
            await record_cli_action(
                conn,
                "report.export",
                target_type="report",
                target_id=dataset.value,
                diff=_audit_diff(dataset, fmt, query, period_.first_day, period_.last_day),
            )
        # Audited and committed first (as the API does); then read in a transaction of its own.
        async with backend.tenant(tenant) as conn:
            if dataset in export.RAW:
                sql, _params = export.raw_statement(dataset, scope)
                bar.start(
                    f"{dataset.value} ({fmt.value})", await export_db.count_rows(conn, sql, scope)
                )
                columns, rows = await export.raw_rows(conn, dataset, scope)
            else:
                table = export.report_table(await build_report(conn, query, now), dataset)
                rows_list = list(table.rows)
                bar.start(f"{dataset.value} ({fmt.value})", len(rows_list))
                columns, rows = table.columns, _aiter(rows_list)
            if fmt is ExportFormat.XLSX:
                assert out is not None
                return await _xlsx(out, columns, rows, tz, bar)
            if out is None:
                return await _text(sys.stdout.buffer, columns, rows, fmt, tz, bar)
            with out.open("wb") as handle:
                return await _text(handle, columns, rows, fmt, tz, bar)

    with _progress(out) as progress:
        count = perform(lambda backend: write(backend, _Bar(progress)))
    sys.stdout.flush()
    if out is not None:
        console.print(_("exported {count} rows to {out}").format(count=count, out=out))


def _audit_diff(
    dataset: Dataset, fmt: ExportFormat, query: ReportQuery, first: Any, last: Any
) -> dict[str, Any]:
    after = {
        "dataset": dataset.value,
        "format": fmt.value,
        "first_day": str(first),
        "last_day": str(last),
        "tz": query.tz,
        "level": level_of(query).value,
    }
    return {"export": {"before": None, "after": after}}


async def _text(
    handle: BinaryIO,
    columns: tuple[str, ...],
    rows: AsyncIterator[export.Row],
    fmt: ExportFormat,
    tz: str,
    bar: _Bar,
) -> int:
    count = 0
    async for chunk, n in export.text_chunks(columns, rows, fmt, tz):
        handle.write(chunk)
        count += n
        bar.advance(n)
    return count


async def _xlsx(
    out: Path, columns: tuple[str, ...], rows: AsyncIterator[export.Row], tz: str, bar: _Bar
) -> int:
    sheet = export.XlsxSheet(out, columns, title=_("report"))
    count = 0
    try:
        async for row in rows:
            sheet.add(row, tz)
            count += 1
            if count % export.CHUNK_ROWS == 0:
                bar.advance(export.CHUNK_ROWS)
    finally:
        sheet.close()
    bar.advance(count % export.CHUNK_ROWS)
    return count


def _show_report(report: ReportOut) -> None:
    _print(report)
