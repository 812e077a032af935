"""Bearer-token authentication for every request that presents a token."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from pytake_daemon.auth import service
from pytake_daemon.auth.identity import IDENTITY
from pytake_daemon.errors import Unauthorized
from pytake_daemon.keys import DB_POOL


def bearer_token(request: web.Request) -> str | None:
    """The token of an ``Authorization: Bearer …`` header (query strings end up in logs)."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("malformed Authorization header: expected 'Bearer <token>'")
    return token.strip()


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    token = bearer_token(request)
    if token is not None:
        request[IDENTITY] = await service.authenticate(request.app[DB_POOL], token)
    return await handler(request)
