"""The reports' resource: the roll-up pass, a supervised loop (``/readyz`` names it if it stops
completing passes)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from pytake_daemon.keys import DB_POOL, LOOPS
from pytake_daemon.reports.rollup import INTERVAL_SECONDS, rollup_pass


async def reports_ctx(app: web.Application) -> AsyncIterator[None]:
    pool = app[DB_POOL]

    async def run_pass() -> None:
        await rollup_pass(pool)

    # A pass is a wait and a roll-up: healthy means one completes within two intervals.
    task = app[LOOPS].start("report-rollup", run_pass, deadline=2 * INTERVAL_SECONDS + 60)
    yield
    task.cancel()
    with contextlib.suppress(BaseException):
        await task
    app[LOOPS].forget("report-rollup")
