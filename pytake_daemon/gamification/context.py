"""Gamification's resource: the scoring pass, a supervised loop (``/readyz`` names it if it
stops completing passes)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web

from pytake_daemon.gamification.scoring import INTERVAL_SECONDS, scoring_pass
from pytake_daemon.keys import DB_POOL, LOOPS
from pytake_daemon.roles import runs_jobs

_LOOP = "gamification-scoring"


async def gamification_ctx(app: web.Application) -> AsyncIterator[None]:
    pool = app[DB_POOL]

    async def run_pass() -> None:
        await scoring_pass(pool)

    loops = app[LOOPS]
    tasks = []
    if runs_jobs(app):  # a jobs process's work (pytake_daemon/roles.py)
        # A pass is a wait and a score: healthy means one completes within two intervals.
        tasks.append(loops.start(_LOOP, run_pass, deadline=2 * INTERVAL_SECONDS + 60))
    yield
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    loops.forget(_LOOP)
