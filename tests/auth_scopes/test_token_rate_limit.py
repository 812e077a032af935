"""Per-API-token rate limits, counted in the real Redis; sessions are not metered; no Redis
means 503 with Retry-After (fail closed, like the login throttle), never an unmetered call."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from pytake_daemon.app import create_app
from pytake_daemon.auth.ratelimit import TOKEN_RATE_CLOCK, TokenRateLimit
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import TooManyRequests
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.auth import Scope
from tests.auth_scopes.support import bearer, plant_token
from tests.support import TenantData, free_port, secret

ApiClient = TestClient[Any, Any]
AiohttpClient = Callable[..., Awaitable[ApiClient]]


PINNED = 1_800_000_000 // 60 * 60 + 30.0
"""Half way into a clock minute: the window can't roll over under a test."""


def _limited(settings: Settings, endpoints: Endpoints, per_minute: int) -> web.Application:
    auth = settings.auth.model_copy(update={"api_token_rate_per_minute": per_minute})
    app = create_app(settings.model_copy(update={"auth": auth}), endpoints)
    app[TOKEN_RATE_CLOCK] = lambda: PINNED
    return app


async def test_a_token_past_its_own_limit_gets_429_with_retry_after(
    aiohttp_client: AiohttpClient,
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: Any,
    admin_conn: Connection,
) -> None:
    api = await aiohttp_client(_limited(settings, endpoints, 1000))
    tenant: TenantData = await make_tenant()
    admin = tenant[Role.ADMIN]
    capped, _ = await plant_token(
        admin_conn, tenant.id, admin.id, [Scope.READ], rate_limit_per_minute=3
    )
    other, _ = await plant_token(admin_conn, tenant.id, admin.id, [Scope.READ])

    statuses = [(await api.get("/api/v1/auth/me", headers=bearer(capped))).status for _ in range(3)]
    assert statuses == [200, 200, 200]
    resp = await api.get("/api/v1/auth/me", headers=bearer(capped))
    assert resp.status == 429
    assert resp.headers["Retry-After"] == "30"  # to the end of the pinned minute
    problem = await resp.json()
    assert "3 requests a minute" in problem["detail"]
    # Another token of the same user, and the user's login session, are not affected.
    assert (await api.get("/api/v1/auth/me", headers=bearer(other))).status == 200
    for _ in range(5):
        assert (await api.get("/api/v1/auth/me", headers=admin.headers)).status == 200


async def test_the_configured_default_applies_to_tokens_without_their_own(
    aiohttp_client: AiohttpClient,
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: Any,
    admin_conn: Connection,
) -> None:
    api = await aiohttp_client(_limited(settings, endpoints, 2))
    tenant: TenantData = await make_tenant()
    token, _ = await plant_token(admin_conn, tenant.id, tenant[Role.AGENT].id, [Scope.READ])
    statuses = [
        (await api.get("/api/v1/conversations", headers=bearer(token))).status for _ in range(3)
    ]
    assert statuses == [200, 200, 429]


async def test_the_window_is_a_clock_minute_in_redis(endpoints: Endpoints) -> None:
    redis = Redis.from_url(endpoints.redis_url.get_secret_value())
    try:
        limiter = TokenRateLimit(redis, prefix=f"rl-test-{uuid.uuid4().hex[:8]}:")
        token_id = uuid.uuid4()
        minute = 1_800_000_000 // 60 * 60  # a pinned clock: the start of a minute
        await limiter.hit(token_id, 2, now=minute + 10)
        await limiter.hit(token_id, 2, now=minute + 20)
        with pytest.raises(TooManyRequests) as refused:
            await limiter.hit(token_id, 2, now=minute + 45)
        assert refused.value.retry_after == 15  # to the end of the minute
        await limiter.hit(token_id, 2, now=minute + 60)  # the next minute starts afresh
    finally:
        await redis.aclose()


async def test_without_redis_a_token_gets_503_not_an_unmetered_call(
    aiohttp_client: AiohttpClient,
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: Any,
    admin_conn: Connection,
) -> None:
    nowhere = dataclasses.replace(endpoints, redis_url=secret(f"redis://127.0.0.1:{free_port()}/0"))
    api = await aiohttp_client(create_app(settings, nowhere))
    tenant: TenantData = await make_tenant()
    admin = tenant[Role.ADMIN]
    token, _ = await plant_token(admin_conn, tenant.id, admin.id, [Scope.READ])
    resp = await api.get("/api/v1/auth/me", headers=bearer(token))
    assert resp.status == 503
    assert int(resp.headers["Retry-After"]) >= 1
    # A login session doesn't touch Redis on this path and keeps working.
    assert (await api.get("/api/v1/auth/me", headers=admin.headers)).status == 200
