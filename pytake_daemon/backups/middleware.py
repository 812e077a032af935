"""The middleware that turns maintenance mode into 503 + Retry-After."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from pytake_daemon.errors import ServiceUnavailable
from pytake_daemon.keys import MAINTENANCE

RETRY_AFTER = 30
# Probes keep answering: /readyz says "not ready" by itself, and systemd's watchdog must not
# restart a daemon that is only waiting for a restore.
_EXEMPT = frozenset({"/healthz", "/readyz"})


@web.middleware
async def maintenance_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """503 for everything but the health probes while an in-place restore runs."""
    watch = request.app.get(MAINTENANCE)
    if watch is not None and watch.reason is not None and request.path not in _EXEMPT:
        raise ServiceUnavailable(
            f"maintenance: {watch.reason}; retry later", retry_after=RETRY_AFTER
        )
    return await handler(request)
