"""The queues' side of a flow's ``action_transfer_to_queue``: the daemon's
``flows.transfer.QueueTransfer``, handed to the flow runner by the app.

It lives with the queues it fills (attendance sits above flows in the daemon's layers, so the
flow engine only knows the interface).
"""

from __future__ import annotations

import uuid

import structlog

from pytake_daemon.attendance import queues_db
from pytake_daemon.attendance.entry import enqueue
from pytake_daemon.db.pool import Connection
from pytake_daemon.effects import Effects
from pytake_daemon.errors import ApiError
from pytake_daemon.flows.transfer import RecordedTransfer
from pytake_daemon.protocol.flows import ActionTransferToQueue

log = structlog.get_logger("pytake.flows")


class QueueTransferToQueues:
    """Records the request like :class:`RecordedTransfer`, then puts the conversation in the
    queue (by id, or by name: flow files may say ``queueId: pedidos``), in the step's
    transaction. The queues' sweep distributes it within ``queues.sweep_seconds``.

    An unknown or inactive queue doesn't fail the step: the conversation is already pending for
    a human, the request stays recorded, and the problem is logged for an admin to fix.
    """

    def __init__(self) -> None:
        self._recorded = RecordedTransfer()

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
        await self._recorded.transfer(conn, tenant_id, conversation_id, node, session_id=session_id)
        queue: uuid.UUID | str = node.queueId
        try:
            queue = uuid.UUID(node.queueId)
        except ValueError:
            for name in (node.queueId, node.queueName):
                found = await queues_db.queue_id_by_name(conn, name) if name else None
                if found is not None:
                    queue = found
                    break
        queued = Effects()
        try:
            async with conn.transaction():  # a savepoint: a refusal leaves the step intact
                await enqueue(
                    conn,
                    conversation_id=conversation_id,
                    queue_id=queue,
                    priority=node.priority,
                    message="",  # the flow sent node.message itself
                    wait_timeout_minutes=node.waitTimeoutMinutes,
                    fallback_action=node.fallbackAction.value,
                    source="flow",
                    effects=queued,
                )
        except ApiError as exc:
            log.warning(
                "flow transfer not queued",
                queue=node.queueId,
                conversation_id=str(conversation_id),
                reason=str(exc),
            )
            return
        if effects is not None:  # only once the savepoint held
            effects.merge(queued)
