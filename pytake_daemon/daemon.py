"""``pytake daemon``: the long-running process.

Start order: embedded servers (if any) → schema → HTTP site → READY=1. SIGTERM/SIGINT reverse
it: STOPPING=1, stop accepting, drain requests, close WebSockets with 1001, stop workers, close
pools, then stop the embedded servers.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal

import structlog
import uvloop
from aiohttp import web

from pytake_daemon import __version__
from pytake_daemon.app import create_app, take_back_claims
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.errors import PyTakeError
from pytake_daemon.health.secrets import wait_until_secrets_usable
from pytake_daemon.http.server import ProblemAppRunner
from pytake_daemon.http.tls import server_ssl_context
from pytake_daemon.logs import configure_logging
from pytake_daemon.runtime import backing_services, prepare_schema
from pytake_daemon.systemd import SystemdNotifier, watchdog_pinger

log = structlog.get_logger("pytake.daemon")


def run_daemon(settings: Settings) -> None:
    """Run until SIGTERM or SIGINT."""
    check_role(settings)
    # First, on the main thread: every thread started later (the AI's model process too)
    # inherits it (Linux keeps a nice value per thread).
    lower_priority(settings.server.nice)
    configure_logging(settings.logging)
    notifier = SystemdNotifier.from_environment()
    try:
        notifier.status("starting backing services")
        # uvloop: the loop under every socket write and asyncpg's protocol (a third of the
        # daemon's samples under a webhook burst were the stock loop's socket writes).
        with (
            backing_services(settings, owner=True) as endpoints,
            asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner,
        ):
            runner.run(serve(settings, endpoints, notifier))
    finally:
        notifier.close()


def check_role(settings: Settings) -> None:
    """A split installation shares configured servers: the embedded ones belong to one process
    (a second would find the first one's lock on the state directory)."""
    role = settings.server.role
    if role != "all" and (settings.uses_embedded_postgres or settings.uses_embedded_redis):
        raise PyTakeError(
            f"server.role = {role!r} needs database.url and redis.url: the embedded servers "
            "belong to a single process (role 'all')"
        )


def lower_priority(nice: int) -> None:
    """Lower this process's CPU priority to ``nice`` (never raise it: that takes root)."""
    if nice > os.getpriority(os.PRIO_PROCESS, 0):
        os.setpriority(os.PRIO_PROCESS, 0, nice)


COLLECTOR_THRESHOLDS = (5000, 10, 10)
"""The cyclic collector's thresholds once the daemon is ready (Python's defaults: 700, 10, 10)."""


def tune_collector() -> None:
    """Take what start-up built out of the collector's reach, and collect the young generation
    less often.

    The freeze: start-up builds modules, the AI's dictionaries and models, objects that live as
    long as the process, as Instagram does for its long-lived servers. Every full collection
    walked all of it: under bench/ingest.py --split the web process's 16 gen-2 collections took
    2.9 s, up to 342 ms each, with the event loop stopped (a loop-lag probe saw the same
    stalls). Frozen (236k objects, the AI's dictionaries among them), the collections during a
    run took 5-70 ms and the web process's CPU per webhook fell by a fifth. Frozen objects are
    still freed by reference counting; only cycles among them are never collected, and start-up
    makes none worth collecting.

    The thresholds: a webhook's objects (its parsed payload, rows, events) live for a few
    passes of the loop. With a collection every 700 allocations many of them were still alive
    at a young collection, were promoted, and made full collections frequent: in one
    bench/ingest.py run (20,000-webhook burst, then 1,000/s) 4,900 young, 445 middle and 40
    full collections, 1.7-2.3 s of stopped loop in all, the full ones up to 27-43 ms each. At
    5,000 the same run made 340, 30 and 2: 0.66-1.05 s in all, no pause above 17 ms, and the
    acknowledgements' p99 at 1,000/s fell from 73-113 ms to 23-29 ms (67 in a run on a slower
    host). 10,000 and 20,000 saved little more, and their young collections paused the loop
    for up to 15-20 ms (bench/README.md, session 25).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)


async def serve(settings: Settings, endpoints: Endpoints, notifier: SystemdNotifier) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # A certificate that can't be loaded stops the start before anything else is touched.
    ssl_context = server_ssl_context(settings.server)
    notifier.status("checking the database schema")
    version = await prepare_schema(settings, endpoints)
    app = create_app(settings, endpoints)
    # Its connections answer what aiohttp refuses itself as problem documents (http/server.py).
    runner = ProblemAppRunner(
        app,
        handle_signals=False,
        shutdown_timeout=settings.server.shutdown_timeout,
        access_log=None,
    )
    await runner.setup()
    watchdog: asyncio.Task[None] | None = None
    try:
        server = settings.server
        site = web.TCPSite(runner, server.host, server.port, ssl_context=ssl_context)
        await site.start()
        host, port = runner.addresses[0][:2]
        try:
            await take_back_claims(app)
        except Exception as exc:  # the database away a moment (asyncpg raises several kinds)
            # Their leases still bring them back; only the head start is lost.
            log.warning(
                "claims of an earlier run not taken back", error=str(exc), kind=type(exc).__name__
            )
        url = f"{'https' if ssl_context else 'http'}://{host}:{port}"

        def not_ready(problem: str) -> None:
            log.error("daemon not ready: stored secrets can't be decrypted", problem=problem)
            notifier.status(f"not ready: {problem}")

        # Serving already (/readyz says why it is 503), but READY=1 only once every stored
        # number decrypts: a replica with another key must not take webhooks it would drop.
        if await wait_until_secrets_usable(app, stop, not_ready):
            tune_collector()
            log.info(
                "daemon ready",
                url=url,
                role=settings.server.role,
                version=__version__,
                schema_version=version,
            )
            notifier.ready(f"serving on {url}")
            interval = notifier.watchdog_interval()
            if interval is not None:
                watchdog = asyncio.create_task(watchdog_pinger(notifier, interval), name="watchdog")
            await stop.wait()
        log.info("daemon stopping")
        notifier.stopping()
    finally:
        if watchdog is not None:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog
        await runner.cleanup()
        log.info("daemon stopped")
