"""Handing a conversation from a flow to the human queues.

The engine sees one interface (a queue id, a priority, a message, the wait timeout and the
fallback). ``attendance.flow_transfer.QueueTransferToQueues`` (what the daemon uses, wired in
by the app: attendance sits above flows in the daemon's layers) records each request in
``flow_transfers`` and enqueues it with the queues domain; ``RecordedTransfer`` only records,
for the flow tester and benchmarks. The queues' after-commit work (the live monitor's
events, waking the distributors) comes back in an ``Effects`` the runner hands to the queues
once the step has committed.

``Reopen`` is the queues' first word on a batch of customer messages, before any flow answers
(``attendance.reopen.reopen_batch``, also handed over by the app).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from pytake_daemon.db.pool import Connection
from pytake_daemon.effects import Effects
from pytake_daemon.flows import db
from pytake_daemon.protocol import ConversationOut, MessageOut
from pytake_daemon.protocol.flows import ActionTransferToQueue


class QueueTransfer(Protocol):
    async def transfer(
        self,
        conn: Connection,
        tenant_id: uuid.UUID,
        conversation_id: uuid.UUID,
        node: ActionTransferToQueue,
        *,
        session_id: uuid.UUID | None,
        effects: Effects | None = None,
    ) -> None:
        """Put the conversation in the node's queue, in the caller's transaction; what must
        happen after the commit (events, distribution) is added to ``effects``."""


class Reopen(Protocol):
    async def __call__(
        self,
        conn: Connection,
        inbound: Sequence[tuple[ConversationOut, MessageOut]],
        *,
        now: datetime,
        effects: Effects,
    ) -> set[uuid.UUID]:
        """Send resolved conversations written into again back to their queue, in the batch's
        transaction; returns the ones that stay resolved, whose messages no flow answers."""


class RecordedTransfer:
    """Records the request in ``flow_transfers`` (status ``requested``)."""

    async def transfer(
        self,
        conn: Connection,
        tenant_id: uuid.UUID,
        conversation_id: uuid.UUID,
        node: ActionTransferToQueue,
        *,
        session_id: uuid.UUID | None,
        effects: Effects | None = None,
    ) -> None:
        await db.insert_transfer(
            conn,
            conversation_id=conversation_id,
            session_id=session_id,
            queue_id=node.queueId,
            queue_name=node.queueName,
            priority=node.priority,
            message=node.message,
            wait_timeout_minutes=node.waitTimeoutMinutes,
            fallback_action=node.fallbackAction.value,
        )
