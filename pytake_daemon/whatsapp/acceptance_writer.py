"""Meta's acceptances of our sends, recorded together: group commit for the outbox.

Every send that Meta accepted needs the same bookkeeping: its wamid on the message, its outbox
row gone, any status callback that beat it applied, and its ``message_status_updated`` event
numbered. Done per send, that was a transaction of five round trips for each automated reply,
with 64 senders queueing on the tenant's event counter row (a sequence since 0020). Here the
sends that finish while a commit is in flight wait for the next one, and each commit records
all of them: per tenant, one lock statement, one bookkeeping statement and one numbering of
the events.

A batch that fails is retried one send at a time, so one bad row never costs its neighbours;
the failure of a lone send goes back to its sender, which keeps the wamid and retries
(``Sender._record_acceptance``).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import structlog

from pytake_daemon.db.pool import Connection, Pool, scope_next_begin, set_tenant
from pytake_daemon.protocol import EventEnvelope, MessageStatus, MessageStatusUpdated
from pytake_daemon.protocol.conversations import MessageError
from pytake_daemon.realtime.bus import EventBus, number_events
from pytake_daemon.whatsapp import outbox_db
from pytake_daemon.whatsapp.meta_errors import explain_error

log = structlog.get_logger("pytake.whatsapp")


@dataclass(slots=True)
class _Accepted:
    tenant_id: uuid.UUID
    message_id: uuid.UUID
    conversation_id: uuid.UUID
    wamid: str
    done: asyncio.Future[bool] = field(repr=False)


class AcceptanceWriter:
    def __init__(self, pool: Pool, bus: EventBus, *, max_batch: int = 256) -> None:
        self._pool = pool
        self._bus = bus
        self._max_batch = max_batch
        self._pending: list[_Accepted] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="acceptance-writer")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def close(self) -> None:
        """Stop; acceptances not committed yet are refused (their senders keep the wamid)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for item in self._pending:
            if not item.done.done():
                item.done.set_exception(ConnectionError("the acceptance writer stopped"))
        self._pending.clear()

    async def record(
        self, tenant_id: uuid.UUID, message_id: uuid.UUID, conversation_id: uuid.UUID, wamid: str
    ) -> bool:
        """Return once the acceptance is committed: whether the conversation has a message
        queued behind this one. Raises what the commit raised (the sender retries)."""
        if not self.running:
            raise ConnectionError("the acceptance writer is not running")
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append(_Accepted(tenant_id, message_id, conversation_id, wamid, done))
        self._wake.set()
        # Shielded: a sender cancelled at shutdown must not cancel a commit shared with others.
        return await asyncio.shield(done)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                await self._commit(batch)

    async def _commit(self, batch: list[_Accepted]) -> None:
        try:
            more, envelopes = await self._write(batch)
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0], exc=exc)
                return
            log.warning("acceptance batch not committed; one by one", error=str(exc))
            for item in batch:
                await self._commit([item])
            return
        self.batches += 1
        for item in batch:
            _settle(item, more=more.get(item.message_id, True))
        try:
            await self._bus.deliver(envelopes)
        except Exception:  # committed: clients resync on the gap
            log.exception("acceptance events not delivered")

    async def _write(
        self, batch: list[_Accepted]
    ) -> tuple[dict[uuid.UUID, bool], list[EventEnvelope]]:
        by_tenant: dict[uuid.UUID, list[_Accepted]] = defaultdict(list)
        for item in batch:
            by_tenant[item.tenant_id].append(item)
        more: dict[uuid.UUID, bool] = {}
        envelopes: list[EventEnvelope] = []
        # Tenants in a fixed order, each one's events numbered last in its part: two processes'
        # writers (and the webhook writer, which locks wamids too) wait for each other, never
        # in a cycle.
        tenants = sorted(by_tenant)
        async with self._pool.acquire() as conn:
            first_scoped = scope_next_begin(conn, tenants[0], generic_plans=True)
            async with conn.transaction():
                for n, tenant_id in enumerate(tenants):
                    if n > 0 or not first_scoped:
                        await set_tenant(conn, tenant_id, generic_plans=True)
                    items = by_tenant[tenant_id]
                    accepted = await outbox_db.mark_accepted(
                        conn,
                        [i.message_id for i in items],
                        [i.wamid for i in items],
                        [i.conversation_id for i in items],
                    )
                    events = [
                        await _status_event(conn, i, accepted.get(i.message_id)) for i in items
                    ]
                    more.update({m: a.more for m, a in accepted.items()})
                    envelopes.extend(await number_events(conn, tenant_id, events))
        return more, envelopes


async def _status_event(
    conn: Connection, item: _Accepted, acceptance: outbox_db.Acceptance | None
) -> MessageStatusUpdated:
    """The message's status now: accepted, or what a callback that beat the recording said
    (applied to the message here)."""
    status = MessageStatus.ACCEPTED
    error: MessageError | None = None
    known = acceptance.known if acceptance is not None else None
    if known is not None and known["status"] in MessageStatus.__members__.values():
        code = title = explanation = None
        if known["status"] == "failed" and known["errors"]:
            code, title, explanation = explain_error(known["errors"][0])
            error = MessageError(code=code, title=title, explanation=explanation)
        await outbox_db.advance(
            conn,
            item.message_id,
            known["status"],
            known["occurred_at"],
            error_code=code,
            error_title=title,
            explanation=explanation,
        )
        status = MessageStatus(known["status"])
    return MessageStatusUpdated(
        conversation_id=item.conversation_id,
        message_id=item.message_id,
        wa_message_id=item.wamid,
        status=status,
        error=error,
    )


def _settle(item: _Accepted, *, more: bool = True, exc: BaseException | None = None) -> None:
    if item.done.done():
        return
    if exc is None:
        item.done.set_result(more)
    else:
        item.done.set_exception(exc)
