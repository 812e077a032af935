"""A resolved conversation the customer writes into again goes back to a queue.

The webhook writer reopens it (status ``open``) and migration 0021's trigger marks it
``reopen_pending`` in that same statement. The fan-out's flow hook calls
:func:`reopen_batch` first, in its transaction: one UPDATE per batch clears the marks of the
batch's conversations and returns the ones that had it, and each is then decided:

* every message of it in the batch answers the rating request (a rating button, or a bare
  ``1`` to ``5`` while a request is open) or is a reaction (a 👍 on the question): it stays
  **resolved**; the rating is recorded by the satisfaction hook, and neither the bot nor the
  queue answers a thank-you;
* anything else: it **reopens** into the queue it was last in (``conversations.last_queue_id``),
  or, when that one is inactive or full, the tenant's default queue (its oldest active one), and
  a ``reopened`` line joins the thread. The bot stays silent (the conversation waits in a
  queue). A conversation that was never in a queue (the bot closed it) reopens for the flows
  to answer, as a new conversation would.

A supervisor reopening one through the status API gets the same (:func:`reopen_one`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import structlog

from pytake_daemon.attendance import feedback_db, queues_db, satisfaction
from pytake_daemon.attendance.entry import enqueue
from pytake_daemon.conversations import db as conversations_db
from pytake_daemon.conversations import timeline
from pytake_daemon.conversations.views import conversation_out
from pytake_daemon.db.pool import Connection
from pytake_daemon.effects import Effects
from pytake_daemon.errors import ApiError
from pytake_daemon.loops import OUTAGE_ERRORS
from pytake_daemon.protocol import ConversationOut, ConversationUpdated, MessageOut
from pytake_daemon.protocol.conversations import TimelineKind

log = structlog.get_logger("pytake.queues")

# Row locks in id order (the ids are sorted), like the webhook writer's.
_CLAIM = """
UPDATE conversations SET reopen_pending = false
 WHERE tenant_id = current_tenant_id() AND id = ANY($1::uuid[]) AND reopen_pending
RETURNING id, last_queue_id
"""


async def closes_again(conn: Connection, message: MessageOut, now: datetime) -> bool:
    """A message that leaves a resolved conversation resolved: a reaction, a tapped rating
    button, or a bare digit while a rating request is open (otherwise "2" may well be an
    option of a menu the customer remembers)."""
    if message.type == "reaction":
        return True
    answer = satisfaction.parse_answer(message.content, message.text)
    if answer is None:
        return False
    if answer.feedback_id is not None:
        return True
    since = now - satisfaction.ANSWER_WINDOW
    return await feedback_db.has_open_feedback(conn, message.conversation_id, since)


async def reopen_batch(
    conn: Connection,
    inbound: Sequence[tuple[ConversationOut, MessageOut]],
    *,
    now: datetime,
    effects: Effects,
) -> set[uuid.UUID]:
    """Decide the batch's reopened conversations (see the module); returns the ones that stay
    resolved, whose messages nobody else should answer."""
    ids = sorted({c.id for c, _ in inbound})
    if not ids:
        return set()
    rows = await conn.fetch(_CLAIM, ids)
    if not rows:
        return set()
    kept: set[uuid.UUID] = set()
    for row in rows:
        said = [m for c, m in inbound if c.id == row["id"]]
        decided = Effects()
        try:
            # A savepoint each: one conversation's failure (logged) leaves it open, as the
            # writer left it, and costs the batch nothing.
            async with conn.transaction():
                if said and all([await closes_again(conn, m, now) for m in said]):
                    await conversations_db.set_status(conn, row["id"], "resolved")
                    kept.add(row["id"])
                    continue
                await _requeue(
                    conn, row["id"], row["last_queue_id"], None, now=now, effects=decided
                )
        except OUTAGE_ERRORS:
            raise
        except Exception:
            log.exception("reopened conversation not decided", conversation_id=str(row["id"]))
            continue
        effects.merge(decided)
    # The fan-out announced these as they were before the decision (open, in no queue): the
    # consoles' rows get their status and queue now.
    changed = sorted(row["id"] for row in rows)
    effects.events.extend(
        ConversationUpdated(conversation=conversation_out(r, now=now))
        for r in await conversations_db.get_conversations(conn, changed)
    )
    return kept


async def reopen_one(
    conn: Connection,
    conversation_id: uuid.UUID,
    *,
    actor_id: uuid.UUID | None,
    now: datetime,
    effects: Effects,
) -> None:
    """After a status change from resolved to open (same transaction): back to its queue."""
    rows = await conn.fetch(_CLAIM, [conversation_id])
    last = rows[0]["last_queue_id"] if rows else None
    await _requeue(conn, conversation_id, last, actor_id, now=now, effects=effects)


async def _requeue(
    conn: Connection,
    conversation_id: uuid.UUID,
    last_queue_id: uuid.UUID | None,
    actor_id: uuid.UUID | None,
    *,
    now: datetime,
    effects: Effects,
) -> None:
    queue_id: uuid.UUID | None = None
    candidates = []
    if last_queue_id is not None:  # never in a queue: the flows answer it
        candidates = [last_queue_id, await queues_db.default_queue_id(conn)]
    for candidate in dict.fromkeys(q for q in candidates if q is not None):
        entered = Effects()
        try:
            async with conn.transaction():  # a savepoint: an inactive queue leaves no trace
                result = await enqueue(
                    conn,
                    conversation_id=conversation_id,
                    queue_id=candidate,
                    source="reopen",
                    now=now,
                    effects=entered,
                    actor_id=actor_id,
                )
        except ApiError as exc:
            log.info("reopened conversation not queued here", queue_id=str(candidate), why=str(exc))
            continue
        if result.outcome != "rejected":
            effects.merge(entered)
            queue_id = result.queue_id
            break
    effects.events.extend(
        await timeline.record(
            conn,
            [
                timeline.Line(
                    conversation_id,
                    TimelineKind.REOPENED.value,
                    actor_id=actor_id,
                    queue_id=queue_id,
                    detail={"reason": "customer wrote" if actor_id is None else "status"},
                )
            ],
        )
    )
