"""The AI domain's resources for the app's ``cleanup_ctx``: the model thread pool, the analyser
(built and the built-in intent model trained in that pool, off the event loop), the ingest hook
and the delayed human-request check."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from pytake_daemon.ai.analyzer import shared_analyzer
from pytake_daemon.ai.service import HUMAN_REQUEST_JOB, AiService
from pytake_daemon.keys import AI, DB_POOL, EVENT_BUS, INGEST_FANOUT, JOBS, SETTINGS


async def ai_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS].ai
    executor = ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="ai")
    loop = asyncio.get_running_loop()
    analyzer = await loop.run_in_executor(executor, shared_analyzer)
    service = AiService(app[DB_POOL], app[EVENT_BUS], settings, analyzer, executor)
    # Train the shared built-in model now rather than on the first customer message.
    await service.models.get(())
    app[AI] = service
    app[INGEST_FANOUT].add_inbound_hook(service.on_inbound)
    app[JOBS].register(HUMAN_REQUEST_JOB, service.on_human_request_due)
    yield
    # Not wait=True: that would block the event loop while a model finishes in its thread.
    executor.shutdown(wait=False, cancel_futures=True)
