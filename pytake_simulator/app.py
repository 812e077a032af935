"""The simulator's aiohttp application: Graph API, control API, and the webhook worker."""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
from aiohttp import web
from aiohttp.typedefs import Handler

from pytake_simulator import control, graph
from pytake_simulator.errors import GraphError
from pytake_simulator.keys import SIMULATOR
from pytake_simulator.media import MAX_UPLOAD, MB
from pytake_simulator.simulator import Simulator


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Graph errors in Meta's JSON shape; control errors as ``{"error": ...}``."""
    try:
        return await handler(request)
    except GraphError as exc:
        headers = {}
        if exc.http_status == 401:
            headers["WWW-Authenticate"] = (
                f'OAuth "Facebook Platform" "invalid_token" "{exc.message}"'
            )
        return web.Response(
            body=orjson.dumps(exc.response().wire()),
            status=exc.http_status,
            content_type="application/json",
            headers=headers,
        )
    except control.ControlError as exc:
        return web.Response(
            body=control.ErrorBody(error=str(exc)).model_dump_json().encode(),
            status=exc.status,
            content_type="application/json",
        )


async def _runtime(app: web.Application) -> AsyncIterator[None]:
    sim = app[SIMULATOR]
    await sim.start_runtime()
    yield
    await sim.stop_runtime()


def create_app(sim: Simulator) -> web.Application:
    # Uploads go up to Meta's largest media limit (documents, 100 MB).
    app = web.Application(middlewares=[error_middleware], client_max_size=MAX_UPLOAD + MB)
    app[SIMULATOR] = sim
    control.add_routes(app.router)
    graph.add_routes(app.router)
    app.cleanup_ctx.append(_runtime)
    return app
