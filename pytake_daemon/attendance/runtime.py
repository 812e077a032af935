"""The queues' moving parts in one daemon process: distributor tasks, the periodic sweep, the
presence refresher and the hourly aggregation.

Distributors wait for hints — (tenant, queue) or (tenant, every queue) — given after commits in
this process: a new item, an agent available, a conversation closed. Work born in another
process (or missed) is found by the sweep every ``queues.sweep_seconds``, which also applies
wait timeouts, sends position updates and sets away the agents whose console is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import asyncpg
import structlog
from tenacity import wait_exponential

from pytake_daemon import backoff
from pytake_daemon.attendance import (
    agent_status,
    announce,
    distribution,
    endings,
    goals,
    queues_db,
    reopen,
    satisfaction,
)
from pytake_daemon.attendance.aggregation import HourlyAggregation
from pytake_daemon.attendance.presence import Presence
from pytake_daemon.config import QueuesSettings
from pytake_daemon.conversations import timeline
from pytake_daemon.conversations.inbound import InboundBatch
from pytake_daemon.db.pool import Connection, Pool, tenant_transaction
from pytake_daemon.effects import Effects
from pytake_daemon.loops import OUTAGE_ERRORS, Loops
from pytake_daemon.protocol.agents import SatisfactionReceived
from pytake_daemon.protocol.conversations import TimelineKind
from pytake_daemon.realtime.bus import EventBus

log = structlog.get_logger("pytake.queues")

Hint = tuple[uuid.UUID, uuid.UUID | None]

# Conflicts another transaction may cause; the work is simply tried again on the next hint.
_RETRYABLE = (
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
    asyncpg.CheckViolationError,
    asyncpg.UniqueViolationError,
)


# Between passes while another transaction holds an agent: 10, 20, 40… 320 ms, six times
# (about 0.6 s in all), then the sweep comes back to the queue.
_CONTENDED_WAIT = wait_exponential(multiplier=0.01, max=0.32)
_CONTENDED_TRIES = 6


class QueueRuntime:
    def __init__(
        self,
        pool: Pool,
        bus: EventBus,
        presence: Presence,
        settings: QueuesSettings,
        *,
        wake_sender: Callable[[], None],
        forward: Callable[[uuid.UUID, list[uuid.UUID] | None], None] | None = None,
    ) -> None:
        # A web process (server.role) distributes nothing: its hints go to the jobs process.
        self._forward = forward
        self._pool = pool
        self._bus = bus
        self.presence = presence
        self._settings = settings
        self._wake_sender = wake_sender
        self._hints: asyncio.Queue[Hint] = asyncio.Queue()
        self._pending: set[Hint] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        self._aggregation = HourlyAggregation(pool, minute=settings.aggregation_minute)
        self.assigned = 0
        """Items this process assigned automatically (tests and the benchmark read it)."""
        template = settings.satisfaction_template
        self.satisfaction_template: tuple[str, str] | None = None
        if template and ":" in template:
            name, _, language = template.partition(":")
            self.satisfaction_template = (name, language)

    # --- lifecycle ----------------------------------------------------------------------------

    def start(
        self, loops: Loops | None = None, *, distribute: bool = True, consoles: bool = True
    ) -> None:
        """``distribute``: the distributors, sweep and aggregation (a jobs process's, see
        pytake_daemon/roles.py); ``consoles``: the presence refresher (where consoles connect)."""
        # Supervised (pytake_daemon/loops.py): each keeps itself going and returns only once
        # stopping; anything that escapes it is logged and it is restarted after a backoff
        # (the presence refresher had no guard at all), and /readyz names one that ended.
        loops = loops or Loops()
        self._tasks = []
        if distribute:
            self._tasks = [
                loops.start(
                    f"queue-distributor-{n}", self._distributor, deadline=None, repeat=False
                )
                for n in range(self._settings.distributors)
            ]
            self._tasks.append(
                loops.start("queue-sweeper", self._sweeper, deadline=None, repeat=False)
            )
            self._aggregation.start()
        if consoles:
            self._tasks.append(
                loops.start(
                    "presence-refresher",
                    lambda: self.presence.run_refresher(self._stopping),
                    deadline=None,
                    repeat=False,
                )
            )

    async def stop(self) -> None:
        await self._aggregation.stop()
        # The flag as well as the cancellation: redis-py can swallow a cancellation that lands
        # in one of its reads, and the loops then end at their next turn instead.
        self._stopping.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- after a commit -----------------------------------------------------------------------

    def wake(self, tenant_id: uuid.UUID, queue_ids: Iterable[uuid.UUID] | None = None) -> None:
        """Ask the distributors to look at some queues of a tenant (``None``: all of them)."""
        if self._forward is not None:
            self._forward(tenant_id, None if queue_ids is None else list(queue_ids))
            return
        hints: list[Hint] = (
            [(tenant_id, q) for q in queue_ids] if queue_ids is not None else [(tenant_id, None)]
        )
        for hint in hints:
            if hint not in self._pending:
                self._pending.add(hint)
                self._hints.put_nowait(hint)

    async def after_commit(self, tenant_id: uuid.UUID, effects: Effects) -> None:
        """Publish the events, wake the sender and the distributors."""
        if effects.events:
            await self._bus.publish_many(tenant_id, effects.events)
        if effects.messages_queued:
            self._wake_sender()
        if effects.capacity_freed:
            self.wake(tenant_id)
        elif effects.distribute:
            self.wake(tenant_id, effects.distribute)

    # --- distribution -------------------------------------------------------------------------

    async def _distributor(self) -> None:
        while not self._stopping.is_set():
            hint = await self._hints.get()
            self._pending.discard(hint)
            tenant_id, queue_id = hint
            try:
                if queue_id is None:
                    async with tenant_transaction(self._pool, tenant_id) as conn:
                        queue_ids = await queues_db.queues_with_waiting(conn)
                    for qid in queue_ids:
                        await self.distribute_queue(tenant_id, qid)
                else:
                    await self.distribute_queue(tenant_id, queue_id)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                # The sweep comes back to it.
                log.warning("distribution failed; the sweep will retry", error=str(exc))
            except Exception:  # a dead distributor would silently stop assigning
                log.exception("distribution failed unexpectedly; the sweep will retry")

    async def distribute_queue(self, tenant_id: uuid.UUID, queue_id: uuid.UUID) -> int:
        """Assign from one queue until no item or no agent is left; returns how many."""
        total = 0
        conflicts = 0
        contended_passes = 0
        while True:
            effects = Effects()
            try:
                async with tenant_transaction(self._pool, tenant_id) as conn:
                    count = await distribution.distribute(
                        conn,
                        queue_id,
                        now=datetime.now(UTC),
                        effects=effects,
                        batch=self._settings.batch,
                    )
            except _RETRYABLE as exc:
                conflicts += 1
                log.info("distribution conflict", error=str(exc), attempt=conflicts)
                if conflicts >= 3:
                    return total  # the sweep comes back to it
                continue
            # Another pass held an agent who may take what is left (distribution.distribute):
            # try again once it has likely committed, here rather than through a hint, which
            # would spin while it holds the agent. Past the last wait, the sweep comes back.
            contended = queue_id in effects.distribute
            effects.distribute.discard(queue_id)
            await self.after_commit(tenant_id, effects)
            total += count
            self.assigned += count
            if count == 0:
                if not contended or contended_passes == _CONTENDED_TRIES:
                    return total
                contended_passes += 1
                await asyncio.sleep(backoff.delay(_CONTENDED_WAIT, contended_passes))

    # --- the sweep ----------------------------------------------------------------------------

    async def _sweeper(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.sweep()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("queue sweep failed", error=str(exc))
            except Exception:  # a dead sweeper would silently stop timeouts and presence
                log.exception("queue sweep failed unexpectedly")
            # A timer: the sweep is periodic by nature (hints do the prompt work).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._settings.sweep_seconds):
                    await self._stopping.wait()

    async def sweep(self, now: datetime | None = None) -> None:
        """Consoles gone, timeouts, position updates and distribution of every waiting queue."""
        now = now or datetime.now(UTC)
        for tenant_id, user_id in await self.presence.lapsed():
            effects = Effects()
            async with tenant_transaction(self._pool, tenant_id) as conn:
                await agent_status.console_gone(conn, user_id, now=now, effects=effects)
            await self.after_commit(tenant_id, effects)
        async with self._pool.acquire() as conn:
            targets = await queues_db.sweep_targets(conn, now)
        for target in targets:
            tenant_id, queue_id = target["tenant_id"], target["queue_id"]
            effects = Effects()
            try:
                async with tenant_transaction(self._pool, tenant_id) as conn:
                    if target["overdue"]:
                        await endings.expire_overdue(conn, queue_id, now=now, effects=effects)
                    await announce.send_positions(conn, queue_id, now=now, effects=effects)
            except _RETRYABLE as exc:
                log.info("sweep conflict; next sweep", error=str(exc))
                continue
            await self.after_commit(tenant_id, effects)
            await self.distribute_queue(tenant_id, queue_id)

    # --- conversations closing ----------------------------------------------------------------

    async def on_status(
        self,
        conn: Connection,
        conversation: asyncpg.Record | None,
        status: str,
        actor_id: uuid.UUID | None,
    ) -> Effects:
        """Before a conversation's status changes (same transaction): resolving it ends its
        attendance. Pass the effects to :meth:`after_commit` once committed."""
        effects = Effects()
        if conversation is None or conversation["status"] == status:
            return effects
        now = datetime.now(UTC)
        if status == "resolved":
            # The line first: the rating question that closing queues follows it in the thread.
            line = timeline.Line(
                conversation["id"],
                TimelineKind.CLOSED.value,
                actor_id=actor_id,
                agent_id=conversation["assigned_user_id"],
                queue_id=conversation.get("queue_id"),
            )
            effects.events.extend(await timeline.record(conn, [line]))
            await endings.conversation_closed(
                conn,
                conversation["id"],
                actor_id=actor_id,
                now=now,
                effects=effects,
                satisfaction_template=self.satisfaction_template,
            )
        return effects

    async def after_status(
        self,
        conn: Connection,
        conversation: asyncpg.Record | None,
        status: str,
        actor_id: uuid.UUID | None,
        effects: Effects,
    ) -> None:
        """After a conversation's status changed (same transaction): resolved → open puts it
        back in its last queue, like a customer writing again (``reopen.py``)."""
        if conversation is not None and conversation["status"] == "resolved" and status == "open":
            await reopen.reopen_one(
                conn, conversation["id"], actor_id=actor_id, now=datetime.now(UTC), effects=effects
            )

    # --- inbound messages ---------------------------------------------------------------------

    async def on_inbound(self, batch: InboundBatch) -> None:
        """Customers' replies that answer a satisfaction question, in the fan-out's
        transaction (a savepoint each: a failure is logged and costs only that answer)."""
        for conversation, message in batch.inbound:
            answer = satisfaction.parse_answer(message.content, message.text)
            if answer is None:
                continue
            try:
                async with batch.conn.transaction():
                    agent_id = await satisfaction.record_answer(
                        batch.conn, conversation.id, answer, message.text, batch.now
                    )
                    if agent_id is None:
                        continue
                    line = timeline.Line(
                        conversation.id,
                        TimelineKind.RATED.value,
                        agent_id=agent_id,
                        detail={"rating": answer.rating},
                    )
                    batch.events.extend(await timeline.record(batch.conn, [line]))
                    batch.events.append(
                        SatisfactionReceived(
                            conversation_id=conversation.id,
                            agent_id=agent_id,
                            rating=answer.rating,
                        )
                    )
                    batch.events.extend(await goals.check(batch.conn, agent_id, batch.now))
            except OUTAGE_ERRORS:
                raise
            except Exception:
                log.exception("satisfaction answer not recorded", message_id=str(message.id))
