"""Webhook delivery the way Meta does it: at least once, retried, sometimes twice, out of order.

Every notification is one signed POST. Anything but a 200 (an error status, a refused
connection, no answer within ``timeout``) is retried with exponential backoff until
``max_attempts``. Faults Meta shows in practice are reproduced at configurable rates: a
delivered notification may be delivered again (``duplicate_rate``), and one may be held back
until a later one has gone out (``out_of_order_rate``). Several items can share one POST
(``batch_max``), as Meta batches messages and statuses. Every attempt is logged, which is what
durability tests check against.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp
import orjson

from pytake_simulator.config import DeliveryConfig
from pytake_simulator.webhooks import USER_AGENT, signature_headers
from pytake_simulator.wire import WebhookPayload


@dataclass(frozen=True)
class Attempt:
    number: int
    started_at: float  # wall clock
    duration_ms: float
    status: int | None  # HTTP status, None when there was no answer
    error: str | None


@dataclass
class DeliveryRecord:
    """One notification (one POST body) and everything that happened to it."""

    id: int
    body: bytes
    headers: dict[str, str]
    message_ids: tuple[str, ...]
    statuses: tuple[tuple[str, str], ...]  # (wamid, status)
    fields: tuple[str, ...]
    created_at: float  # monotonic
    duplicate_of: int | None = None
    held: bool = False
    attempts: list[Attempt] = field(default_factory=list)
    acked_at: float | None = None  # monotonic
    gave_up: bool = False
    next_attempt_at: float | None = None  # monotonic

    @property
    def state(self) -> str:
        if self.acked_at is not None:
            return "acked"
        if self.gave_up:
            return "gave_up"
        return "held" if self.held else "pending"

    @property
    def settled(self) -> bool:
        return self.acked_at is not None or self.gave_up

    @property
    def ack_latency(self) -> float | None:
        return None if self.acked_at is None else self.acked_at - self.created_at


ChangeListener = Callable[[DeliveryRecord], None]


class DeliveryEngine:
    """The queue of notifications, its worker and the delivery log."""

    def __init__(
        self,
        config: DeliveryConfig,
        *,
        app_secret: str,
        webhook_url: str | None,
        rng: random.Random,
        on_change: ChangeListener,
    ) -> None:
        self.config = config
        self.app_secret = app_secret
        self.records: list[DeliveryRecord] = []
        self._webhook_url = webhook_url
        self._rng = rng
        self._on_change = on_change
        self._heap: list[tuple[float, int, int]] = []
        self._held: dict[int, asyncio.TimerHandle] = {}
        self._wake: asyncio.Event | None = None
        self._slots: asyncio.Semaphore | None = None
        self._session: aiohttp.ClientSession | None = None
        self._worker: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._unsettled = 0  # kept as a count: load mode asks after every change

    # --- lifecycle ---

    async def start(self) -> None:
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(self.config.concurrency)
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.config.concurrency),
            headers={"User-Agent": USER_AGENT},
        )
        self._worker = asyncio.create_task(self._run(), name="webhook-delivery")
        # Anything submitted before start (there is no loop then) is due now.
        for record in self.records:
            if not record.settled and not record.held:
                self._schedule(record, time.monotonic())

    async def stop(self) -> None:
        for handle in self._held.values():
            handle.cancel()
        self._held.clear()
        tasks = [t for t in (self._worker, *self._inflight) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._worker = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def webhook_url(self) -> str | None:
        return self._webhook_url

    @webhook_url.setter
    def webhook_url(self, url: str | None) -> None:
        self._webhook_url = url
        if self._wake is not None:
            self._wake.set()

    # --- submitting ---

    def submit(
        self,
        payload: WebhookPayload,
        *,
        message_ids: tuple[str, ...] = (),
        statuses: tuple[tuple[str, str], ...] = (),
        fields: tuple[str, ...] = (),
        duplicate_of: int | None = None,
    ) -> DeliveryRecord:
        return self._submit_body(
            orjson.dumps(payload.wire()),
            message_ids=message_ids,
            statuses=statuses,
            fields=fields,
            duplicate_of=duplicate_of,
        )

    def _submit_body(
        self,
        body: bytes,
        *,
        message_ids: tuple[str, ...],
        statuses: tuple[tuple[str, str], ...],
        fields: tuple[str, ...],
        duplicate_of: int | None,
        delay: float = 0.0,
    ) -> DeliveryRecord:
        record = DeliveryRecord(
            id=len(self.records) + 1,
            body=body,
            headers=signature_headers(self.app_secret, body),
            message_ids=message_ids,
            statuses=statuses,
            fields=fields,
            created_at=time.monotonic(),
            duplicate_of=duplicate_of,
        )
        self.records.append(record)
        self._unsettled += 1
        hold = (
            duplicate_of is None
            and self.config.out_of_order_rate > 0
            and self._rng.random() < self.config.out_of_order_rate
        )
        if hold and self._wake is not None:
            record.held = True
            loop = asyncio.get_running_loop()
            self._held[record.id] = loop.call_later(
                self.config.out_of_order_hold, self._release, record
            )
        elif self._wake is not None:
            self._schedule(record, time.monotonic() + delay)
        self._on_change(record)
        return record

    def _release(self, record: DeliveryRecord) -> None:
        handle = self._held.pop(record.id, None)
        if handle is not None:
            handle.cancel()
        if record.held:
            record.held = False
            self._schedule(record, time.monotonic())

    def _release_older_than(self, record: DeliveryRecord) -> None:
        """A later notification went out: what was held back before it may follow now."""
        for held_id in [i for i in self._held if i < record.id]:
            self._release(self.records[held_id - 1])

    def _schedule(self, record: DeliveryRecord, due: float) -> None:
        record.next_attempt_at = due
        heapq.heappush(self._heap, (due, record.id, record.id))
        if self._wake is not None:
            self._wake.set()

    # --- the worker ---

    async def _run(self) -> None:
        assert self._slots is not None
        while True:
            record = await self._next_due()
            await self._slots.acquire()
            task = asyncio.create_task(self._deliver(record))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def _next_due(self) -> DeliveryRecord:
        assert self._wake is not None
        while True:
            self._wake.clear()
            if self._webhook_url is not None and self._heap:
                due, _, record_id = self._heap[0]
                record = self.records[record_id - 1]
                if record.next_attempt_at != due or record.settled:
                    heapq.heappop(self._heap)  # a stale entry: rescheduled or done since
                    continue
                delay = due - time.monotonic()
                if delay <= 0:
                    heapq.heappop(self._heap)
                    record.next_attempt_at = None
                    return record
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._wake.wait()
            else:
                await self._wake.wait()

    async def _deliver(self, record: DeliveryRecord) -> None:
        assert self._slots is not None
        try:
            attempt = await self._post(record)
            record.attempts.append(attempt)
            if attempt.status == 200:
                record.acked_at = time.monotonic()
                self._unsettled -= 1
                self._maybe_duplicate(record)
            elif len(record.attempts) >= self.config.max_attempts:
                record.gave_up = True
                self._unsettled -= 1
            else:
                self._schedule(record, time.monotonic() + self.backoff(len(record.attempts)))
            if not record.held and record.duplicate_of is None:
                self._release_older_than(record)
            self._on_change(record)
        finally:
            self._slots.release()

    def backoff(self, attempts: int) -> float:
        """Seconds before the next attempt after ``attempts`` failed ones."""
        cfg = self.config
        return float(min(cfg.retry_cap, cfg.retry_base * cfg.retry_factor ** (attempts - 1)))

    async def _post(self, record: DeliveryRecord) -> Attempt:
        assert self._session is not None
        url = self._webhook_url
        assert url is not None
        started, wall = time.monotonic(), time.time()
        status: int | None = None
        error: str | None = None
        try:
            async with self._session.post(
                url,
                data=record.body,
                headers=record.headers,
                timeout=aiohttp.ClientTimeout(total=self.config.timeout),
                allow_redirects=False,
            ) as response:
                await response.read()
                status = response.status
                if status != 200:
                    error = f"HTTP {status}"
        except TimeoutError:
            error = f"timeout after {self.config.timeout:g}s"
        except aiohttp.ClientError as exc:
            error = f"{type(exc).__name__}: {exc}"
        return Attempt(
            number=len(record.attempts) + 1,
            started_at=wall,
            duration_ms=(time.monotonic() - started) * 1000,
            status=status,
            error=error,
        )

    def _maybe_duplicate(self, record: DeliveryRecord) -> None:
        if record.duplicate_of is not None or self.config.duplicate_rate <= 0:
            return
        if self._rng.random() < self.config.duplicate_rate:
            self._submit_body(
                record.body,
                message_ids=record.message_ids,
                statuses=record.statuses,
                fields=record.fields,
                duplicate_of=record.id,
                delay=self.config.duplicate_delay,
            )

    def pending(self) -> int:
        """Notifications not yet acknowledged nor given up on."""
        return self._unsettled
