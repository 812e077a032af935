"""SQL of the reports. Every statement reads one period ``[$1, $2)`` of one tenant (row-level
security and ``current_tenant_id()``), and the drill-down as ``$3`` queue, ``$4`` agent, ``$5``
conversation (``NULL``: any). Hours are ``date_bin('1 hour', …, $1)``: bins counted from the
period's start, a local midnight, are the local hours in every zone whose clocks move by whole
hours (all but Lord Howe Island), DST included, without a time zone conversion per row.
The index bounding each statement is named above it (docs/reports.md, tests/reports/test_plans.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from pytake_daemon.db.pool import Connection


@dataclass(frozen=True)
class Scope:
    """A period and a drill-down, as the statements bind them ($1 to $5)."""

    start: datetime
    end: datetime
    queue_id: uuid.UUID | None = None
    agent_id: uuid.UUID | None = None
    conversation_id: uuid.UUID | None = None

    @property
    def args(self) -> tuple[object, ...]:
        return (self.start, self.end, self.queue_id, self.agent_id, self.conversation_id)

    @property
    def windowed(self) -> bool:
        """Below the tenant, messages are those of the scope's attendances (or conversation)."""
        return any(x is not None for x in (self.queue_id, self.agent_id, self.conversation_id))


# For the rest of a report's transaction. JIT: its statements are costed past
# jit_above_cost at a million messages, and compiling them took longer than running them
# (130 ms before the first row of ATTENDANCE). Custom plans: asyncpg prepares every statement
# and after five runs PostgreSQL may keep a generic plan, made without knowing the period or
# which drill-down parameters are NULL; reports are few and their periods differ, so planning
# each run costs less than one generic plan over the wrong range (bench: 90 days took 3.4 s
# through the daemon, 0.5 s planned for its values).
TUNE = """
SELECT set_config('jit', 'off', true), set_config('plan_cache_mode', 'force_custom_plan', true)
"""


async def tune_for_reports(conn: Connection) -> None:
    await conn.execute(TUNE)


# A scope's messages: those exchanged during its attendances of the period, or one
# conversation's (messages_thread_idx either way); by hour, with templates and Meta's errors
# in the same pass (two grouping sets).
WINDOWS = """(
    SELECT i.conversation_id, greatest(i.entered_at, $1) AS lo,
           least(coalesce(i.ended_at, 'infinity'), $2) AS hi
      FROM queue_items i
     WHERE i.tenant_id = current_tenant_id() AND i.entered_at >= $1 AND i.entered_at < $2
       AND $5::uuid IS NULL AND ($3::uuid IS NULL OR i.queue_id = $3)
       AND ($4::uuid IS NULL OR i.agent_id = $4)
    UNION ALL
    SELECT $5::uuid, $1, $2 WHERE $5::uuid IS NOT NULL
) w"""
WINDOWED_MESSAGES = f"""
SELECT GROUPING(m.error_code) AS hourly, date_bin('1 hour', m.created_at, $1) AS hour,
       m.error_code, min(m.error_title) AS error_title,
       count(*) FILTER (WHERE m.direction = 'in') AS inbound,
       count(*) FILTER (WHERE m.direction = 'out') AS outbound,
       count(*) FILTER (WHERE m.type = 'template' AND m.direction = 'out') AS templates,
       count(*) FILTER (WHERE m.type = 'template' AND m.direction = 'out'
                          AND m.status IN ('delivered', 'read')) AS delivered,
       count(*) FILTER (WHERE m.type = 'template' AND m.direction = 'out'
                          AND m.status = 'read') AS read,
       count(*) FILTER (WHERE m.type = 'template' AND m.direction = 'out'
                          AND m.status = 'failed') AS failed
  FROM {WINDOWS}
  JOIN LATERAL (
      SELECT * FROM messages m
       WHERE m.tenant_id = current_tenant_id() AND m.conversation_id = w.conversation_id
         AND m.created_at >= w.lo AND m.created_at <= w.hi AND m.created_at < $2) m ON true
 GROUP BY GROUPING SETS ((date_bin('1 hour', m.created_at, $1)), (m.error_code))
"""

