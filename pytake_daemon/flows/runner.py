"""Live flow sessions: customer messages and timers in, steps, messages and transfers out.

A customer message's step runs in the ingest fan-out's transaction (``inbound_hook``): the
message is announced, stepped and its answer queued for sending in one commit. Timers are
durable jobs (``flow_timer`` for delays and ask timeouts, due at ``run_after``), as are steps
that failed in the fan-out (``flow_inbound``), so a restart loses nothing. A step first takes an
conversation's advisory lock (a flood of messages is served one at a time and never gets two
sessions; the fan-out locks its batch's at once), then reads and writes in step_db.py's
statements: processed at most once, and a crash mid-step redoes it from the stored state.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import structlog

from pytake_daemon.config import FlowsSettings
from pytake_daemon.conversations import db as conversations_db
from pytake_daemon.conversations.inbound import InboundBatch
from pytake_daemon.conversations.views import message_out
from pytake_daemon.db.pool import Connection, Pool, tenant_transaction
from pytake_daemon.effects import Effects
from pytake_daemon.flows import db, step_db
from pytake_daemon.flows.compiled import CompiledFlow
from pytake_daemon.flows.engine import FlowEngine, Inbound, SessionState
from pytake_daemon.flows.http_call import FlowHttp
from pytake_daemon.flows.live_effects import LiveEffects
from pytake_daemon.flows.rounds import Round, step_in_rounds
from pytake_daemon.flows.routing import (
    OncePerBatch,
    PublishedFlows,
    Start,
    new_start,
    template_start,
)
from pytake_daemon.flows.stepping import (
    Step,
    facts_of,
    inbound_of,
    save_step,
    sent_events,
    state_of,
)
from pytake_daemon.flows.transfer import QueueTransfer, Reopen
from pytake_daemon.jobs import db as jobs_db
from pytake_daemon.jobs.job import Job
from pytake_daemon.jobs.runner import JobRunner
from pytake_daemon.protocol import ConversationOut, MessageOut, MessageSent
from pytake_daemon.protocol.flows import TRIGGER_TYPES
from pytake_daemon.realtime.bus import EventBus

log = structlog.get_logger("pytake.flows")

FLOW_INBOUND_JOB = "flow_inbound"


class FlowRunner:
    def __init__(
        self,
        pool: Pool,
        jobs: JobRunner,
        bus: EventBus,
        *,
        settings: FlowsSettings,
        published: PublishedFlows,
        http: FlowHttp,
        transfer: QueueTransfer,
        reopen: Reopen,
        on_sent: Callable[[], None],
        after_transfer: Callable[[uuid.UUID, Effects], Awaitable[None]] | None = None,
    ) -> None:
        self._pool = pool
        self._jobs = jobs
        self._bus = bus
        self._settings = settings
        self._published = published
        self._http = http
        self._transfer = transfer
        self._reopen = reopen
        self._on_sent = on_sent
        self._after_transfer = after_transfer

    # ---- jobs --------------------------------------------------------------------------------

    async def inbound_hook(self, batch: InboundBatch) -> None:
        """Each customer message's flow step in the fan-out's transaction, so the answer is in
        the outbox when it commits: conversations locked in id order (as concurrent batches
        lock them), stepped in rounds (flows/rounds.py), each one's messages in order."""
        messages = sorted(
            ((c, m) for c, m in batch.inbound if m.direction == "in"), key=lambda cm: cm[0].id
        )
        if not messages:
            return
        queued = Effects()
        # First, resolved conversations written into again: back to their queue (the step then
        # stays silent) or, for a rating answer or a reaction, resolved again.
        closed = await self._reopen(batch.conn, messages, now=batch.now, effects=queued)
        # Published flows read once a batch, conversation locks taken at once (in id order).
        published = OncePerBatch(self._published, batch.conn, batch.tenant_id)
        if not await published.load():
            # Only a session running an unpublished version can answer: no step a message.
            running = await step_db.running_sessions(batch.conn, [c.id for c, _ in messages])
            messages = [(c, m) for c, m in messages if c.id in running or c.id in closed]
        await step_db.lock_conversations(batch.conn, [c.id for c, _ in messages])
        for closing in (m for c, m in messages if c.id in closed):
            await db.mark_processed(batch.conn, closing.id, None)

        async def one(
            conversation: ConversationOut, message: MessageOut, previews: dict[uuid.UUID, str],
            shared: Round | None,
        ) -> Step:  # fmt: skip
            return await self._step(
                batch.conn, batch.tenant_id, conversation.id, message, batch.now,
                deferred_previews=previews, published=published.load, shared=shared,
            )  # fmt: skip

        steps = [(c, m) for c, m in messages if c.id not in closed]
        await step_in_rounds(batch, steps, queued, one, self._retry_alone)
        # The queues' events are numbered with the batch; only their wake-ups come after.
        batch.events.extend(queued.events)
        queued.events = []
        if queued.distribute or queued.capacity_freed or queued.messages_queued:

            async def follow_up() -> None:
                await self._after_commit(batch.tenant_id, [], queued)

            batch.follow_ups.append(follow_up)

    async def _retry_alone(
        self, batch: InboundBatch, conversation_id: uuid.UUID, message_id: uuid.UUID
    ) -> None:
        """A step that failed alone: retried as a ``flow_inbound`` job after the commit."""
        log.exception("flow step failed; retrying it alone", message_id=str(message_id))
        payload = {"conversation_id": str(conversation_id), "message_id": str(message_id)}
        await jobs_db.insert_job(batch.conn, FLOW_INBOUND_JOB, payload)
        batch.follow_ups.append(self._wake_jobs)

    async def _wake_jobs(self) -> None:
        self._jobs.wake()

    async def handle_inbound(self, job: Job) -> None:
        """A step that failed inside the fan-out, retried on its own."""
        await self.process_message(
            job.tenant_id,
            uuid.UUID(job.payload["conversation_id"]),
            uuid.UUID(job.payload["message_id"]),
        )

    async def handle_timer(self, job: Job) -> None:
        await self.process_timer(
            job.tenant_id,
            uuid.UUID(job.payload["conversation_id"]),
            uuid.UUID(job.payload["session_id"]),
            int(job.payload["token"]),
        )

    # ---- work --------------------------------------------------------------------------------

    async def process_message(
        self, tenant_id: uuid.UUID, conversation_id: uuid.UUID, message_id: uuid.UUID
    ) -> str:
        """Route and run one customer message in its own transaction; returns what happened."""
        now = datetime.now(UTC)
        async with tenant_transaction(self._pool, tenant_id) as conn:
            rows = await conversations_db.get_messages(conn, [message_id])
            if not rows:
                return "gone"
            step = await self._step(conn, tenant_id, conversation_id, message_out(rows[0]), now)
        await self._after_commit(tenant_id, step.sent, step.queue_effects)
        return step.result

    async def _step(
        self,
        conn: Connection,
        tenant_id: uuid.UUID,
        conversation_id: uuid.UUID,
        message: MessageOut,
        now: datetime,
        *,
        deferred_previews: dict[uuid.UUID, str] | None = None,
        published: Callable[[], Awaitable[list[CompiledFlow]]] | None = None,
        shared: Round | None = None,
    ) -> Step:
        """Route and run one customer message in the caller's transaction (given
        ``deferred_previews``, the replies' conversation previews are left to the caller).

        Given ``published`` (the fan-out's batch), the conversation's flow lock is held already
        and the published flows come from there; given ``shared``, its round read its facts and
        saves its session and queues its replies at the round's end (flows/rounds.py)."""
        if published is None:
            await db.lock_conversation(conn, conversation_id)
            published = functools.partial(self._published.load, conn, tenant_id)
        if shared is None:
            found = (await step_db.step_facts(conn, [(conversation_id, message.id)])).get(
                message.id
            )
        else:
            found = shared.facts.get(message.id)
        if found is None:
            return Step("gone")
        conversation = found.conversation
        if conversation["assigned_user_id"] is not None:
            return Step("human")
        if not found.first_time:
            return Step("duplicate")
        inbound = inbound_of(message)
        session = found.session
        start: Start | None = None
        if message.reply_to is not None:
            template = await db.template_replied_to(conn, conversation_id, message.reply_to)
            if template is not None:
                start = template_start(await published(), template)
        if session is not None and (start is not None or session["expires_at"] <= now):
            await db.end_session(
                conn, session["id"], "replaced" if start is not None else "expired"
            )
            session = None
        if start is None and session is None:
            if found.waiting_in_queue:
                # Handed over to a queue: the customer waits for a human, so a new "oi" must
                # not start the menu again (a template reply still does).
                return Step("queued")
            start = new_start(await published(), inbound.text)
        if start is None and session is None:
            return Step("no flow")
        facts = facts_of(conversation, now)
        new: step_db.NewSession | None = None
        if start is not None:
            # Written by the step's save, with the state the step leaves (step_db.py).
            session_id = uuid.uuid4()
            new = step_db.NewSession(conversation_id, start.flow.flow_id, start.flow.version)
            state = SessionState()
            flow = start.flow
        else:
            assert session is not None
            session_id = session["id"]
            state = state_of(session)
            flow = await self._published.version(conn, session["flow_id"], session["flow_version"])
        effects = LiveEffects(
            conn, tenant_id, conversation_id, session_id, self._transfer, self._http, now,
            deferred_previews, send_conversation=found.send_conversation,
            sends=None if shared is None else shared.sends,
        )  # fmt: skip
        engine = FlowEngine(
            flow, state, facts, effects, max_steps=self._settings.max_steps_per_message
        )
        if start is not None:
            await engine.start(start.trigger_id, inbound)
        else:
            await engine.receive(inbound)
        await save_step(
            conn, engine, effects, session_id, conversation_id, self._expiry(engine.flow), new,
            None if shared is None else shared.saves,
        )  # fmt: skip
        fanned = deferred_previews is not None  # its events get the batch's conversation
        sent = functools.partial(sent_events, conn, effects, now, conversation if fanned else None)
        result = "started" if start is not None else "continued"
        if shared is not None:  # its replies are queued at the round's end
            return Step(result, queue_effects=effects.queue_effects, later=sent)
        return Step(result, await sent(), effects.queue_effects)

    async def process_timer(
        self, tenant_id: uuid.UUID, conversation_id: uuid.UUID, session_id: uuid.UUID, token: int
    ) -> str:
        now = datetime.now(UTC)
        async with tenant_transaction(self._pool, tenant_id) as conn:
            await db.lock_conversation(conn, conversation_id)
            session = await db.get_session(conn, session_id)
            if session is None or session["status"] != "active" or session["wait_token"] != token:
                return "stale"
            conversation = await conversations_db.get_conversation(conn, conversation_id)
            if conversation is None:
                return "gone"
            if conversation["assigned_user_id"] is not None:
                return "human"
            flow = await self._published.version(conn, session["flow_id"], session["flow_version"])
            sent, queued = await self._run(
                conn, tenant_id, conversation, session_id, flow, state_of(session), now,
                lambda engine: engine.timer(token),
            )  # fmt: skip
        await self._after_commit(tenant_id, sent, queued)
        return "fired"

    async def handle_start(self, job: Job) -> None:
        await self.start_flow(
            job.tenant_id,
            uuid.UUID(job.payload["conversation_id"]),
            uuid.UUID(job.payload["flow_id"]),
            reason=str(job.payload.get("reason", "")),
        )

    async def start_flow(
        self, tenant_id: uuid.UUID, conversation_id: uuid.UUID, flow_id: uuid.UUID, *, reason: str
    ) -> str:
        """Start a published flow for a conversation without a customer message (see
        ``flows/starts.py``); a running session is replaced. Returns what happened."""
        now = datetime.now(UTC)
        async with tenant_transaction(self._pool, tenant_id) as conn:
            await db.lock_conversation(conn, conversation_id)
            conversation = await conversations_db.get_conversation(conn, conversation_id)
            if conversation is None:
                return "gone"
            if conversation["assigned_user_id"] is not None:
                return "human"
            flows = await self._published.load(conn, tenant_id)
            flow = next((f for f in flows if f.flow_id == flow_id), None)
            if flow is None:
                # Archived or unpublished since it was chosen: nothing to start, an admin must
                # pick another flow.
                log.warning(
                    "flow to start is not published",
                    flow_id=str(flow_id),
                    conversation_id=str(conversation_id),
                    reason=reason,
                )
                return "not published"
            session = await db.active_session(conn, conversation_id)
            if session is not None:
                await db.end_session(conn, session["id"], "replaced")
            # The universal trigger when there is one, else the first trigger: its successors
            # are what the flow does first.
            trigger = flow.universal_trigger() or next(
                n.id for n in flow.definition.nodes if n.type in TRIGGER_TYPES
            )
            new = step_db.NewSession(conversation_id, flow.flow_id, flow.version)
            sent, queued = await self._run(
                conn, tenant_id, conversation, uuid.uuid4(), flow, SessionState(), now,
                lambda engine: engine.start(trigger, Inbound(text="")), new,
            )  # fmt: skip
        await self._after_commit(tenant_id, sent, queued)
        log.info(
            "flow started",
            flow_id=str(flow_id),
            conversation_id=str(conversation_id),
            reason=reason,
        )
        return "started"

    async def _run(
        self,
        conn: Connection,
        tenant_id: uuid.UUID,
        conversation: asyncpg.Record,
        session_id: uuid.UUID,
        flow: CompiledFlow,
        state: SessionState,
        now: datetime,
        act: Callable[[FlowEngine], Awaitable[None]],
        new: step_db.NewSession | None = None,
    ) -> tuple[list[MessageSent], Effects]:
        """A step without a customer message (a timer, a start) and its save."""
        conversation_id = conversation["id"]
        effects = LiveEffects(
            conn, tenant_id, conversation_id, session_id, self._transfer, self._http, now
        )
        engine = FlowEngine(
            flow, state, facts_of(conversation, now), effects,
            max_steps=self._settings.max_steps_per_message,
        )  # fmt: skip
        await act(engine)
        expiry = self._expiry(engine.flow)
        await save_step(conn, engine, effects, session_id, conversation_id, expiry, new)
        return await sent_events(conn, effects, now), effects.queue_effects

    def _expiry(self, flow: CompiledFlow) -> timedelta:
        minutes = flow.definition.session_expiry_minutes or self._settings.session_expiry_minutes
        return timedelta(minutes=minutes)

    async def _after_commit(
        self,
        tenant_id: uuid.UUID,
        sent: list[MessageSent],
        queued: Effects,
    ) -> None:
        if self._after_transfer is not None and (
            queued.events or queued.distribute or queued.capacity_freed
        ):
            # The live monitor sees the item enter; the distributors assign it now rather
            # than at the next sweep.
            await self._after_transfer(tenant_id, queued)
        if sent or queued.messages_queued:
            self._on_sent()
        if sent:
            await self._bus.publish_many(tenant_id, sent)
        self._jobs.wake()
