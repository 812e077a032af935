"""The delivery loop: claim due deliveries, POST them signed, record what became of each.

Once across replicas: ``claim_webhook_deliveries()`` takes rows with FOR UPDATE SKIP LOCKED
under a lease (a process that dies mid-try leaves the row to be taken again when the lease
ends), and only the head of each (endpoint, conversation) lane, so a conversation's events
reach an endpoint in order. Every claimed row is sent in a task of its own: a receiver that
times out holds its own rows only; and an endpoint with ``per_endpoint_concurrency`` tries in
flight is left out of the next claims, so it can't take every slot either.

What an answer means:
- 2xx: delivered.
- 410 Gone: the receiver says it is gone for good: the endpoint is disabled, its pending
  deliveries become dead letters (replayable once it is enabled again) and admins are told.
- anything else, a timeout or a connection error: tried again after an exponential, jittered
  wait (tenacity's ``wait_exponential_jitter``) until ``retry_hours`` after the event, then
  dead-lettered.
- an address the SSRF guard refuses: dead at once (no retry would change it; the admin allows
  the host in ``outbound_webhooks.http_allowed`` and replays).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import aiohttp
import asyncpg
import structlog
from tenacity import wait_exponential_jitter

from pytake_daemon import __version__, backoff
from pytake_daemon.config import OutboundWebhooksSettings
from pytake_daemon.db.pool import Pool, tenant_transaction
from pytake_daemon.flows.http_call import AddressRefused, GuardedResolver, HttpPolicy
from pytake_daemon.metrics import families as metrics
from pytake_daemon.outbound_webhooks import db
from pytake_daemon.outbound_webhooks.signing import signature_header
from pytake_daemon.protocol.outbound_webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
)
from pytake_daemon.whatsapp.secretbox import SecretBox, SecretBoxError

log = structlog.get_logger("pytake.outbound_webhooks")

Clock = Callable[[], datetime]
OnGone = Callable[[uuid.UUID, uuid.UUID, str], Awaitable[None]]
"""(tenant, endpoint, url): an endpoint was disabled by a 410."""

# Beyond the request's timeout, so a lease never ends while its try is still running.
_LEASE_MARGIN_SECONDS = 30.0
# How often due retries are looked for when nothing wakes the loop.
POLL_SECONDS = 1.0
_MAX_ANSWER_BYTES = 4096


class _Refused(Exception):
    """The SSRF guard refused the address: no retry would change that."""


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text[:300]


class DeliveryRunner:
    def __init__(
        self,
        pool: Pool,
        box: SecretBox,
        settings: OutboundWebhooksSettings,
        *,
        policy: HttpPolicy,
        clock: Clock,
        on_gone: OnGone,
        forward: Callable[[], None] | None = None,
    ) -> None:
        self._pool = pool
        # A web process (server.role) delivers nothing: its wake-ups go to the jobs process.
        self._forward = forward
        self._box = box
        self._settings = settings
        self._policy = policy
        self.clock = clock
        self._on_gone = on_gone
        self._wait = wait_exponential_jitter(
            multiplier=settings.backoff_seconds,
            max=settings.backoff_max_seconds,
            jitter=settings.backoff_seconds,
        )
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight: dict[uuid.UUID, int] = {}
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """New deliveries were queued (or a replay): claim now instead of at the next poll."""
        if self._forward is not None:
            self._forward()
        else:
            self._wake.set()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(resolver=GuardedResolver(self._policy), limit=100)
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    async def run_pass(self) -> None:
        """Claim what is due within the free slots and start it; then wait for a wake-up."""
        self._wake.clear()
        free = self._settings.concurrency - len(self._tasks)
        claimed = 0
        if free > 0:
            cap = self._settings.per_endpoint_concurrency
            busy = [e for e, n in self._in_flight.items() if n >= cap]
            lease = self._settings.timeout_seconds + _LEASE_MARGIN_SECONDS
            async with self._pool.acquire() as conn:
                rows = await db.claim(conn, self.clock(), free, lease, busy)
            for row in rows:
                self._start(row)
            claimed = len(rows)
        if claimed and claimed == free:
            return  # more may be due: claim again once a slot frees (a task wakes us)
        try:
            async with asyncio.timeout(POLL_SECONDS):
                await self._wake.wait()
        except TimeoutError:
            pass

    def _start(self, row: asyncpg.Record) -> None:
        endpoint = row["endpoint_id"]
        self._in_flight[endpoint] = self._in_flight.get(endpoint, 0) + 1
        task = asyncio.create_task(self._attempt(row), name=f"webhook-delivery-{row['id']}")
        self._tasks.add(task)

        def finished(done: asyncio.Task[None]) -> None:
            self._tasks.discard(done)
            left = self._in_flight.get(endpoint, 1) - 1
            if left:
                self._in_flight[endpoint] = left
            else:
                self._in_flight.pop(endpoint, None)
            # A slot is free and the lane's next delivery may be due now.
            self._wake.set()

        task.add_done_callback(finished)

    def _secrets(self, row: asyncpg.Record, now: datetime) -> list[str]:
        secrets = [self._box.decrypt(row["secret_enc"])]
        until = row["previous_secret_until"]
        if row["previous_secret_enc"] is not None and until is not None and until > now:
            secrets.append(self._box.decrypt(row["previous_secret_enc"]))
        return secrets

    async def _attempt(self, row: asyncpg.Record) -> None:
        started = asyncio.get_running_loop().time()
        outcome = "failed"
        try:
            outcome = await self._try(row)
        except Exception:
            # Recording the result failed (database away): the lease ends and the row is
            # claimed again, so the try is repeated rather than lost.
            log.exception("webhook delivery result not recorded", delivery_id=str(row["id"]))
        finally:
            metrics.webhook_delivery_observed(outcome, asyncio.get_running_loop().time() - started)

    async def _try(self, row: asyncpg.Record) -> str:
        now = self.clock()
        status: int | None = None
        try:
            status = await self._post(row, now)
        except _Refused as exc:
            await self._dead(row, None, f"refused: {exc}")
            return "refused"
        except SecretBoxError as exc:
            error = _short(exc)
        except TimeoutError:
            error = f"no answer within {self._settings.timeout_seconds:g} s"
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {_short(exc)}"
        else:
            if 200 <= status < 300:
                async with tenant_transaction(self._pool, row["tenant_id"]) as conn:
                    await db.mark_delivered(conn, row["id"], self.clock(), status)
                return "delivered"
            if status == 410:
                await self._gone(row)
                return "gone"
            error = f"HTTP {status}"
        return await self._retry_or_dead(row, status, error)

    async def _post(self, row: asyncpg.Record, now: datetime) -> int:
        body = row["body"].encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"PyTake-Webhooks/{__version__}",
            EVENT_HEADER: row["event_type"],
            DELIVERY_HEADER: str(row["id"]),
            SIGNATURE_HEADER: signature_header(self._secrets(row, now), int(now.timestamp()), body),
        }
        try:
            async with self._client().post(
                row["url"],
                data=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self._settings.timeout_seconds),
                allow_redirects=False,
            ) as resp:
                await resp.content.read(_MAX_ANSWER_BYTES)
                return resp.status
        except AddressRefused as exc:
            raise _Refused(_short(exc)) from None
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, AddressRefused):
                raise _Refused(_short(exc.os_error)) from None
            raise

    async def _retry_or_dead(self, row: asyncpg.Record, status: int | None, error: str) -> str:
        now = self.clock()
        deadline = row["created_at"] + timedelta(hours=self._settings.retry_hours)
        if now >= deadline:
            tries = row["attempts"]
            hours = f"{self._settings.retry_hours:g}"
            await self._dead(row, status, f"gave up after {tries} tries over {hours} h: {error}")
            return "dead"
        wait = backoff.delay(self._wait, max(1, row["attempts"]))
        later = min(now + timedelta(seconds=wait), deadline)
        async with tenant_transaction(self._pool, row["tenant_id"]) as conn:
            await db.mark_retry(
                conn, row["id"], next_attempt_at=later, now=now, status=status, error=error
            )
        return "retried"

    async def _dead(self, row: asyncpg.Record, status: int | None, error: str) -> None:
        async with tenant_transaction(self._pool, row["tenant_id"]) as conn:
            await db.mark_dead(conn, row["id"], self.clock(), status, error)

    async def _gone(self, row: asyncpg.Record) -> None:
        now = self.clock()
        reason = "the receiver answered 410 Gone"
        async with tenant_transaction(self._pool, row["tenant_id"]) as conn:
            await db.mark_dead(conn, row["id"], now, 410, reason)
            url = await db.disable_endpoint(conn, row["endpoint_id"], reason, now)
            if url is not None:
                await db.dead_letter_pending(conn, row["endpoint_id"], now, "endpoint disabled")
        if url is not None:
            log.warning("webhook endpoint disabled: 410 Gone", endpoint_id=str(row["endpoint_id"]))
            await self._on_gone(row["tenant_id"], row["endpoint_id"], url)
