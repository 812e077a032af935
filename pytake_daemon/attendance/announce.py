"""What a waiting customer is told about their place: the welcome once an item is known to
wait, and the position updates of the sweep.

The welcome is not sent when the item enters (in the flow step's transaction) but by the
distribution pass that follows it, once no agent could take it: a customer assigned at once is
told nothing about a line they never stood in, and the welcome leaves after whatever the flow
said before the hand-over (it is written in a later transaction, so its outbox row comes after).

Positions said are unique and true when said: telling takes the queue's announcement lock
(a transaction-scoped advisory lock), so two transactions never count the same waiting line at
once, and it counts only committed items (READ COMMITTED, after the lock). The estimate comes
from the queue's measured handling time and the agents eligible now, and is left out when there
is none (``customer.estimated_wait_minutes``).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import asyncpg

from pytake_daemon.ai.customer_language import customer_languages
from pytake_daemon.attendance import agents_db, customer, items_db, queues_db
from pytake_daemon.attendance.hours import is_open
from pytake_daemon.conversations.sent import message_sent_events
from pytake_daemon.db.pool import Connection
from pytake_daemon.effects import Effects
from pytake_i18n import DEFAULT_LANGUAGE

# Namespace of the queues' announcement locks (hashtextextended's seed; the flows use 7305).
_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended($1::text, 7321))"


async def _lock(conn: Connection, queue_id: uuid.UUID) -> None:
    await conn.execute(_LOCK, str(queue_id))


# The rows to tell, of those still waiting, that no other transaction holds: a distribution
# pass holds the items it claimed (and waits for this lock to welcome them itself), so waiting
# for them here while holding the lock would be a deadlock.
_LOCK_ITEMS = """
SELECT id FROM queue_items
 WHERE tenant_id = current_tenant_id() AND id = ANY($1::uuid[]) AND status = 'waiting'
   FOR UPDATE SKIP LOCKED
"""


async def _tell_all(
    conn: Connection,
    queue: asyncpg.Record,
    rows: list[asyncpg.Record],
    template: str,
    default: str,
    *,
    now: datetime,
    effects: Effects,
) -> int:
    if not rows:
        return 0
    free = {r["id"] for r in await conn.fetch(_LOCK_ITEMS, [r["id"] for r in rows])}
    rows = [r for r in rows if r["id"] in free]
    if not rows:
        return 0
    agents = await agents_db.count_eligible(conn, queue["required_skills"], queue["department"])
    avg = await items_db.avg_handle_seconds(conn, queue["id"], now)
    # Our default is said in each customer's language; the queue's own text as written.
    languages = (
        {} if template else await customer_languages(conn, [r["conversation_id"] for r in rows])
    )
    said: list[uuid.UUID] = []
    for r in rows:
        wait = customer.estimated_wait_minutes(r["position"], avg, agents)
        fields = customer.Fields(queue=queue["name"], position=r["position"], wait_minutes=wait)
        language = languages.get(r["conversation_id"], DEFAULT_LANGUAGE)
        text = customer.render(template, default, fields, language)
        message_id = await customer.tell(conn, r["conversation_id"], text, now=now)
        if message_id is not None:
            said.append(message_id)
        await items_db.mark_position_sent(conn, r["id"], r["position"], now)
    if said:
        effects.messages_queued = True
        # Open threads show the welcome and places as they are queued (two reads for all).
        effects.events.extend(await message_sent_events(conn, said, now=now))
    return len(rows)


async def welcome_waiting(
    conn: Connection, queue: asyncpg.Record, *, now: datetime, effects: Effects
) -> int:
    """Welcome the queue's waiting items that were never told their place (after a
    distribution pass could not assign them); returns how many were told."""
    if not is_open(queue["business_hours"], queue["timezone"], set(queue["holidays"]), now):
        return 0  # they were told it is closed on entry; the sweep tells them once it opens
    await _lock(conn, queue["id"])
    rows = [
        r for r in await items_db.waiting_positions(conn, queue["id"]) if r["last_position"] is None
    ]
    return await _tell_all(
        conn,
        queue,
        rows,
        queue["welcome_message"],
        customer.DEFAULT_WELCOME,
        now=now,
        effects=effects,
    )


async def send_positions(
    conn: Connection, queue_id: uuid.UUID, *, now: datetime, effects: Effects
) -> int:
    """Tell waiting customers their new place when it improved, at most once per
    ``position_update_seconds`` each (never-told ones get the welcome instead); returns how
    many were told."""
    queue = await queues_db.lock_queue(conn, queue_id)
    if queue is None or not is_open(
        queue["business_hours"], queue["timezone"], set(queue["holidays"]), now
    ):
        return 0
    await _lock(conn, queue_id)
    every = timedelta(seconds=queue["position_update_seconds"])
    rows = await items_db.waiting_positions(conn, queue_id)
    due = [
        r
        for r in rows
        if r["last_position"] is not None
        and r["position"] < r["last_position"]
        and (r["position_sent_at"] is None or now - r["position_sent_at"] >= every)
    ]
    told = await _tell_all(
        conn,
        queue,
        due,
        queue["position_message"],
        customer.DEFAULT_POSITION,
        now=now,
        effects=effects,
    )
    return told + await welcome_waiting(conn, queue, now=now, effects=effects)