# The tenant's messages by hour: the roll-up's quarters before $6 (report_quarters' key), the
# messages from $6 on (messages_created_idx); an hour may come from both halves (summed).
TENANT_MESSAGES = """
SELECT date_bin('1 hour', r.quarter, $1) AS hour, sum(r.inbound)::int AS inbound,
       sum(r.outbound)::int AS outbound
  FROM report_quarters r
 WHERE r.tenant_id = current_tenant_id() AND r.quarter >= $1
   AND r.quarter < least($2, $6::timestamptz)
   AND $3::uuid IS NULL AND $4::uuid IS NULL AND $5::uuid IS NULL
 GROUP BY 1
UNION ALL
SELECT date_bin('1 hour', m.created_at, $1), count(*) FILTER (WHERE m.direction = 'in'),
       count(*) FILTER (WHERE m.direction = 'out')
  FROM messages m
 WHERE m.tenant_id = current_tenant_id() AND m.created_at >= greatest($1, $6::timestamptz)
   AND m.created_at < $2 AND $3::uuid IS NULL AND $4::uuid IS NULL AND $5::uuid IS NULL
 GROUP BY 1
"""
# Template sends (messages_template_sends_idx) and Meta's errors (messages_errors_idx): live,
# since their statuses change after the fact.
TENANT_TEMPLATES = """
SELECT count(*) AS templates,
       count(*) FILTER (WHERE m.status IN ('delivered', 'read')) AS delivered,
       count(*) FILTER (WHERE m.status = 'read') AS read,
       count(*) FILTER (WHERE m.status = 'failed') AS failed
  FROM messages m
 WHERE m.tenant_id = current_tenant_id() AND m.type = 'template' AND m.direction = 'out'
   AND m.created_at >= $1 AND m.created_at < $2
   AND $3::uuid IS NULL AND $4::uuid IS NULL AND $5::uuid IS NULL
"""
TENANT_ERRORS = """
SELECT m.error_code, min(m.error_title) AS error_title, count(*) AS count
  FROM messages m
 WHERE m.tenant_id = current_tenant_id() AND m.error_code IS NOT NULL
   AND m.created_at >= $1 AND m.created_at < $2
   AND $3::uuid IS NULL AND $4::uuid IS NULL AND $5::uuid IS NULL
 GROUP BY 1
"""
_UNTIL = "SELECT until FROM report_rollups WHERE tenant_id = current_tenant_id()"
_FACTS_UNTIL = "SELECT facts_until FROM report_rollups WHERE tenant_id = current_tenant_id()"


@dataclass(frozen=True)
class MessageFigures:
    hourly: list[tuple[datetime, int, int]]
    """(hour, inbound, outbound); an hour may appear twice (summed by the caller)."""
    templates: tuple[int, int, int, int]
    """Sent, delivered (or read), read, failed."""
    errors: list[tuple[int, str, int]]
    """(code, title, count)."""


async def rolled_until(conn: Connection, scope: Scope) -> datetime:
    """Where the roll-up's quarters end, clamped to the period (its start: none yet)."""
    return _clamped(await conn.fetchval(_UNTIL), scope)


async def facts_until(conn: Connection, scope: Scope) -> datetime:
    """Where the rolled-up attendances and closures end (0044), clamped to the period."""
    return _clamped(await conn.fetchval(_FACTS_UNTIL), scope)


def _clamped(until: datetime | None, scope: Scope) -> datetime:
    return scope.start if until is None else min(max(until, scope.start), scope.end)


async def message_figures(conn: Connection, scope: Scope) -> MessageFigures:
    if scope.windowed:
        rows = await conn.fetch(WINDOWED_MESSAGES, *scope.args)
        hourly = [r for r in rows if r["hourly"]]
        return MessageFigures(
            hourly=[(r["hour"], r["inbound"], r["outbound"]) for r in hourly],
            templates=tuple(
                sum(r[k] for r in hourly) for k in ("templates", "delivered", "read", "failed")
            ),
            errors=[
                (r["error_code"], r["error_title"] or "", r["inbound"] + r["outbound"])
                for r in rows
                if not r["hourly"] and r["error_code"] is not None
            ],
        )
    until = await rolled_until(conn, scope)
    rows = await conn.fetch(TENANT_MESSAGES, *scope.args, until)
    sent = await conn.fetchrow(TENANT_TEMPLATES, *scope.args)
    assert sent is not None
    errors = await conn.fetch(TENANT_ERRORS, *scope.args)
    return MessageFigures(
        hourly=[(r["hour"], r["inbound"], r["outbound"]) for r in rows],
        templates=(sent["templates"], sent["delivered"], sent["read"], sent["failed"]),
        errors=[(r["error_code"], r["error_title"] or "", r["count"]) for r in errors],
    )


