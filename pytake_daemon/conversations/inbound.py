"""What the ingest fan-out hands its hooks: one tenant's new customer messages.

The fan-out (``whatsapp.fanout``) builds the batch; the flow runner, the queues and the AI read
it. The type lives here, with the conversations and messages it carries, so those domains need
not import the channel's package to name it (the daemon's domains are layered: see
``docs/architecture.md``).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pytake_daemon.db.pool import Connection
from pytake_daemon.jobs.job import retrying_alone
from pytake_daemon.protocol import ConversationOut, MessageOut, ServerEvent

FollowUp = Callable[[], Awaitable[None]]


@dataclass
class InboundBatch:
    """One tenant's new customer messages, inside the fan-out's transaction."""

    conn: Connection
    tenant_id: uuid.UUID
    inbound: Sequence[tuple[ConversationOut, MessageOut]]
    """In the order the customers wrote them."""
    now: datetime
    events: list[ServerEvent] = field(default_factory=list)
    """What the hooks did that clients must hear of: numbered with the batch, sent after it."""
    follow_ups: list[FollowUp] = field(default_factory=list)
    """Best-effort work for after the commit (wake-ups); a failure is logged, not retried."""
    isolate: bool = field(default_factory=retrying_alone)
    """Each hook's items in a savepoint of their own: set when the job runs again alone after
    its batch failed (``jobs.runner.retrying_alone``); the first try takes none."""
    deferred_previews: dict[uuid.UUID, str] = field(default_factory=dict)
    """Conversation -> the preview of its last reply queued by a hook, written just before the
    commit (``whatsapp.outbox_db.touch_previews``) so its row is held only that long."""


InboundHook = Callable[[InboundBatch], Awaitable[None]]
"""Runs in the batch's transaction; an exception rolls the whole batch back and the runner
runs its jobs again one by one with ``InboundBatch.isolate`` set: then a hook contains the
failures of single messages itself (flows: a savepoint per step, and a ``flow_inbound`` job for
a step that fails there). The first try takes no savepoint."""
