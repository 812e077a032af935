"""The AI domain's resources for the app's ``cleanup_ctx``: the model thread pool, the analyser
(built and the built-in intent model trained in that pool, off the event loop), the ingest hook,
and a job runner of the AI's own for the analysis and the delayed human-request check.

Why a runner of its own: the app's runner shares one concurrency limit among every kind, so
analyses waiting for the model thread would hold the slots that flow steps and the ingest
fan-out need; here they wait among themselves (``[ai] workers`` + 1 at a time: one batch
storing while the models analyse the next), and an AI backlog never delays a reply.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from pytake_daemon.ai.analyzer import shared_analyzer
from pytake_daemon.ai.batch import HUMAN_REQUEST_JOB
from pytake_daemon.ai.batch_models import start_model_process
from pytake_daemon.ai.service import ANALYSIS_JOB, AiService
from pytake_daemon.jobs.runner import JobRunner
from pytake_daemon.keys import (
    ACK_PRIORITY,
    AI,
    CLAIMER,
    DB_POOL,
    EVENT_BUS,
    INGEST_FANOUT,
    LOOPS,
    SETTINGS,
)
from pytake_daemon.roles import job_bell, on_bell, runs_jobs


async def ai_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS].ai
    executor = ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="ai")
    loop = asyncio.get_running_loop()
    analyzer = await loop.run_in_executor(executor, shared_analyzer)
    jobs = JobRunner(
        app[DB_POOL],
        loops=app[LOOPS],
        concurrency=settings.workers + 1,
        priority=app[ACK_PRIORITY],
        forward=job_bell(app),
        claimer=app[CLAIMER].tag,
    )
    # The batches run where the jobs are claimed: a web process needs no model process.
    process = start_model_process(settings.workers) if settings.process and runs_jobs(app) else None
    service = AiService(
        app[DB_POOL], app[EVENT_BUS], settings, analyzer, executor, jobs, process=process
    )
    # Train the shared built-in model now rather than on the first customer message (in the
    # thread pool for the endpoints that analyse a text, and in the process for the batches).
    await service.models.get(())
    # The child starts in the background (importing the models takes seconds of CPU): the
    # daemon is ready meanwhile, and a first batch just waits for it.
    warming = asyncio.create_task(process.warm()) if process is not None else None
    app[AI] = service
    # Off the reply's path, so it may gather: a batch costs about as much for 1 message as for
    # 40 (bench/echo.py: 0.3 ms of CPU an echo less at 300/s; bench/README.md, session 24).
    jobs.register_batch(
        ANALYSIS_JOB, service.on_analysis_due, gather_seconds=settings.batch_wait_seconds
    )
    jobs.register(HUMAN_REQUEST_JOB, service.on_human_request_due)
    app[INGEST_FANOUT].add_inbound_hook(service.on_inbound)
    on_bell(app, "job", lambda kind: jobs.wake(kind) if kind else jobs.wake_all())
    if runs_jobs(app):
        jobs.start()
    yield
    await jobs.stop()
    # Not wait=True: that would block the event loop while a model finishes in its thread.
    executor.shutdown(wait=False, cancel_futures=True)
    if warming is not None and not warming.done():
        warming.cancel()
    if process is not None:
        process.close()
