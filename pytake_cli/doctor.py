"""``pytake doctor``: every connectivity check, one sentence each; exit 1 when one failed.

The checks run here, not in the daemon (``pytake_daemon.system.checks``, the same code as
``GET /api/v1/system/checks``), so the doctor works when the daemon doesn't start, and it sees
every tenant's numbers through the owner's connection.
"""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

import aiohttp
import typer
from redis.asyncio import Redis
from rich.markup import escape

from pytake_cli.context import console, handle_errors, print_json, run, services, settings
from pytake_cli.i18n import _
from pytake_cli.options import JsonOpt
from pytake_daemon.config import Settings
from pytake_daemon.db.pool import Pool, connect, create_pool
from pytake_daemon.protocol.system import CheckStatus, SystemChecks
from pytake_daemon.system import db
from pytake_daemon.system.checks import CHECK_TIMEOUT, Targets, run_checks
from pytake_daemon.system.db import NumberTarget, SmtpTarget
from pytake_daemon.whatsapp.graph import GraphClient
from pytake_daemon.whatsapp.secretbox import load_secret_box

_MARKS = {
    CheckStatus.PASSED: "[green]passed [/]",
    CheckStatus.FAILED: "[bold red]FAILED [/]",
    CheckStatus.SKIPPED: "[yellow]skipped[/]",
}


TenantFilter = Annotated[
    str | None,
    typer.Option("--tenant", "-t", help="Check only this tenant's numbers and SMTP (slug)."),
]


@handle_errors
def doctor(tenant: TenantFilter = None, as_json: JsonOpt = False) -> None:
    """Check the database, Redis, each number's Graph API token, the webhook, storage, SMTP,
    outbound HTTP, the clock and the disk; exit 1 when any check fails."""
    cfg = settings()
    with services(cfg) as endpoints:
        result = run(check_installation(cfg, endpoints, tenant=tenant))
    if as_json:
        print_json(result)
    else:
        width = max(len(c.name) for c in result.checks)
        for c in result.checks:
            # One line per check however narrow the terminal; a detail quoting Meta or a server
            # may hold brackets, which must not be read as markup.
            console.print(
                f"{_MARKS[c.status]}  {escape(c.name):<{width}}  {escape(c.detail)}",
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
    if not result.ok:
        raise typer.Exit(1)


async def check_installation(
    cfg: Settings, endpoints: Any, *, tenant: str | None = None
) -> SystemChecks:
    """Connect to what is reachable and run every check; what isn't is a failed check."""
    numbers, smtp = await _tenant_targets(endpoints)
    if tenant is not None:
        numbers = None if numbers is None else [n for n in numbers if n.tenant == tenant]
        smtp = None if smtp is None else [s for s in smtp if s.tenant == tenant]
    pool: Pool | None = None
    pool_error: str | None = None
    try:
        pool = await create_pool(endpoints.app_dsn.get_secret_value(), min_size=1, max_size=2)
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
    endpoints: Any,
) -> tuple[list[NumberTarget] | None, list[SmtpTarget] | None]:
    """Every tenant's numbers and SMTP settings (owner role); None for what can't be read."""
    if endpoints.admin_dsn is None:
        return None, None
    try:
        conn = await connect(endpoints.admin_dsn.get_secret_value())
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
