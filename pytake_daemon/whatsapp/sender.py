"""The outbox worker: sends queued messages through the Graph API.

- Claims due ``outbox`` rows (SKIP LOCKED, under a lease) across tenants and processes.
- Paces each business number with a token bucket in Redis (shared by every process), and
  optionally each customer (Meta's pair limit).
- Retries with exponential backoff and jitter only what can succeed later (network errors, 5xx,
  130429, 131056…); permanent failures (131047, 131026, 132000, 100, 368…) and token problems
  (190) mark the message failed at once with Meta's code and a sentence for the agent.

Delivery to Meta is at-least-once: if the process dies after Meta accepted a message but before
the commit that records it, the message is sent again when its lease runs out (Meta's send API
has no idempotency key). The window for that is one round trip. A recording that fails while the
process lives is retried with the wamid in hand (and noted in Redis), never re-sent
(acceptances.py). Every other write that settles a claimed row (given back while throttled,
rescheduled after a refusal, failed, dequeued) is retried too while the claim holds, so a
PostgreSQL restart delays a reply by the restart, not by the 60 s lease
(tests/test_outage_sends.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import structlog
from pydantic import TypeAdapter, ValidationError
from redis.exceptions import RedisError
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    wait_exponential,
    wait_exponential_jitter,
)

from pytake_daemon import backoff
from pytake_daemon.config import WhatsAppSettings
from pytake_daemon.db.pool import Connection, Pool
from pytake_daemon.loops import Loops
from pytake_daemon.metrics import families as metrics
from pytake_daemon.protocol import EventEnvelope, MessageStatus, MessageStatusUpdated
from pytake_daemon.protocol.conversations import MessageError
from pytake_daemon.protocol.outgoing import OutgoingContent
from pytake_daemon.realtime.bus import EventBus, number_events
from pytake_daemon.whatsapp import outbox_db
from pytake_daemon.whatsapp.acceptance_writer import AcceptanceWriter
from pytake_daemon.whatsapp.acceptances import Acceptances
from pytake_daemon.whatsapp.claimed_sends import (
    DATABASE_TROUBLE,
    LEASE_SECONDS,
    Claimed,
    claim_holds_until,
    settle,
)
from pytake_daemon.whatsapp.graph import GraphClient
from pytake_daemon.whatsapp.graph_send import to_graph
from pytake_daemon.whatsapp.meta_errors import GraphError, explain_error, retry_limit
from pytake_daemon.whatsapp.recipient import Recipient
from pytake_daemon.whatsapp.secretbox import SecretBox
from pytake_daemon.whatsapp.throttle import Throttle

log = structlog.get_logger("pytake.whatsapp")

_content_adapter: TypeAdapter[OutgoingContent] = TypeAdapter(OutgoingContent)

# A throttled send waits in-process when its slot is this close, else goes back to the queue.
_MAX_INLINE_WAIT = 1.0


class Sender:
    def __init__(
        self,
        pool: Pool,
        graph: GraphClient,
        throttle: Throttle,
        box: SecretBox,
        bus: EventBus,
        settings: WhatsAppSettings,
        *,
        acceptances: Acceptances,
        poll_seconds: float = 1.0,
        forward: Callable[[], None] | None = None,
        claimer: str | None = None,
    ) -> None:
        self._pool = pool
        self._claimer = claimer  # Claimer.tag: a restart takes this run's claims back at once
        # A web process (server.role) sends nothing: its wake-ups go to the jobs process.
        self._forward = forward
        self._acceptances = acceptances
        self._graph = graph
        self._throttle = throttle
        self._box = box
        self._bus = bus
        self._settings = settings
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[bool]] = set()
        self._recorder = AcceptanceWriter(pool, bus)
        self.sent = 0
        self.failed = 0

    def wake(self) -> None:
        if self._forward is not None:
            self._forward()
        else:
            self._wake.set()

    def start(self, loops: Loops | None = None) -> None:
        loops = loops or Loops()
        self._recorder.start()
        # Its batches answer their own failures; readiness still says if its task is gone,
        # since no acceptance could then be recorded.
        loops.watch(
            "acceptance-writer",
            lambda: None if self._recorder.running else "no acceptance writer task left",
        )
        # Supervised: any exception is logged and the loop goes on after a backoff, and /readyz
        # names it if it stalls (a narrower except once let a claimer die quietly).
        self._task = loops.start(
            "outbox-sender", self._pass, deadline=LEASE_SECONDS + 2 * self._poll
        )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        # Sends already talking to Meta finish, so their outcome is recorded.
        if self._inflight:
            await asyncio.wait(self._inflight, timeout=self._settings.http_timeout_seconds)
        for task in self._inflight:
            task.cancel()
        await self._recorder.close()

    async def _pass(self) -> None:
        if await self._claim_and_start():
            return  # everything free was filled: more is probably waiting
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._poll):
                await self._wake.wait()
        self._wake.clear()

    async def _claim_and_start(self) -> int:
        # Claim only what can start now, so rows aren't leased while waiting for a worker.
        free = self._settings.send_workers - len(self._inflight)
        if free <= 0:
            await asyncio.wait(self._inflight, return_when=asyncio.FIRST_COMPLETED)
            return 1
        holds_until = claim_holds_until()
        async with self._pool.acquire() as conn:
            rows = await outbox_db.claim(conn, free, LEASE_SECONDS, self._claimer)
        for row in rows:
            task = asyncio.create_task(self._send_guarded(Claimed(row, holds_until)))
            self._inflight.add(task)
            task.add_done_callback(self._finished)
        # A partial claim took everything claimable: whatever is queued after it sets the wake
        # (on_sent), so claiming again at once would be an empty round trip per send.
        return len(rows) if len(rows) >= free else 0

    def _finished(self, task: asyncio.Task[bool]) -> None:
        self._inflight.discard(task)
        # The conversation's next message could only be claimed once this one left; an
        # acceptance knows whether there is one (most replies are alone), anything else wakes.
        if task.cancelled() or task.result():
            self._wake.set()

    async def _send_guarded(self, claimed: Claimed) -> bool:
        """Send; True when the claim loop should look again (something may be claimable)."""
        try:
            return await self._send(claimed)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The lease brings the row back; never let one message kill the worker.
            log.exception("send attempt crashed", message_id=str(claimed.row["message_id"]))
            return True

    async def _send(self, claimed: Claimed) -> bool:
        """Send one claimed row; the claim brought the message, its number and the address.
        True when the claim loop should look again (see ``_finished``)."""
        row = claimed.row
        tenant_id: uuid.UUID = row["tenant_id"]
        message_id: uuid.UUID = row["message_id"]
        attempts: int = row["attempts"]
        if row["status"] != "pending":
            # Sent before a crash (recorded, but the row outlived it): nothing left to do.
            await settle(self._pool, claimed, lambda conn: outbox_db.dequeue(conn, message_id))
            return True
        if attempts > 1:
            # Claimed again: an earlier attempt may have been accepted by Meta with its
            # recording lost (acceptances.py). Record that answer instead of sending twice.
            noted = await self._acceptances.recall(message_id)
            if noted is not None:
                log.info("recording an earlier accepted send", message_id=str(message_id))
                return await self._record_acceptance(tenant_id, row, noted)
        if row["removed_at"] is not None:
            await self._fail(
                claimed, None, None, "This WhatsApp number was removed; nothing was sent."
            )
            return True
        wait = await self._pace(row)
        if wait is None:
            return True
        if wait > 0:
            at = datetime.now(UTC) + timedelta(seconds=wait)
            await settle(
                self._pool, claimed, lambda conn: outbox_db.give_back(conn, message_id, at)
            )
            return True
        try:
            content = _content_adapter.validate_python(row["content"])
        except ValidationError as exc:
            await self._fail(claimed, None, None, f"Stored content is invalid: {exc}")
            return True
        context = row["context"] or {}
        body = to_graph(content, _recipient(row), reply_to_wamid=context.get("id"))
        token = self._box.decrypt(row["access_token_enc"])
        started = time.perf_counter()
        try:
            result = await self._graph.send_message(row["phone_number_id"], token, body)
        except GraphError as exc:
            metrics.send_observed(exc.kind, exc.code).observe(time.perf_counter() - started)
            await self._failed_call(claimed, exc, attempts)
            return True
        metrics.SEND_ACCEPTED.observe(time.perf_counter() - started)
        if result.held:
            # Accepted but held for Meta's quality check: statuses will say whether it leaves.
            log.info("meta holds the message for a quality check", message_id=str(message_id))
        return await self._record_acceptance(tenant_id, row, result.wamid)

    async def _pace(self, row: asyncpg.Record) -> float | None:
        """0 to send now, seconds to wait (row goes back to the queue), None if handled."""
        try:
            wait = await self._throttle.acquire(
                f"number:{row['number_id']}",
                per_second=row["throughput_mps"],
                burst=row["throughput_mps"],
            )
            if wait > 0 and wait <= _MAX_INLINE_WAIT:
                # A rate-limit timer, not synchronisation: the slot is booked in Redis.
                await asyncio.sleep(wait)
                return await self._pace(row)
            if wait == 0 and self._settings.recipient_interval_seconds > 0:
                wait = await self._throttle.acquire(
                    f"pair:{row['number_id']}:{_recipient(row).key}",
                    per_second=1 / self._settings.recipient_interval_seconds,
                    burst=1,
                )
        except (RedisError, OSError) as exc:
            log.warning("send pacing unavailable (redis); retrying later", error=str(exc))
            return 1.0
        return wait

    async def _record_acceptance(
        self, tenant_id: uuid.UUID, row: asyncpg.Record, wamid: str
    ) -> bool:
        """Record Meta's acceptance (with the other sends that finish meanwhile: the
        acceptance writer's group commit), retrying until the database takes it.

        Meta has the message: sending it again because our bookkeeping failed would deliver it
        twice. So the wamid is kept (in this task, and in Redis for whoever claims the row if
        this process dies first) and only the recording is retried.
        """
        message_id: uuid.UUID = row["id"]
        noted = False
        more = True
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(DATABASE_TROUBLE),
            wait=wait_exponential_jitter(multiplier=0.05, max=2.0, jitter=0.05),
            reraise=True,
        ):
            with attempt:
                try:
                    more = await self._recorder.record(
                        tenant_id, message_id, row["conversation_id"], wamid
                    )
                except DATABASE_TROUBLE as exc:
                    if not noted:
                        await self._acceptances.remember(message_id, wamid)
                        noted = True
                    log.warning(
                        "accepted send not recorded yet; retrying",
                        message_id=str(message_id),
                        error=str(exc) or type(exc).__name__,
                    )
                    raise
        if noted or row["attempts"] > 1:
            await self._acceptances.forget(message_id)
        self.sent += 1
        return more

    async def _failed_call(self, claimed: Claimed, exc: GraphError, attempts: int) -> None:
        """Meta refused (or never answered): retry later what can succeed, else fail it. Meta
        didn't take the message, so recording this is retried like a give-back."""
        row = claimed.row
        limit = retry_limit(exc.code) or self._settings.send_max_attempts
        if exc.kind == "transient" and attempts < limit:
            # tenacity's exponential backoff, counted by the row's attempts (the retry is
            # durable: a row rescheduled, not a task sleeping).
            wait = wait_exponential(
                multiplier=self._settings.send_backoff_seconds,
                max=self._settings.send_backoff_max_seconds,
            )
            longest = backoff.delay(wait, attempts)
            # Jitter: many messages throttled at once must not retry in lockstep.
            delay = random.uniform(longest / 2, longest)  # noqa: S311 - jitter, not security
            log.info(
                "send failed; will retry",
                message_id=str(row["id"]),
                code=exc.code,
                http_status=exc.http_status,
                attempt=attempts,
                retry_in=round(delay, 2),
            )
            at = datetime.now(UTC) + timedelta(seconds=delay)
            error = f"{exc.code}: {exc.message}"
            await settle(
                self._pool, claimed, lambda conn: outbox_db.reschedule(conn, row["id"], at, error)
            )
            return
        if exc.kind == "auth":
            log.error(
                "whatsapp access token rejected: an admin must update it",
                number=row["phone_number_id"],
                code=exc.code,
            )
        await self._fail(claimed, *explain_error(exc))

    async def _fail(
        self, claimed: Claimed, code: int | None, title: str | None, explanation: str
    ) -> None:
        row = claimed.row
        tenant_id: uuid.UUID = row["tenant_id"]

        async def write(conn: Connection) -> list[EventEnvelope]:
            await outbox_db.advance(
                conn,
                row["id"],
                "failed",
                datetime.now(UTC),
                error_code=code,
                error_title=title,
                explanation=explanation,
            )
            await outbox_db.dequeue(conn, row["id"])
            event = MessageStatusUpdated(
                conversation_id=row["conversation_id"],
                message_id=row["id"],
                wa_message_id=None,
                status=MessageStatus.FAILED,
                error=MessageError(code=code, title=title, explanation=explanation),
            )
            return await number_events(conn, tenant_id, [event])

        envelopes = await settle(self._pool, claimed, write)
        self.failed += 1
        await self._bus.deliver(envelopes)


def _recipient(row: asyncpg.Record) -> Recipient:
    """The customer's address: the phone when known, else their BSUID (never in ``to``)."""
    return Recipient(phone=row["wa_id"], bsuid=row["bsuid"])
