"""``pytake audit verify|export|archive|checkpoint|keygen``: the audit log from the owner's side."""

from __future__ import annotations

import hashlib
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, BinaryIO, Literal

import typer

from pytake_cli.context import (
    Backend,
    console,
    fail,
    handle_errors,
    perform,
    respond,
    settings,
)
from pytake_cli.i18n import _
from pytake_daemon.audit import db
from pytake_daemon.audit.chain import GENESIS, verify_chain
from pytake_daemon.audit.cli_actions import record_cli_action
from pytake_daemon.audit.export import csv_header, render
from pytake_daemon.audit.signing import generate_key, load_key, public_bytes, sign
from pytake_daemon.audit.verify import TenantVerification, verify_tenant
from pytake_daemon.config import Settings
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.errors import PyTakeError
from pytake_daemon.tenancy.db import list_tenants, tenant_id

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)

TenantOpt = Annotated[
    str | None, typer.Option("--tenant", "-t", help="Tenant slug or id (default: every tenant).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


async def _tenants(conn: Connection, tenant: str | None) -> list[tuple[uuid.UUID, str]]:
    if tenant is not None:
        found = await tenant_id(conn, tenant)
        if found is None:
            raise PyTakeError(
                _("no tenant {tenant!r} (see 'pytake tenant list')").format(tenant=tenant)
            )
        return [(found, tenant)]
    return [(row.id, row.slug) for row in await list_tenants(conn)]


def _describe(slug: str, result: TenantVerification) -> dict[str, Any]:
    broken = result.chain.broken
    return {
        "tenant": slug,
        "ok": result.ok,
        "entries_verified": result.chain.checked,
        "head_seq": result.chain.last_seq,
        "checkpoints": result.checkpoints_checked,
        "first_bad_entry": None
        if broken is None
        else {"seq": broken.seq, "id": broken.entry_id, "reason": broken.reason},
        "checkpoint_problems": result.checkpoint_problems,
    }


@app.command("verify")
@handle_errors
def verify(tenant: TenantOpt = None, as_json: JsonOpt = False) -> None:
    """Recompute each tenant's hash chain and checkpoints; name the first bad entry."""

    async def check(backend: Backend) -> list[dict[str, Any]]:
        out = []
        async with backend.admin() as conn:
            for tid, slug in await _tenants(conn, tenant):
                async with conn.transaction(readonly=True):
                    await set_tenant(conn, tid)
                    out.append(_describe(slug, await verify_tenant(conn, tid)))
        return out

    results = perform(check)
    respond(results, as_json=as_json, show=_show_verified)
    if not all(r["ok"] for r in results):
        raise typer.Exit(1)


def _show_verified(results: list[dict[str, Any]]) -> None:
    for r in results:
        if r["ok"]:
            console.print(
                _(
                    "ok {tenant}: {entries_verified} entries verified (head seq "
                    "{head_seq}), {checkpoints} checkpoint(s)"
                ).format(
                    tenant=r["tenant"],
                    entries_verified=r["entries_verified"],
                    head_seq=r["head_seq"],
                    checkpoints=r["checkpoints"],
                )
            )
            continue
        bad = r["first_bad_entry"]
        if bad is not None:
            console.print(
                _(
                    "[bold red]BROKEN[/] {tenant}: first bad entry seq {seq} (id {id}): {reason}"
                ).format(tenant=r["tenant"], seq=bad["seq"], id=bad["id"], reason=bad["reason"]),
                highlight=False,
            )
        for problem in r["checkpoint_problems"]:
            console.print(
                _("[bold red]BROKEN[/] {tenant}: {problem}").format(
                    tenant=r["tenant"], problem=problem
                ),
                highlight=False,
            )


def _parse_time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        fail(
            _("{option}: expected an ISO date or time like 2025-01-31 or 2025-01-31T12:00Z").format(
                option=option
            ),
            code=2,
        )
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@app.command("export")
@handle_errors
def export(
    tenant: Annotated[str, typer.Option("--tenant", "-t", help="Tenant slug or id.")],
    from_: Annotated[str | None, typer.Option("--from", help="Start (ISO), inclusive.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="End (ISO), exclusive.")] = None,
    fmt: Annotated[
        Literal["csv", "jsonl"], typer.Option("--format", help="csv or jsonl.")
    ] = "jsonl",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
) -> None:
    """Export entries with their chain data (re-verifiable offline: see docs/audit.md)."""
    since, until = _parse_time(from_, "--from"), _parse_time(to, "--to")

    async def write(backend: Backend, out: BinaryIO) -> int:
        count = 0
        async with backend.admin() as conn:
            (tid, _slug), *_others = await _tenants(conn, tenant)
            async with conn.transaction():
                await set_tenant(conn, tid)
                await record_cli_action(
                    conn,
                    "audit.export",
                    target_type="audit",
                    diff={"format": {"before": None, "after": fmt}},
                )
                if fmt == "csv":
                    out.write(csv_header())
                async for row in db.iter_entries(conn, since=since, until=until):
                    out.write(render(row, fmt))
                    count += 1
        return count

    if output is None:
        perform(lambda backend: write(backend, sys.stdout.buffer))
        sys.stdout.flush()
    else:
        with output.open("wb") as handle:
            count = perform(lambda backend: write(backend, handle))
        console.print(_("exported {count} entries to {output}").format(count=count, output=output))


@app.command("archive")
@handle_errors
def archive(
    tenant: Annotated[str, typer.Option("--tenant", "-t", help="Tenant slug or id.")],
    output_dir: Annotated[Path, typer.Option("--output-dir", help="Where archive files go.")],
    before: Annotated[
        str | None,
        typer.Option(help="Archive entries older than this (default: audit.retention_days)."),
    ] = None,
) -> None:
    """Move entries past retention to a jsonl file (with their chain proof), then remove them."""
    cfg = settings()
    cutoff = _parse_time(before, "--before") or datetime.now(UTC) - timedelta(
        days=cfg.audit.retention_days
    )
    output_dir.mkdir(parents=True, exist_ok=True)

    async def apply(backend: Backend) -> tuple[int, Path | None]:
        async with backend.admin() as conn:
            (tid, slug), *_others = await _tenants(conn, tenant)
            async with conn.transaction():
                await set_tenant(conn, tid)
                # Appends wait while we archive, so the chain head can't move under us.
                await db.lock_chain_head(conn)
                last = await db.last_entry_before(conn, cutoff)
                if last is None:
                    return 0, None
                return await _archive_up_to(conn, slug, last["seq"], output_dir)

    count, path = perform(apply, cfg=cfg)
    if path is None:
        console.print(
            _("nothing older than {cutoff:%Y-%m-%d %H:%M} UTC to archive").format(cutoff=cutoff)
        )
    else:
        console.print(
            _("archived and removed {count} entries; archive: {path}").format(
                count=count, path=path
            )
        )


async def _archive_up_to(
    conn: Connection, slug: str, last_seq: int, output_dir: Path
) -> tuple[int, Path]:
    anchor = await db.chain_anchor(conn)
    start_seq, start_hash = (
        (anchor["last_seq"], bytes(anchor["last_hash"])) if anchor else (0, GENESIS)
    )
    rows = [row async for row in db.iter_entries(conn) if row["seq"] <= last_seq]
    report = verify_chain(rows, start_seq=start_seq, start_hash=start_hash)
    if not report.ok:
        raise PyTakeError(
            _("refusing to archive a broken chain: {broken}").format(broken=report.broken)
        )
    path = output_dir / f"audit-{slug}-{start_seq + 1}-{last_seq}.jsonl"
    data = b"".join(render(row, "jsonl") for row in rows)
    path.write_bytes(data)
    removed = await db.remove_archived(
        conn,
        first_seq=start_seq + 1,
        last_seq=last_seq,
        last_hash=report.last_hash,
        file_name=path.name,
        file_sha256=hashlib.sha256(data).hexdigest(),
    )
    await record_cli_action(
        conn,
        "audit.archive",
        target_type="audit",
        target_id=path.name,
        diff={"entries": {"before": removed, "after": 0}},
    )
    return removed, path


@app.command("checkpoint")
@handle_errors
def checkpoint(tenant: TenantOpt = None) -> None:
    """Sign each tenant's chain head with audit.checkpoint_key (run it from cron)."""
    cfg = settings()
    key = _key(cfg)

    async def apply(backend: Backend) -> list[tuple[str, int]]:
        signed = []
        async with backend.admin() as conn:
            for tid, slug in await _tenants(conn, tenant):
                async with conn.transaction():
                    await set_tenant(conn, tid)
                    head = await db.lock_chain_head(conn)
                    if head["seq"] is None:
                        continue
                    cp = sign(key, tid, head["seq"], bytes(head["hash"]), datetime.now(UTC))
                    await db.insert_checkpoint(
                        conn,
                        seq=cp.seq,
                        hash_=cp.hash,
                        signed_at=cp.signed_at,
                        public_key=cp.public_key,
                        signature=cp.signature,
                    )
                    signed.append((slug, cp.seq))
        return signed

    for slug, seq in perform(apply, cfg=cfg):
        console.print(_("signed {slug} at seq {seq}").format(slug=slug, seq=seq))


def _key(cfg: Settings) -> Any:
    if cfg.audit.checkpoint_key is None:
        raise PyTakeError(
            _("audit.checkpoint_key is not set (make one with 'pytake audit keygen')")
        )
    return load_key(cfg.audit.checkpoint_key.get_secret_value())


@app.command("keygen")
@handle_errors
def keygen() -> None:
    """Print a new Ed25519 checkpoint key (set it as PYTAKE_AUDIT__CHECKPOINT_KEY)."""
    private = generate_key()
    typer.echo(f"PYTAKE_AUDIT__CHECKPOINT_KEY={private}")
    public = public_bytes(load_key(private)).hex()
    console.print(
        _("public key (keep it with exported checkpoints): {public}").format(public=public),
        highlight=False,
    )
