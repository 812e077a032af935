"""Which tenant and number a webhook belongs to, and which secrets may sign it.

The table of live numbers is small and read on every webhook, so each process caches it
(decrypted) and reloads it every ``route_refresh_seconds``, or at once (at most once a second)
when a notification names a phone_number_id it doesn't know: a number just added by
another process starts receiving without a restart.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

import structlog

from pytake_daemon.config import WhatsAppSettings
from pytake_daemon.db.pool import Pool
from pytake_daemon.whatsapp import db
from pytake_daemon.whatsapp.secretbox import SecretBox, SecretBoxError
from pytake_daemon.whatsapp.signature import verify_signature, verify_subscription

log = structlog.get_logger("pytake.whatsapp")

_MISS_REFRESH_INTERVAL = 1.0


@dataclass(frozen=True)
class NumberRoute:
    tenant_id: uuid.UUID
    number_id: uuid.UUID
    phone_number_id: str
    waba_id: str
    app_secret: bytes
    verify_token: str


class RoutingTable:
    def __init__(self, pool: Pool, box: SecretBox, settings: WhatsAppSettings) -> None:
        self._pool = pool
        self._box = box
        self._settings = settings
        self._by_phone: dict[str, NumberRoute] = {}
        self._app_secrets: list[bytes] = []
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()
        # Reads are numbered as they start (``reads``); ``_fresh_as_of`` is the number of the
        # last one that succeeded. A caller that finds, once it holds the lock, a read that
        # started after it asked has its answer: when the table went stale under a burst, every
        # waiting webhook used to read the table again, one after the other.
        self._fresh_as_of = 0
        self.reads = 0
        """Reads of the table from the database (each one decrypts every number's secrets)."""
        self.undecryptable: list[str] = []
        """phone_number_ids whose secrets the configured keys can't decrypt: while any is
        left the daemon is not ready (health/readiness.py): replicas must share the key."""

    async def refresh(self) -> None:
        """Read the table again, unless a read that started after this call already did."""
        asked = self.reads
        async with self._lock:
            if self._fresh_as_of > asked:
                return
            self.reads += 1
            number = self.reads
            async with self._pool.acquire() as conn:
                rows = await db.routes(conn)
            table: dict[str, NumberRoute] = {}
            undecryptable: list[str] = []
            for row in rows:
                try:
                    app_secret = self._box.decrypt(row["app_secret_enc"]).encode()
                    verify_token = self._box.decrypt(row["verify_token_enc"])
                except SecretBoxError as exc:
                    # One number stored under a lost key must not stop every other number.
                    log.error(
                        "number not routed: its secrets can't be decrypted",
                        phone_number_id=row["phone_number_id"],
                        error=str(exc),
                    )
                    undecryptable.append(row["phone_number_id"])
                    continue
                table[row["phone_number_id"]] = NumberRoute(
                    tenant_id=row["tenant_id"],
                    number_id=row["number_id"],
                    phone_number_id=row["phone_number_id"],
                    waba_id=row["waba_id"],
                    app_secret=app_secret,
                    verify_token=verify_token,
                )
            self._by_phone = table
            self.undecryptable = sorted(undecryptable)
            # Computed once per reload, not per webhook: every POST tries these.
            found = {r.app_secret for r in table.values()}
            if self._settings.app_secret is not None:
                found.add(self._settings.app_secret.get_secret_value().encode())
            self._app_secrets = sorted(found)
            self._loaded_at = time.monotonic()
            self._fresh_as_of = number

    async def fresh(self) -> None:
        """Reload when the cached table is older than the refresh interval."""
        if time.monotonic() - self._loaded_at > self._settings.route_refresh_seconds:
            await self.refresh()

    async def route(self, phone_number_id: str) -> NumberRoute | None:
        found = self._by_phone.get(phone_number_id)
        if found is None and time.monotonic() - self._loaded_at > _MISS_REFRESH_INTERVAL:
            await self.refresh()
            found = self._by_phone.get(phone_number_id)
        return found

    def routes_for_waba(self, waba_id: str) -> list[NumberRoute]:
        return [r for r in self._by_phone.values() if r.waba_id == waba_id]

    def _secrets(self) -> list[bytes]:
        return self._app_secrets

    async def signer(self, raw_body: bytes, header: str | None) -> bytes | None:
        """The app secret whose HMAC matches the signature, or None (→ 401).

        A POST is checked before it is parsed, so the number it concerns is not known yet:
        every configured app secret is tried (there are as many as Meta apps, a handful).
        """
        if header is None:
            return None
        await self.fresh()
        for secret in self._secrets():
            if verify_signature(secret, raw_body, header):
                return secret
        # A number added a moment ago on another process: reload once and try again.
        if time.monotonic() - self._loaded_at > _MISS_REFRESH_INTERVAL:
            await self.refresh()
            for secret in self._secrets():
                if verify_signature(secret, raw_body, header):
                    return secret
        return None

    async def challenge(self, params: dict[str, str]) -> str | None:
        """The challenge to echo if the handshake's verify token is one we know."""
        await self.fresh()
        tokens = {r.verify_token for r in self._by_phone.values()}
        if self._settings.verify_token is not None:
            tokens.add(self._settings.verify_token.get_secret_value())
        for token in sorted(tokens):
            answer = verify_subscription(params, token)
            if answer is not None:
                return answer
        return None

    def accepts(self, route: NumberRoute, secret: bytes) -> bool:
        """Whether a POST signed with ``secret`` may speak for ``route``'s number.

        Without this, one tenant's Meta app could forge notifications for another tenant's
        number. The global app secret from config speaks for every number (one Meta app).
        """
        if route.app_secret == secret:
            return True
        configured = self._settings.app_secret
        return configured is not None and configured.get_secret_value().encode() == secret
