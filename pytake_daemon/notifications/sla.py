"""Queue SLA at risk and smart escalation (N3): a customer still waiting at 80 % of the queue's
longest wait is told to the queue's members and the supervisors; an urgent item or a VIP contact
(contact attribute ``vip``: true, yes or 1) makes it urgent, so it passes quiet hours.

Stateless and once per item: every 30 s slot looks at the items whose at-risk instant fell in the
slot before it. One process does each slot: the slot is claimed in Redis (``SET NX``), so two
daemons never tell it twice; a slot nobody ran (every daemon down) is not made up for.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from pytake_daemon.db.pool import Pool, tenant_transaction
from pytake_daemon.i18n import gettext
from pytake_daemon.notifications import audience, service
from pytake_daemon.notifications.rules import Intent
from pytake_daemon.protocol.notifications import (
    LinkKind,
    NotificationCategory,
    NotificationLink,
    NotificationSeverity,
)
from pytake_daemon.realtime.bus import EventBus, number_events
from pytake_i18n import N_

log = structlog.get_logger("pytake.notifications")

SLOT = timedelta(seconds=30)
AT_RISK_SHARE = 0.8
"""The share of the queue's ``max_wait_minutes`` at which a wait is at risk."""

_TENANTS = "SELECT DISTINCT tenant_id FROM queue_sweep_targets($1)"
# queue_items_waiting_idx (the waiting ones only); the rest by primary key.
_AT_RISK = """
SELECT i.id, i.queue_id, i.priority, i.conversation_id, q.name AS queue,
       coalesce(ct.name_override, '@' || ct.username, ct.profile_name, '+' || ct.wa_id,
                ct.bsuid) AS customer,
       lower(coalesce(ct.attributes ->> 'vip', '')) IN ('true', 'yes', '1') AS vip
  FROM queue_items i
  JOIN queues q ON q.tenant_id = i.tenant_id AND q.id = i.queue_id
  JOIN conversations c ON c.tenant_id = i.tenant_id AND c.id = i.conversation_id
  JOIN contacts ct ON ct.tenant_id = c.tenant_id AND ct.id = c.contact_id
 WHERE i.tenant_id = current_tenant_id() AND i.status = 'waiting'
   AND i.entered_at + make_interval(secs => q.max_wait_minutes * 60 * $3::float8) >= $1
   AND i.entered_at + make_interval(secs => q.max_wait_minutes * 60 * $3::float8) < $2
"""


def slot_end(now: datetime) -> datetime:
    """The end of the last whole slot at ``now`` (slots are aligned to the epoch)."""
    seconds = int(now.timestamp()) // int(SLOT.total_seconds()) * int(SLOT.total_seconds())
    return datetime.fromtimestamp(seconds, UTC)


async def sweep(pool: Pool, bus: EventBus, redis: Redis, *, prefix: str, now: datetime) -> int:
    """Tell what became at risk in the slot before ``now``; notifications written (0 when
    another process has the slot)."""
    end = slot_end(now)
    try:
        key = f"{prefix}notifications:sla:{end.isoformat()}"
        claimed = await redis.set(key, "1", nx=True, ex=600)
    except RedisError as exc:
        log.warning("SLA sweep skipped: redis unavailable", error=str(exc))
        return 0
    if not claimed:
        return 0
    async with pool.acquire() as conn:
        tenants = [r["tenant_id"] for r in await conn.fetch(_TENANTS, now)]
    written = 0
    for tenant_id in tenants:
        written += await _tenant(pool, bus, tenant_id, end - SLOT, end, now)
    return written


async def _tenant(
    pool: Pool, bus: EventBus, tenant_id: uuid.UUID, start: datetime, end: datetime, now: datetime
) -> int:
    async with tenant_transaction(pool, tenant_id) as conn:
        rows = await conn.fetch(_AT_RISK, start, end, AT_RISK_SHARE)
        if not rows:
            return 0
        who = await audience.load(conn, ())
        intents = []
        for row in rows:
            urgent = row["priority"] >= 2 or row["vip"]
            recipients = {m.id for m in who.queue_members(row["queue_id"])}
            recipients |= {m.id for m in who.supervisors()}
            for user_id in recipients:
                language = who.members[user_id].language if user_id in who.members else None
                # A contact without a name or number: the fallback in the reader's words.
                customer = row["customer"] or gettext(N_("a customer"), language=language)
                title = (
                    N_("VIP waiting long in {queue}: {customer}")
                    if row["vip"]
                    else N_("Waiting long in {queue}: {customer}")
                )
                intents.append(
                    Intent(
                        user_id,
                        NotificationCategory.SLA,
                        NotificationSeverity.URGENT if urgent else NotificationSeverity.WARNING,
                        gettext(title, language=language).format(
                            queue=row["queue"], customer=customer
                        ),
                        gettext(
                            N_("still unassigned near the queue's longest wait"),
                            language=language,
                        ),
                        NotificationLink(kind=LinkKind.CONVERSATION, id=row["conversation_id"]),
                        group_key=f"sla:{row['id']}",
                        scope=row["queue"],
                    )
                )
        events = await service.write(conn, intents, now)
        numbered = await number_events(conn, tenant_id, events)
    await bus.deliver(numbered)
    return len(events)
