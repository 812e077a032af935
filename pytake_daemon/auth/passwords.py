"""argon2id password hashing, off the event loop (one hash costs tens of milliseconds of CPU)."""

from __future__ import annotations

import asyncio
from functools import cached_property

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from pytake_daemon.config import AuthSettings


class Passwords:
    """Hash and verify with the configured argon2id cost (at least OWASP's m=19 MiB, t=2, p=1)."""

    def __init__(self, settings: AuthSettings) -> None:
        self._settings = settings

    @cached_property
    def _hasher(self) -> PasswordHasher:
        return PasswordHasher(
            time_cost=self._settings.argon2_time_cost,
            memory_cost=self._settings.argon2_memory_kib,
            parallelism=self._settings.argon2_parallelism,
            type=Type.ID,
        )

    @cached_property
    def _dummy_hash(self) -> str:
        # Verified against when the account doesn't exist, so the answer takes as long as a
        # real check and response times don't reveal which e-mails are registered.
        return self._hasher.hash("pytake-dummy-password")

    def hash_sync(self, password: str) -> str:
        return self._hasher.hash(password)

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    def verify_sync(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._dummy_hash, password) and (
                password_hash is not None
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await asyncio.to_thread(self.verify_sync, password_hash, password)
