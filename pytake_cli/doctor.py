"""``pytake doctor``: every connectivity check, one sentence each; exit 1 when one failed.

The checks run here, not in the daemon (``pytake_daemon.system.checks``, the same code as
``GET /api/v1/system/checks``), so the doctor works when the daemon doesn't start, and it sees
every tenant's numbers through the owner's connection.
"""

from __future__ import annotations

import contextlib
from typing import Annotated

import aiohttp
import typer
from redis.asyncio import Redis
from rich.markup import escape

from pytake_cli.context import Backend, console, handle_errors, perform, respond
from pytake_cli.doctor_sentences import check_detail, check_name
from pytake_cli.i18n import N_, _
from pytake_cli.options import JsonOpt
from pytake_daemon.db.pool import Pool, create_pool
from pytake_daemon.protocol.system import CheckStatus, SystemChecks
from pytake_daemon.system import db
from pytake_daemon.system.checks import CHECK_TIMEOUT, Targets, run_checks
from pytake_daemon.system.db import NumberTarget, SmtpTarget
from pytake_daemon.whatsapp.graph import GraphClient
from pytake_daemon.whatsapp.secretbox import load_secret_box

_MARKS = {
    CheckStatus.PASSED: ("green", N_("passed")),
    CheckStatus.FAILED: ("bold red", N_("FAILED")),
    CheckStatus.SKIPPED: ("yellow", N_("skipped")),
}


TenantFilter = Annotated[
    str | None,
    typer.Option("--tenant", "-t", help="Check only this tenant's numbers and SMTP (slug)."),
]


@handle_errors
def doctor(tenant: TenantFilter = None, as_json: JsonOpt = False) -> None:
    """Check the database, Redis, each number's Graph API token, the webhook, storage, SMTP,
    outbound HTTP, the clock and the disk; exit 1 when any check fails."""
    result = perform(lambda backend: check_installation(backend, tenant=tenant))
    respond(result, as_json=as_json, show=_show_checks)
    if not result.ok:
        raise typer.Exit(1)


def _show_checks(result: SystemChecks) -> None:
    # The daemon words the checks in English; --json keeps them so, people read them translated.
    marks = {status: (style, _(label)) for status, (style, label) in _MARKS.items()}
    mark_width = max(len(label) for _style, label in marks.values())
    names = [check_name(c.name) for c in result.checks]
    width = max(len(name) for name in names)
    for c, name in zip(result.checks, names, strict=True):
        style, label = marks[c.status]
        # One line per check however narrow the terminal; a detail quoting Meta or a server
        # may hold brackets, which must not be read as markup.
        console.print(
            f"[{style}]{label:<{mark_width}}[/]  {escape(name):<{width}}  "
            f"{escape(check_detail(c.detail))}",
            highlight=False,
            soft_wrap=True,
        )
    counts = {s: sum(c.status is s for c in result.checks) for s in CheckStatus}
    console.print(
        _("{value} passed, {value2} failed, {value3} skipped").format(
            value=counts[CheckStatus.PASSED],
            value2=counts[CheckStatus.FAILED],
            value3=counts[CheckStatus.SKIPPED],
        ),
        highlight=False,
    )


async def check_installation(backend: Backend, *, tenant: str | None = None) -> SystemChecks:
    """Connect to what is reachable and run every check; what isn't is a failed check."""
    cfg, endpoints = backend.cfg, backend.endpoints
    numbers, smtp = await _tenant_targets(backend)
    if tenant is not None:
        numbers = None if numbers is None else [n for n in numbers if n.tenant == tenant]
        smtp = None if smtp is None else [s for s in smtp if s.tenant == tenant]
    pool: Pool | None = None
    pool_error: str | None = None
    try:
        pool = await create_pool(
            endpoints.app_dsn.get_secret_value(),
            min_size=1,
            max_size=2,
            statement_cache_size=cfg.database.statement_cache_size,
        )
    except Exception as exc:  # the database check says why
        pool_error = str(exc) or type(exc).__name__
    redis = Redis.from_url(
        endpoints.redis_url.get_secret_value(), socket_timeout=5, socket_connect_timeout=5
    )
    timeout = aiohttp.ClientTimeout(total=CHECK_TIMEOUT)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as http:
            graph = GraphClient(
                http, base_url=cfg.whatsapp.graph_base_url, api_version=cfg.whatsapp.api_version
            )
            return await run_checks(
                Targets(
                    settings=cfg,
                    pool=pool,
                    redis=redis,
                    graph=graph,
                    http=http,
                    box=load_secret_box(cfg),
                    numbers=numbers,
                    smtp=smtp,
                    pool_error=pool_error,
                )
            )
    finally:
        await redis.aclose()
        if pool is not None:
            await pool.close()


async def _tenant_targets(
    backend: Backend,
) -> tuple[list[NumberTarget] | None, list[SmtpTarget] | None]:
    """Every tenant's numbers and SMTP settings (owner role); None for what can't be read."""
    admin_dsn = backend.endpoints.admin_dsn
    if admin_dsn is None:
        return None, None
    try:
        conn = await backend.connect(admin_dsn.get_secret_value())
    except Exception:  # the database check says why
        return None, None
    numbers: list[NumberTarget] | None = None
    smtp: list[SmtpTarget] | None = None
    try:
        with contextlib.suppress(Exception):
            numbers = await db.live_numbers(conn)
        with contextlib.suppress(Exception):  # a schema before 0025 has no SMTP settings
            smtp = await db.smtp_settings(conn)
    finally:
        await conn.close()
    return numbers, smtp
