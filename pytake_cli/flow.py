"""``pytake flow import|export|validate|list|publish|test``: automation flows as YAML or JSON
files. ``validate`` and ``test`` need no database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import ValidationError
from rich.table import Table

from pytake_cli.context import (
    EXIT_CONFIG,
    Backend,
    console,
    fail,
    handle_errors,
    perform,
    print_json,
    respond,
    run,
    settings,
)
from pytake_cli.i18n import _
from pytake_daemon.errors import PyTakeError
from pytake_daemon.flows import db, service
from pytake_daemon.flows.http_call import FlowHttp, HttpPolicy
from pytake_daemon.flows.testing import run_script
from pytake_daemon.flows.validation import check_document
from pytake_daemon.protocol.flows import FlowDocument, FlowOut, FlowSummary, FlowTestScript

app = typer.Typer(help="Automation flows (YAML or JSON files).", no_args_is_help=True)

TenantOpt = Annotated[str, typer.Option("--tenant", "-t", help="Tenant slug or id.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
FileArg = Annotated[Path, typer.Argument(help="Flow file (.yaml, .yml or .json).")]


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"{path}: {exc.strerror or exc}", code=EXIT_CONFIG)
    try:
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        fail(
            _("{path}: not valid {value}: {join}").format(
                path=path,
                value="JSON" if path.suffix == ".json" else "YAML",
                join=" ".join(str(exc).split()),
            ),
            code=EXIT_CONFIG,
        )


def load_document(path: Path) -> FlowDocument:
    """The flow in ``path``, or exit 2 listing every problem (node id, field, why)."""
    document, problems = check_document(_read(path))
    if problems or document is None:
        for problem in problems:
            typer.echo(f"{path}: {problem}", err=True)
        fail(
            _("{path}: {len} problem(s); nothing stored").format(path=path, len=len(problems)),
            code=EXIT_CONFIG,
        )
    return document


@app.command("validate")
@handle_errors
def validate(file: FileArg) -> None:
    """Check a flow file; exit 2 with every problem listed."""
    document = load_document(file)
    console.print(
        _("{file}: valid ({len} nodes, {len2} edges)").format(
            file=file, len=len(document.definition.nodes), len2=len(document.definition.edges)
        )
    )


@app.command("test")
@handle_errors
def run_flow_test(
    file: FileArg,
    script: Annotated[Path, typer.Option("--script", "-s", help="Conversation script (YAML).")],
    live_http: Annotated[
        bool, typer.Option("--live-http", help="Call real URLs for http nodes without a mock.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Run a scripted conversation against a flow file; exit 1 when an expectation fails."""
    document = load_document(file)
    try:
        parsed = FlowTestScript.model_validate(_read(script))
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "(root)"
        fail(f"{script}: {where}: {first['msg']}", code=EXIT_CONFIG)
    cfg = settings()

    async def go() -> Any:
        http = None
        if live_http:
            http = FlowHttp(
                HttpPolicy(cfg.flows.http_allowed),
                default_timeout=cfg.flows.http_timeout_seconds,
                max_response_bytes=cfg.flows.http_max_response_bytes,
            )
        try:
            return await run_script(
                document.definition,
                parsed,
                http=http,
                max_steps=cfg.flows.max_steps_per_message,
            )
        finally:
            if http is not None:
                await http.close()

    result = run(go())
    if as_json:
        print_json(result)
    else:
        for line in result.transcript:
            who = {"customer": "[cyan]customer[/]", "bot": "[green]bot[/]"}.get(
                line.who, "[dim]system[/]"
            )
            console.print(f"{who}: {line.text}", highlight=False)
        for failure in result.failures:
            console.print(_("[bold red]FAIL[/] {failure}").format(failure=failure), highlight=False)
        console.print(
            _("{value}: {len} steps, {len2} failure(s)").format(
                value="passed" if result.passed else "failed",
                len=len(result.steps),
                len2=len(result.failures),
            )
        )
    if not result.passed:
        raise typer.Exit(1)


@app.command("import")
@handle_errors
def import_(
    file: FileArg,
    tenant: TenantOpt,
    publish: Annotated[bool, typer.Option("--publish", help="Publish the new version.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Store a flow file: a new flow, or a new version of the flow with the same name."""
    document = load_document(file)

    async def store(backend: Backend) -> FlowOut:
        async with backend.tenant(tenant) as conn:
            flow = await service.import_flow(conn, document)
            if publish:
                flow = await service.publish(conn, flow.id, flow.latest_version)
            return flow

    respond(
        perform(store), as_json=as_json, show=lambda flow: _show_imported(flow, published=publish)
    )


@app.command("export")
@handle_errors
def export(
    flow: Annotated[str, typer.Argument(help="Flow name or id.")],
    tenant: TenantOpt,
    version: Annotated[int | None, typer.Option(help="Default: the latest.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="yaml or json.")] = "yaml",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Default: stdout.")] = None,
) -> None:
    """Write a flow version as a file that ``pytake flow import`` reads back."""
    if fmt not in ("yaml", "json"):
        fail(_("--format must be yaml or json"), code=EXIT_CONFIG)

    async def fetch(backend: Backend) -> FlowOut:
        async with backend.tenant(tenant) as conn:
            row = await db.find_flow(conn, flow)
            if row is None:
                raise PyTakeError(_("no flow {flow!r} (see 'pytake flow list')").format(flow=flow))
            return await service.get_flow(conn, row["id"], version)

    found = perform(fetch)
    document = FlowDocument(
        name=found.name, description=found.description, definition=found.definition
    ).model_dump(mode="json", exclude_none=True, by_alias=True)
    text = (
        json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        if fmt == "json"
        else yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    )
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(
            _("wrote {name} v{version} to {output}").format(
                name=found.name, version=found.version, output=output
            )
        )


@app.command("list")
@handle_errors
def list_(tenant: TenantOpt, as_json: JsonOpt = False) -> None:
    """The tenant's flows and their versions."""

    async def fetch(backend: Backend) -> list[FlowSummary]:
        async with backend.tenant(tenant) as conn:
            return [service.summary(r) for r in await db.list_flows(conn)]

    respond(perform(fetch), as_json=as_json, show=_show_items)


@app.command("publish")
@handle_errors
def publish_(
    flow: Annotated[str, typer.Argument(help="Flow name or id.")],
    tenant: TenantOpt,
    version: Annotated[int | None, typer.Option(help="Default: the latest.")] = None,
) -> None:
    """Publish a version: new sessions start on it; running ones keep theirs."""

    async def apply(backend: Backend) -> FlowOut:
        async with backend.tenant(tenant) as conn:
            row = await db.find_flow(conn, flow)
            if row is None:
                raise PyTakeError(_("no flow {flow!r} (see 'pytake flow list')").format(flow=flow))
            return await service.publish(conn, row["id"], version)

    found = perform(apply)
    console.print(
        _("published {name} v{published_version}").format(
            name=found.name, published_version=found.published_version
        )
    )


def _show_imported(flow: FlowOut, *, published: bool) -> None:
    state = f", published v{flow.published_version}" if published else ""
    console.print(
        _("imported {name} v{latest_version} ({id}){state}").format(
            name=flow.name, latest_version=flow.latest_version, id=flow.id, state=state
        )
    )


def _show_items(items: list[FlowSummary]) -> None:
    table = Table(_("name"), _("status"), _("latest"), _("published"), _("id"))
    for f in items:
        table.add_row(
            f.name,
            f.status.value,
            str(f.latest_version),
            str(f.published_version or "-"),
            str(f.id),
        )
    console.print(table)
