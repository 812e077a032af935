"""What a live flow step does to the world: messages into the outbox (and the phone request),
transfers to a queue, status and tags, HTTP calls, and timers. Everything happens in the step's
tenant transaction; a refused send becomes the node's error branch, not a failed step."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import asyncpg

from pytake_daemon.conversations import timeline
from pytake_daemon.db.pool import Connection
from pytake_daemon.effects import Effects
from pytake_daemon.errors import ApiError
from pytake_daemon.flows import db
from pytake_daemon.flows.engine import HttpAnswer, SendRefused
from pytake_daemon.flows.http_call import FlowHttp
from pytake_daemon.flows.transfer import QueueTransfer
from pytake_daemon.protocol.conversations import TimelineKind
from pytake_daemon.protocol.flows import ActionTransferToQueue, HttpRequest
from pytake_daemon.protocol.outgoing import OutgoingContent, SendMessageRequest
from pytake_daemon.whatsapp.phone_request import ask_for_phone
from pytake_daemon.whatsapp.send_service import (
    PreparedSend,
    prepare_send,
    queue_message,
    queue_prepared,
)


class RoundSends:
    """The replies of a round of the fan-out's flow steps, queued at the round's end in one
    statement (``send_service.queue_prepared``) instead of one each as the steps run. A step
    that does anything else that may queue a message (a transfer, a close, the phone request)
    first queues its own, so its conversation's messages keep their order."""

    def __init__(self) -> None:
        self._pending: list[tuple[LiveEffects, PreparedSend]] = []

    def add(self, effects: LiveEffects, send: PreparedSend) -> None:
        self._pending.append((effects, send))

    async def flush(self, conn: Connection, of: LiveEffects | None = None) -> None:
        """Queue the pending sends (only ``of``'s, given); each step's messages as their
        inserts returned them go to its ``queued``."""
        take = [p for p in self._pending if of is None or p[0] is of]
        if not take:
            return
        self._pending = [p for p in self._pending if not (of is None or p[0] is of)]
        rows = await queue_prepared(conn, [send for _, send in take])
        for effects, send in take:
            row = rows.get(send.idempotency_key)
            if row is not None:  # None: queued by an earlier try of the same step
                effects.queued.append(row)


class LiveEffects:
    """The engine's effects inside the job's transaction."""

    def __init__(
        self,
        conn: Connection,
        tenant_id: uuid.UUID,
        conversation_id: uuid.UUID,
        session_id: uuid.UUID,
        transfer: QueueTransfer,
        http: FlowHttp,
        now: datetime,
        deferred_previews: dict[uuid.UUID, str] | None = None,
        *,
        send_conversation: Mapping[str, Any] | None = None,
        sends: RoundSends | None = None,
    ) -> None:
        self.conn = conn
        self.tenant_id = tenant_id
        self.conversation_id = conversation_id
        self.session_id = session_id
        self._transfer = transfer
        self._http = http
        self.now = now
        self._deferred_previews = deferred_previews
        """Given (the ingest fan-out), replies leave the conversation's preview to its end."""
        self._send_conversation = send_conversation
        """What the step read for its sends (``step_db.StepFacts``), or None to read it."""
        self._sends = sends
        """Given (a round of the fan-out's steps), sends that need nothing more from the
        database wait there for the round's one statement."""
        self.queued: list[asyncpg.Record] = []
        """The messages the step queued, as their inserts returned them."""
        self.timers: list[tuple[float, int]] = []
        self.queue_effects = Effects()
        """The queues' after-commit work of a transfer (events, distribution)."""

    def _previews(self) -> dict[uuid.UUID, str] | None:
        return None if self._deferred_previews is None else {}

    def _keep(self, previews: dict[uuid.UUID, str] | None) -> None:
        """A send's deferred preview counts once its savepoint has committed."""
        if self._deferred_previews is not None and previews:
            self._deferred_previews.update(previews)

    async def _queue_mine(self) -> None:
        """What this step left waiting in the round, queued now (before anything else it
        writes that may queue a message)."""
        if self._sends is not None:
            await self._sends.flush(self.conn, self)

    async def send(self, content: OutgoingContent, *, step: int) -> None:
        request = SendMessageRequest(
            content=content, idempotency_key=f"flow:{self.session_id}:{step}"
        )
        if self._sends is not None and self._send_conversation is not None:
            try:
                prepared = prepare_send(
                    self.conversation_id,
                    request,
                    conversation=self._send_conversation,
                    now=self.now,
                )
            except ApiError as exc:
                raise SendRefused(str(exc)) from None
            if prepared is not None:
                self._sends.add(self, prepared)
                self._keep({self.conversation_id: prepared.preview})
                return
        await self._queue_mine()
        previews = self._previews()
        try:
            # No savepoint: a send is refused (ApiError) before it writes anything, so the
            # step's transaction stays usable; a database error fails the whole step (its own
            # savepoint in the fan-out) as any other would.
            queued = await queue_message(
                self.conn,
                self.conversation_id,
                request,
                sent_by=None,
                now=self.now,
                deferred_previews=previews,
                conversation=self._send_conversation,
            )
        except ApiError as exc:
            raise SendRefused(str(exc)) from None
        self._keep(previews)
        if queued.row is not None:
            self.queued.append(queued.row)

    async def request_phone(self, text: str, *, step: int) -> OutgoingContent:
        await self._queue_mine()
        previews = self._previews()
        try:
            # No savepoint, as in send().
            queued, content = await ask_for_phone(
                self.conn,
                self.conversation_id,
                text=text,
                sent_by=None,
                now=self.now,
                idempotency_key=f"flow:{self.session_id}:{step}",
                deferred_previews=previews,
            )
        except ApiError as exc:
            raise SendRefused(str(exc)) from None
        self._keep(previews)
        if queued.row is not None:
            self.queued.append(queued.row)
        return content

    async def transfer(self, node: ActionTransferToQueue) -> None:
        await self._queue_mine()
        await self._transfer.transfer(
            self.conn,
            self.tenant_id,
            self.conversation_id,
            node,
            session_id=self.session_id,
            effects=self.queue_effects,
        )
        await db.set_conversation_status(self.conn, self.conversation_id, "pending")

    async def close(self) -> None:
        await self._queue_mine()
        line = timeline.Line(
            self.conversation_id, TimelineKind.CLOSED.value, detail={"reason": "flow"}
        )
        self.queue_effects.events.extend(await timeline.record(self.conn, [line]))
        await db.set_conversation_status(self.conn, self.conversation_id, "resolved")

    async def tag(self, tags: list[str]) -> None:
        await db.add_tags(self.conn, self.conversation_id, tags)

    async def http(
        self, node: HttpRequest, url: str, headers: dict[str, str], body: Any
    ) -> HttpAnswer:
        return await self._http(node, url, headers, body)

    def schedule(self, seconds: float, token: int) -> None:
        self.timers.append((seconds, token))
