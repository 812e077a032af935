"""Login throttling in Redis, per e-mail and per client address (fixed windows).

Only failures count, so a user who types the password right is never slowed down; a success
clears the e-mail's counter. Shared by every daemon process because it lives in Redis.
"""

from __future__ import annotations

import hashlib

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
