"""Starting a flow for a conversation from elsewhere in the daemon (a queue's wait timeout
with ``start_flow``), not from a customer's message.

The request is a durable ``flow_start`` job written in the caller's transaction, so the flow
starts exactly when the cause commits, and a restart in between loses nothing. The flow
runner (``FlowRunner.start_flow``) takes it under the conversation's advisory lock, like a
customer message: a session already running is replaced, a conversation a human has taken
is left alone, and the flow's first messages go out through the outbox as usual.
"""

from __future__ import annotations

import uuid

from pytake_daemon.db.pool import Connection
from pytake_daemon.jobs import db as jobs_db

FLOW_START_JOB = "flow_start"


async def request_start(
    conn: Connection, conversation_id: uuid.UUID, flow_id: uuid.UUID, *, reason: str
) -> None:
    """Start the published version of ``flow_id`` for the conversation once this transaction
    commits (picked up within the job runner's poll, a second by default).

    ``reason`` is kept in the job's payload for the logs (e.g. ``queue_timeout``).
    """
    await jobs_db.insert_job(
        conn,
        FLOW_START_JOB,
        {"conversation_id": str(conversation_id), "flow_id": str(flow_id), "reason": reason},
    )
