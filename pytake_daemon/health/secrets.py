"""Readiness of the secrets key: a daemon that can't decrypt a stored number is not ready.

Replicas used to start with a key of their own (generated into their state dir), skip the
numbers they couldn't decrypt with an error in the log, and report ready: the load balancer
then sent them webhooks they answered 401, or 200 as "unknown number" (dropped) when another
number shared the Meta app secret. Now such a daemon answers ``/readyz`` 503 naming the numbers
and its own key, and ``pytake daemon`` holds back systemd's READY=1 until the right key is in
place (docs/operations.md: sharing and rotating the key).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import structlog
from aiohttp import web

from pytake_daemon.keys import SECRET_BOX, SETTINGS, WEBHOOK_ROUTING
from pytake_daemon.whatsapp.routing import RoutingTable
from pytake_daemon.whatsapp.secretbox import SecretBox

log = structlog.get_logger("pytake.health")

_SHOWN = 3


def secrets_problem(routing: RoutingTable | None, box: SecretBox) -> str | None:
    """One sentence naming the numbers this daemon can't decrypt and its own key, or None."""
    if routing is None or not routing.undecryptable:
        return None
    ids = routing.undecryptable
    more = f" and {len(ids) - _SHOWN} more" if len(ids) > _SHOWN else ""
    shown = ", ".join(ids[:_SHOWN]) + more
    keys = ", ".join(box.fingerprints)
    plural = "s" if len(ids) > 1 else ""
    return (
        f"the secrets of number{plural} {shown} (phone_number_id) were encrypted with a secrets "
        f"key this daemon doesn't have (its key fingerprint {keys}, from {box.source}): give "
        "every replica the same whatsapp.secrets_key, the one that encrypted them, keeping old "
        "keys after it (docs/operations.md)"
    )


async def wait_until_secrets_usable(
    app: web.Application, stop: asyncio.Event, report: Callable[[str], None]
) -> bool:
    """Return True once every stored number decrypts, False if ``stop`` is set first.

    The routing table is reloaded each ``route_refresh_seconds`` meanwhile: a key can't change
    without a restart, but the number stored under the other key may be removed or re-added.
    """
    routing = app[WEBHOOK_ROUTING]
    interval = app[SETTINGS].whatsapp.route_refresh_seconds
    while True:
        problem = secrets_problem(routing, app[SECRET_BOX])
        if problem is None:
            return True
        report(problem)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(interval):
                await stop.wait()
        if stop.is_set():
            return False
        try:
            await routing.refresh()
        except Exception as exc:  # the database away: try again next time round
            log.warning("routing table not reloaded", error=str(exc) or repr(exc))
