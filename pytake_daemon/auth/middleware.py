"""Bearer-token authentication for every request that presents a token, and API tokens' rate
limits (counted here, before any handler work, so a throttled script costs one Redis round trip)."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from pytake_daemon.auth import service
from pytake_daemon.auth.ratelimit import TOKEN_RATE_CLOCK, TokenRateLimit
from pytake_daemon.errors import Unauthorized
from pytake_daemon.http.identity import IDENTITY
from pytake_daemon.keys import DB_POOL, REDIS, SETTINGS


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
        who = await service.authenticate(request.app[DB_POOL], token)
        request[IDENTITY] = who
        if who.kind == "api":
            # Sessions are people at the console; only scripts' tokens are metered.
            settings = request.app[SETTINGS]
            limit = who.rate_limit_per_minute or settings.auth.api_token_rate_per_minute
            limiter = TokenRateLimit(request.app[REDIS], prefix=settings.redis.key_prefix)
            clock = request.app.get(TOKEN_RATE_CLOCK)
            await limiter.hit(who.token_id, limit, now=clock() if clock is not None else None)
    return await handler(request)
