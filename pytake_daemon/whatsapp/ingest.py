"""The webhook writer: what a notification carries is committed before Meta gets its 200.

One transaction per request caps near 3,500 requests/s (Python CPU, not the disk), so requests
don't write themselves: they hand their items to a single writer task and wait. The writer
commits everything that is waiting in one transaction, as soon as the previous commit is done
(no fixed wait window), then answers them all. Under light load a batch is one request; under
heavy load batches grow and the cost per request falls.

Idempotency lives in the same transaction (unique keys on message id and on message id +
status), so Meta's redeliveries and overlapping batches are no-ops. A new customer message's
follow-up work (its event, the flow step, AI) is a ``jobs`` row written in that transaction
too: if the process dies right after the commit, the work is still there for whichever process
claims it. Status callbacks need nothing else: their events are numbered in the same
transaction (last, from the tenant's sequence, so the ordering point waits the least for a
number taken before a slow commit) and delivered right after it; one lost to a crash in
between is a gap that makes clients resync.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from pytake_daemon.db.pool import Connection, Pool, scope_next_begin, set_tenant
from pytake_daemon.jobs import db as jobs_db
from pytake_daemon.jobs.priority import AckPriority
from pytake_daemon.metrics import families as metrics
from pytake_daemon.protocol import EventEnvelope, ServerEvent
from pytake_daemon.protocol.message_preview import english
from pytake_daemon.realtime.bus import number_events
from pytake_daemon.whatsapp import ingest_db
from pytake_daemon.whatsapp.ingest_contacts import Sighting, resolve_contacts
from pytake_daemon.whatsapp.ingest_edits import apply_edits
from pytake_daemon.whatsapp.ingest_events import TEMPLATE_SYNC_JOB, Routed, write_other_items
from pytake_daemon.whatsapp.ingest_statuses import StatusesWritten, status_event, write_statuses
from pytake_daemon.whatsapp.render import describe, stored_preview
from pytake_daemon.whatsapp.webhook import (
    InboundMessage,
    StatusUpdate,
)

log = structlog.get_logger("pytake.whatsapp")

INGEST_JOB = "ingest"

# Reactions and system notices don't ask for an answer: they don't count as unread.
_NOT_UNREAD = frozenset({"reaction", "system"})
# Notices about an earlier message, applied to it rather than stored as messages.
_MESSAGE_NOTICES = frozenset({"edit", "revoke"})


@dataclass
class _Request:
    items: list[Routed]
    done: asyncio.Future[None]


@dataclass
class TenantBatchResult:
    new_messages: list[uuid.UUID] = field(default_factory=list)
    statuses: StatusesWritten = field(default_factory=StatusesWritten)
    edited: list[uuid.UUID] = field(default_factory=list)
    jobs: int = 0
    account_events: list[ServerEvent] = field(default_factory=list)
    """Template status and number quality changes (ingest_events.py)."""

    def events(self) -> list[ServerEvent]:
        """What clients hear of now that still needs numbers (new messages and edits are
        announced by the fan-out; most status changes were numbered by their statement)."""
        return self.account_events + [status_event(row) for row in self.statuses.late]


Deliver = Callable[[Sequence[EventEnvelope]], Awaitable[None]]


class IngestWriter:
    def __init__(
        self,
        pool: Pool,
        *,
        max_batch: int,
        writers: int = 2,
        on_work: Callable[[], None] | None = None,
        deliver: Deliver | None = None,
        priority: AckPriority | None = None,
    ) -> None:
        self._pool = pool
        self._max_batch = max_batch
        self._writers = writers
        self._on_work = on_work
        self._deliver = deliver
        self._priority = priority
        self._pending: list[_Request] = []
        self._in_flight = 0
        """Requests handed in and not yet answered (committed or refused)."""
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.batches = 0
        self.requests = 0

    def start(self) -> None:
        # Two writers by default: one transaction fills while the other waits on PostgreSQL, so
        # the database and this process work at the same time. Rows are locked in a fixed order
        # (tenant, then sorted keys), so concurrent batches wait for each other, never deadlock.
        self._tasks = [
            asyncio.create_task(self._run(), name=f"webhook-writer-{i}")
            for i in range(self._writers)
        ]

    @property
    def running(self) -> bool:
        return bool(self._tasks) and not all(t.done() for t in self._tasks)

    async def close(self) -> None:
        """Stop after the requests already handed in are answered."""
        while self._pending and self.running:
            self._wake.set()
            await asyncio.sleep(0)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for request in self._pending:
            if not request.done.done():
                request.done.set_exception(ConnectionError("the webhook writer stopped"))

    async def submit(self, items: list[Routed]) -> None:
        """Return once ``items`` are committed; raise if they could not be (→ no 200)."""
        if not self.running:
            raise ConnectionError("the webhook writer is not running")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append(_Request(items, done))
        self._in_flight += 1
        done.add_done_callback(self._answered)
        self._report_waiting()
        self._wake.set()
        # Shielded: a client that disconnects must not cancel a commit that includes others.
        await asyncio.shield(done)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            if not self._pending:
                self._wake.clear()
                continue
            while self._pending:
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                await self._commit_batch(batch)

    def _answered(self, _: asyncio.Future[None]) -> None:
        self._in_flight -= 1
        self._report_waiting()

    def _report_waiting(self) -> None:
        # Every request not yet answered, not only those queued for a writer: under a burst the
        # writers take the queue at once, and the requests then wait on the commit in flight
        # while the follow-up work would take the event loop they need next.
        if self._priority is not None:
            self._priority.waiting(self._in_flight)

    async def _commit_batch(self, batch: list[_Request]) -> None:
        started = time.perf_counter()
        try:
            jobs, envelopes = await self._write([r for request in batch for r in request.items])
        except Exception as exc:
            if len(batch) == 1:
                log.warning("webhook batch not committed", error=str(exc), kind=type(exc).__name__)
                _settle(batch[0], exc)
                return
            # One bad request must not fail the others: commit each alone.
            for request in batch:
                try:
                    jobs, envelopes = await self._write(request.items)
                except Exception as single_exc:
                    log.warning(
                        "webhook request not committed",
                        error=str(single_exc),
                        kind=type(single_exc).__name__,
                    )
                    _settle(request, single_exc)
                else:
                    _settle(request, None)
                    await self._after_commit(jobs, envelopes)
            return
        metrics.INGEST_COMMIT_SECONDS.observe(time.perf_counter() - started)
        metrics.INGEST_BATCH_REQUESTS.observe(len(batch))
        self.batches += 1
        self.requests += len(batch)
        for request in batch:
            _settle(request, None)
        await self._after_commit(jobs, envelopes)

    async def _after_commit(self, jobs: int, envelopes: list[EventEnvelope]) -> None:
        if jobs and self._on_work is not None:
            self._on_work()
        if envelopes and self._deliver is not None:
            try:
                await self._deliver(envelopes)
            except Exception:  # committed and answered: clients resync on the gap
                log.exception("webhook events not delivered")

    async def _write(self, items: list[Routed]) -> tuple[int, list[EventEnvelope]]:
        by_tenant: dict[uuid.UUID, list[Routed]] = defaultdict(list)
        for routed in items:
            by_tenant[routed.route.tenant_id].append(routed)
        jobs = 0
        envelopes: list[EventEnvelope] = []
        # Tenants in a fixed order so two writers (several processes) can't deadlock; each
        # tenant's events numbered last in its part (the numbers are taken close to the commit).
        tenants = sorted(by_tenant)
        if not tenants:
            return 0, []
        async with self._pool.acquire() as conn:
            first_scoped = scope_next_begin(conn, tenants[0])
            async with conn.transaction():
                for i, tenant_id in enumerate(tenants):
                    if i > 0 or not first_scoped:
                        await set_tenant(conn, tenant_id)
                    result = await write_tenant_items(conn, tenant_id, by_tenant[tenant_id])
                    jobs += result.jobs
                    envelopes.extend(result.statuses.numbered)
                    envelopes.extend(await number_events(conn, tenant_id, result.events()))
        return jobs, envelopes


def _settle(request: _Request, exc: BaseException | None) -> None:
    if request.done.done():
        return
    if exc is None:
        request.done.set_result(None)
    else:
        request.done.set_exception(exc)


def _json(model: Any) -> Any:
    if model is None:
        return None
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


async def write_tenant_items(
    conn: Connection, tenant_id: uuid.UUID, items: list[Routed]
) -> TenantBatchResult:
    """Write one tenant's items in the caller's tenant-scoped transaction."""
    result = TenantBatchResult()
    inbound = [r for r in items if isinstance(r.item, InboundMessage)]
    messages = [r for r in inbound if _msg(r).type not in _MESSAGE_NOTICES]
    notices = [_msg(r) for r in inbound if _msg(r).type in _MESSAGE_NOTICES]
    statuses = [r.item for r in items if isinstance(r.item, StatusUpdate)]
    if messages:
        result.new_messages = await _write_messages(conn, messages)
        result.jobs += 1 if result.new_messages else 0
    if notices:
        # After the messages: an edit may arrive in the same POST as its original.
        result.edited = await apply_edits(conn, notices)
    if statuses:
        result.statuses = await write_statuses(conn, tenant_id, statuses)
    others = [r for r in items if not isinstance(r.item, InboundMessage | StatusUpdate)]
    if others:
        other = await write_other_items(conn, others)
        result.jobs += other.jobs
        result.account_events = other.events
    if result.edited:
        payload = {"messages": [], "updated": [str(i) for i in result.edited]}
        await jobs_db.insert_job(conn, INGEST_JOB, payload)
        result.jobs += 1
    return result


async def _write_messages(conn: Connection, routed: list[Routed]) -> list[uuid.UUID]:
    """New inbound messages, their contacts and conversations; the SQL queues their job."""
    unique: dict[str, Routed] = {}
    for r in routed:
        # A wamid twice in one batch (a duplicate racing its original) is one message.
        unique.setdefault(_msg(r).message_id, r)
    sightings = [
        Sighting(_msg(r).who, verified_phone=_msg(r).verified_phone, rekey=_msg(r).rekey)
        for r in unique.values()
    ]
    resolved = await resolve_contacts(conn, sightings, list(unique))
    # A message stored already (a redelivery) has no contact to resolve and nothing to insert.
    chosen: list[Routed] = []
    contact_ids: list[uuid.UUID] = []
    for r, contact_id in zip(unique.values(), resolved, strict=True):
        if contact_id is not None:
            chosen.append(r)
            contact_ids.append(contact_id)
    if not chosen:
        return []
    pairs = sorted({(r.route.number_id, c) for r, c in zip(chosen, contact_ids, strict=True)})
    conversations = await ingest_db.ensure_conversations(
        conn, [p[0] for p in pairs], [p[1] for p in pairs]
    )
    rows: dict[str, list[Any]] = defaultdict(list)
    for r, contact_id in zip(chosen, contact_ids, strict=True):
        msg = _msg(r)
        described = describe(msg.type, msg.content)
        text = english(described)
        rows["conversation_ids"].append(conversations[(r.route.number_id, contact_id)])
        rows["wa_message_ids"].append(msg.message_id)
        rows["types"].append(msg.type)
        rows["contents"].append(_json(msg.content))
        rows["texts"].append(text)
        rows["raws"].append(msg.raw)
        rows["contexts"].append(_json(msg.context))
        rows["referrals"].append(_json(msg.referral))
        rows["errors"].append([_json(e) for e in msg.errors])
        rows["wa_timestamps"].append(msg.timestamp)
        rows["previews"].append(stored_preview(described))
        rows["unread"].append(msg.type not in _NOT_UNREAD)
    inserted = await ingest_db.insert_inbound_messages(conn, job_kind=INGEST_JOB, **rows)
    if inserted:
        # The statement queued the fan-out's job: its claim loop is woken after the commit.
        jobs_db.note_queued(INGEST_JOB)
    return [row["id"] for row in inserted]


def _msg(r: Routed) -> InboundMessage:
    assert isinstance(r.item, InboundMessage)
    return r.item


# The routes and the app's wiring know these from here.
__all__ = ["INGEST_JOB", "TEMPLATE_SYNC_JOB", "IngestWriter", "Routed", "write_tenant_items"]
