"""The reports' resources: the roll-up pass and the scheduled e-mail reports' pass, supervised
loops (``/readyz`` names one if it stops completing passes)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web

from pytake_daemon.keys import DB_POOL, LOOPS, SECRET_BOX, SETTINGS
from pytake_daemon.reports.mail import ReportMailer, utc_now
from pytake_daemon.reports.rollup import INTERVAL_SECONDS, rollup_pass
from pytake_daemon.roles import runs_jobs

# Owned here, not in keys.py: nothing below the reports may know it (import-linter).
REPORT_MAILER = web.AppKey("report_mailer", ReportMailer)


async def reports_ctx(app: web.Application) -> AsyncIterator[None]:
    pool = app[DB_POOL]

    async def run_pass() -> None:
        await rollup_pass(pool)

    mailer = ReportMailer(pool, app[SECRET_BOX], app[SETTINGS].notifications, clock=utc_now)
    app[REPORT_MAILER] = mailer
    loops = app[LOOPS]
    tasks = []
    if runs_jobs(app):  # a jobs process's work (pytake_daemon/roles.py)
        tasks = [
            # A pass is a wait and a roll-up: healthy means one completes within two intervals.
            loops.start("report-rollup", run_pass, deadline=2 * INTERVAL_SECONDS + 60),
            # A pass may spend minutes retrying an SMTP server that is away: alive is what
            # counts.
            loops.start("report-mail", mailer.run_pass, deadline=None),
        ]
    yield
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    loops.forget("report-rollup")
    loops.forget("report-mail")