# Conversations opened: below the tenant, the scope's attendances that entered (a queue) or
# were taken (an agent); for the tenant, conversations created in the period (found among
# those with a message since its start, conversations_list_idx: one created then has had one)
# and reopenings (conversation_events_kind_idx).
OPENED = """
SELECT date_bin('1 hour', o.at, $1) AS hour, count(*) AS opened FROM (
    SELECT c.created_at AS at FROM conversations c
     WHERE c.tenant_id = current_tenant_id() AND c.last_message_at >= $1
       AND c.created_at >= $1 AND c.created_at < $2
       AND $3::uuid IS NULL AND $4::uuid IS NULL
       AND ($5::uuid IS NULL OR c.id = $5)
    UNION ALL
    SELECT e.created_at FROM conversation_events e
     WHERE e.tenant_id = current_tenant_id() AND e.kind = 'reopened'
       AND e.created_at >= $1 AND e.created_at < $2
       AND $3::uuid IS NULL AND $4::uuid IS NULL
       AND ($5::uuid IS NULL OR e.conversation_id = $5)
    UNION ALL
    SELECT coalesce(i.assigned_at, i.entered_at) FROM queue_items i
     WHERE i.tenant_id = current_tenant_id() AND i.entered_at >= $1 AND i.entered_at < $2
       AND ($3::uuid IS NOT NULL OR $4::uuid IS NOT NULL) AND $5::uuid IS NULL
       AND ($3::uuid IS NULL OR i.queue_id = $3) AND ($4::uuid IS NULL OR i.agent_id = $4)
) o GROUP BY 1
"""

# Of a closure ``e``, whether a flow made it with no message from a person since the
# conversation's previous closure (conversation_events_thread_idx, then messages_thread_idx
# over that one episode). CASE, not FILTER (… AND NOT EXISTS …): only CASE promises the lookup
# is skipped for the closures that aren't a flow's (measured: FILTER ran it for every closure).
AUTOMATED = """count(CASE WHEN e.detail->>'reason' = 'flow' THEN CASE WHEN NOT EXISTS (
           SELECT 1 FROM messages m
            WHERE m.tenant_id = e.tenant_id AND m.conversation_id = e.conversation_id
              AND m.created_at <= e.created_at
              AND m.created_at > coalesce((
                  SELECT p.created_at FROM conversation_events p
                   WHERE p.tenant_id = e.tenant_id AND p.conversation_id = e.conversation_id
                     AND p.kind = 'closed' AND p.created_at < e.created_at
                   ORDER BY p.created_at DESC LIMIT 1), '-infinity')
              AND m.sent_by IS NOT NULL) THEN 1 END END)"""

# A scope's closures (conversation_events_kind_idx) by hour.
CLOSED = f"""
SELECT date_bin('1 hour', e.created_at, $1) AS hour, count(*) AS closed, {AUTOMATED} AS automated
  FROM conversation_events e
 WHERE e.tenant_id = current_tenant_id() AND e.kind = 'closed'
   AND e.created_at >= $1 AND e.created_at < $2
   AND ($3::uuid IS NULL OR e.queue_id = $3) AND ($4::uuid IS NULL OR e.agent_id = $4)
   AND ($5::uuid IS NULL OR e.conversation_id = $5)
 GROUP BY 1
"""
# The tenant's: the rolled-up quarters before $6 (report_closures' key), the closures from $6
# on (summed by the caller).
TENANT_CLOSED = f"""
SELECT date_bin('1 hour', r.quarter, $1) AS hour, sum(r.closed)::int AS closed,
       sum(r.automated)::int AS automated
  FROM report_closures r
 WHERE r.tenant_id = current_tenant_id() AND r.quarter >= $1
   AND r.quarter < least($2, $6::timestamptz)
   AND $3::uuid IS NULL AND $4::uuid IS NULL AND $5::uuid IS NULL
 GROUP BY 1
UNION ALL
SELECT date_bin('1 hour', e.created_at, $1), count(*)::int, {AUTOMATED}::int
  FROM conversation_events e
 WHERE e.tenant_id = current_tenant_id() AND e.kind = 'closed'
   AND e.created_at >= greatest($1, $6::timestamptz) AND e.created_at < $2
   AND $3::uuid IS NULL AND $4::uuid IS NULL AND $5::uuid IS NULL
 GROUP BY 1
"""


async def opened_and_closed(
    conn: Connection, scope: Scope
) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
    """Rows of (hour, opened) and (hour, closed, automated); an hour may come twice (summed by
    the caller)."""
    opened: list[asyncpg.Record] = await conn.fetch(OPENED, *scope.args)
    if scope.windowed:
        closed: list[asyncpg.Record] = await conn.fetch(CLOSED, *scope.args)
    else:
        closed = await conn.fetch(TENANT_CLOSED, *scope.args, await facts_until(conn, scope))
    return opened, closed


