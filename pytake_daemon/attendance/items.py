"""What the rules of a queue item share: its timeout fallback and deadline, telling the
customer, and the item's live-monitor event. Entering is in ``entry.py``, moves in ``moves.py``,
endings in ``endings.py``."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import asyncpg

from pytake_daemon.ai.customer_language import customer_language
from pytake_daemon.attendance import customer, items_db
from pytake_daemon.attendance.hours import next_opening
from pytake_daemon.attendance.views import item_out
from pytake_daemon.conversations.sent import message_sent_events
from pytake_daemon.db.pool import Connection
from pytake_daemon.effects import Effects
from pytake_daemon.errors import Conflict
from pytake_daemon.protocol.queues import QueueItemChanged, TimeoutAction, Transition
from pytake_i18n import DEFAULT_LANGUAGE

# The flows' fallbackAction values, in this module's terms; the node's ``queue`` is no
# override at all (the queue's own timeout_action, e.g. ``move`` or ``start_flow``).
_FLOW_FALLBACKS = {
    "close": TimeoutAction.ABANDON,
    "keep_waiting": TimeoutAction.KEEP_WAITING,
    "return_to_bot": TimeoutAction.RETURN_TO_BOT,
}
_QUEUE_DECIDES = "queue"


def fallback_for(value: str | None, queue: asyncpg.Record) -> str:
    """An item's timeout fallback from a flow's or this module's name (``None``: the queue's)."""
    if value is None or value == _QUEUE_DECIDES:
        return str(queue["timeout_action"])
    if value in _FLOW_FALLBACKS:
        return _FLOW_FALLBACKS[value].value
    try:
        return TimeoutAction(value).value
    except ValueError:
        raise Conflict(f"unknown fallback action {value!r}") from None


def wait_deadline(
    queue: asyncpg.Record, wait_timeout_minutes: int | None, fallback: str, now: datetime
) -> datetime | None:
    """When the wait times out; the clock starts when the queue opens (a night doesn't count)."""
    if fallback == TimeoutAction.KEEP_WAITING.value:
        return None
    opens = next_opening(queue["business_hours"], queue["timezone"], set(queue["holidays"]), now)
    if opens is None:
        return None
    return opens + timedelta(minutes=wait_timeout_minutes or queue["max_wait_minutes"])


async def tell(
    conn: Connection,
    effects: Effects,
    conversation_id: uuid.UUID,
    template: str,
    default: str,
    fields: customer.Fields,
    now: datetime,
) -> None:
    """Say the queue's text (or our default) to the customer (open threads see it at once);
    the sender is woken after."""
    # Our default in the customer's language; the queue's own text as its tenant wrote it.
    ours = not template and default
    language = await customer_language(conn, conversation_id) if ours else DEFAULT_LANGUAGE
    said = await customer.tell(
        conn, conversation_id, customer.render(template, default, fields, language), now=now
    )
    if said is not None:
        effects.messages_queued = True
        effects.events.extend(await message_sent_events(conn, [said], now=now))


async def changed(
    conn: Connection, effects: Effects, transition: Transition, item_id: uuid.UUID, now: datetime
) -> None:
    """The item's live-monitor event, for after the commit."""
    (row,) = await items_db.get_items(conn, [item_id])
    effects.events.append(QueueItemChanged(transition=transition, item=item_out(row, now=now)))
