"""Login throttling and API-token rate limits in Redis (fixed windows).

Logins: only failures count, per e-mail and per client address, so a user who types the
password right is never slowed down; a success clears the e-mail's counter. API tokens: every
request counts against the token's per-minute budget. Both are shared by every daemon process
because they live in Redis; when Redis is away they fail closed (the error middleware answers
503 with Retry-After) rather than letting requests through unmetered.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable

from aiohttp import web
from redis.asyncio import Redis

from pytake_daemon.config import AuthSettings
from pytake_daemon.errors import TooManyRequests


class LoginThrottle:
    def __init__(self, redis: Redis, settings: AuthSettings, *, prefix: str) -> None:
        self._redis = redis
        self._settings = settings
        self._prefix = prefix

    def _keys(self, email: str, ip: str) -> tuple[str, str]:
        # Hash the e-mail: Redis keys show up in MONITOR and dumps, and they needn't hold PII.
        digest = hashlib.sha256(email.lower().encode()).hexdigest()[:32]
        return f"{self._prefix}login-fail:user:{digest}", f"{self._prefix}login-fail:ip:{ip}"

    async def check(self, email: str, ip: str) -> None:
        """Raise 429 with Retry-After when either limit is exhausted."""
        user_key, ip_key = self._keys(email, ip)
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in (user_key, ip_key):
                pipe.get(key)
                pipe.ttl(key)
            user_count, user_ttl, ip_count, ip_ttl = await pipe.execute()
        if int(user_count or 0) >= self._settings.login_max_failures_per_user:
            raise TooManyRequests(
                "too many failed logins for this account; try again later",
                retry_after=int(user_ttl),
            )
        if int(ip_count or 0) >= self._settings.login_max_failures_per_ip:
            raise TooManyRequests(
                "too many failed logins from this address; try again later",
                retry_after=int(ip_ttl),
            )

    async def failed(self, email: str, ip: str) -> None:
        window = self._settings.login_window_seconds
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in self._keys(email, ip):
                # NX: the window starts at the first failure and isn't extended by later ones.
                pipe.incr(key)
                pipe.expire(key, window, nx=True)
            await pipe.execute()

    async def succeeded(self, email: str, ip: str) -> None:
        user_key, _ = self._keys(email, ip)
        await self._redis.delete(user_key)


Clock = Callable[[], float]
TOKEN_RATE_CLOCK: web.AppKey[Clock] = web.AppKey("token_rate_clock")
"""The clock of API tokens' windows when set (tests pin it); else ``time.time``."""


class TokenRateLimit:
    """Per-API-token request budget: ``limit`` requests in each clock minute."""

    WINDOW = 60

    def __init__(self, redis: Redis, *, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    async def hit(self, token_id: uuid.UUID, limit: int, *, now: float | None = None) -> None:
        """Count one request; raise 429 with Retry-After (to the window's end) past ``limit``."""
        at = time.time() if now is None else now
        window = int(at) // self.WINDOW
        key = f"{self._prefix}token-rate:{token_id}:{window}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, self.WINDOW * 2, nx=True)
            count, _ = await pipe.execute()
        if int(count) > limit:
            retry_after = max(1, (window + 1) * self.WINDOW - int(at))
            raise TooManyRequests(
                f"this token's limit of {limit} requests a minute is reached",
                retry_after=retry_after,
            )