# Ratings answered in the period (conversation_feedback_answered_idx), by local day ($6: tz);
# the item (its primary key) says the queue, only looked up for a queue's report (a custom
# plan folds the EXISTS away otherwise: a month's tenant report probed ~3,400 items for none).
RATINGS = """
SELECT (f.answered_at AT TIME ZONE $6)::date AS day, f.rating, count(*) AS count
  FROM conversation_feedback f
 WHERE f.tenant_id = current_tenant_id() AND f.rating IS NOT NULL
   AND f.answered_at >= $1 AND f.answered_at < $2
   AND ($3::uuid IS NULL OR EXISTS (
        SELECT 1 FROM queue_items i
         WHERE i.tenant_id = f.tenant_id AND i.id = f.item_id AND i.queue_id = $3))
   AND ($4::uuid IS NULL OR f.agent_id = $4)
   AND ($5::uuid IS NULL OR f.conversation_id = $5)
 GROUP BY 1, 2
"""


async def ratings(conn: Connection, scope: Scope, tz: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(RATINGS, *scope.args, tz)
    return rows


# The AI's analysis of customer messages, as (kind 'label' or 'intent', name, count): a
# scope's through its windows (ai_message_analysis_conversation_idx); the tenant's from the
# roll-up before $6 and ai_message_analysis_time_idx from $6 on (summed by the caller).
WINDOWED_MOOD = f"""
SELECT CASE WHEN GROUPING(a.intent) = 1 THEN 'label' ELSE 'intent' END AS kind,
       CASE WHEN GROUPING(a.intent) = 1 THEN a.sentiment_label ELSE a.intent END AS name,
       count(*)::int AS count
  FROM {WINDOWS}
  JOIN LATERAL (
      SELECT * FROM ai_message_analysis a
       WHERE a.tenant_id = current_tenant_id() AND a.conversation_id = w.conversation_id
         AND a.analyzed_at >= w.lo AND a.analyzed_at <= w.hi AND a.analyzed_at < $2) a ON true
 GROUP BY GROUPING SETS ((a.sentiment_label), (a.intent))
"""
_ROLLED = """report_quarters r
 WHERE r.tenant_id = current_tenant_id() AND r.quarter >= $1
   AND r.quarter < least($2, $6::timestamptz)
   AND $3::uuid IS NULL AND $4::uuid IS NULL AND $5::uuid IS NULL"""
_LIVE = """ai_message_analysis a
 WHERE a.tenant_id = current_tenant_id() AND a.analyzed_at >= greatest($1, $6::timestamptz)
   AND a.analyzed_at < $2 AND $3::uuid IS NULL AND $4::uuid IS NULL AND $5::uuid IS NULL"""
TENANT_MOOD = f"""
SELECT 'label' AS kind, l.name, sum(l.n)::int AS count
  FROM (SELECT unnest(ARRAY['positive', 'neutral', 'negative']) AS name,
               unnest(ARRAY[r.positive, r.neutral, r.negative]) AS n
          FROM {_ROLLED}) l
 GROUP BY 2
UNION ALL
SELECT 'intent', i.key, sum(i.value::int)::int
  FROM {_ROLLED.replace("report_quarters r", "report_quarters r, jsonb_each_text(r.intents) i", 1)}
 GROUP BY 2
UNION ALL
SELECT 'label', a.sentiment_label, count(*)::int FROM {_LIVE} GROUP BY 2
UNION ALL
SELECT 'intent', a.intent, count(*)::int FROM {_LIVE} GROUP BY 2
"""


async def mood(conn: Connection, scope: Scope) -> list[asyncpg.Record]:
    """(kind, name, count) rows; a name may come twice (summed by the caller)."""
    if scope.windowed:
        rows: list[asyncpg.Record] = await conn.fetch(WINDOWED_MOOD, *scope.args)
    else:
        rows = await conn.fetch(TENANT_MOOD, *scope.args, await rolled_until(conn, scope))
    return rows


_QUEUE_NAMES = """
SELECT id, name, first_response_target_seconds FROM queues
 WHERE tenant_id = current_tenant_id() AND id = ANY($1::uuid[])
"""
_USER_NAMES = """
SELECT id, name FROM users WHERE tenant_id = current_tenant_id() AND id = ANY($1::uuid[])
"""
_CONVERSATION_NAMES = """
SELECT c.id, coalesce(nullif(ct.profile_name, ''), ct.wa_id, c.id::text) AS name
  FROM conversations c
  JOIN contacts ct ON ct.tenant_id = c.tenant_id AND ct.id = c.contact_id
 WHERE c.tenant_id = current_tenant_id() AND c.id = ANY($1::uuid[])
"""
_NAMES = {"queue": _QUEUE_NAMES, "agent": _USER_NAMES, "conversation": _CONVERSATION_NAMES}


async def names(conn: Connection, kind: str, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Display names of queues, agents (users) or conversations (their contact) by id."""
    return {r["id"]: r["name"] for r in await conn.fetch(_NAMES[kind], ids)}


async def exists(conn: Connection, kind: str, item_id: uuid.UUID) -> bool:
    return bool(await names(conn, kind, [item_id]))
