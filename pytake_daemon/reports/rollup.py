"""The quarter-hour roll-up of each tenant's messages and their analysis (``report_quarters``,
migration 0026), then of each attendance's facts and the closures (``report_attendances``,
``report_closures``, 0044, ``attendance_rollup.py``), written by a background pass every few
minutes, never on the message path.

One process does it: the pass takes a transaction-level advisory lock first and a process that
doesn't get it skips. Each run recomputes, per tenant, the quarters from an hour before where
the last run ended up to the current quarter (excluded), so a message whose transaction
committed after its quarter was rolled up is counted by the next run; the first run for a
tenant covers its whole history. Reports read the quarters before ``report_rollups.until``
and the live rows from there on, so a report is exact whether the pass ran a minute or a day
ago; only a message committed more than an hour after its own ``created_at`` (none: the
column is the insert's clock) could be missed.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import structlog

from pytake_daemon.db.pool import Connection, Pool, set_tenant
from pytake_daemon.reports.attendance_rollup import roll_up_facts

log = structlog.get_logger("pytake.reports")

QUARTER = timedelta(minutes=15)
RECOMPUTE = timedelta(hours=1)
INTERVAL_SECONDS = 300.0
"""How often the pass runs; reports stay exact in between (they read live rows past it)."""

# "pytakeRR": apart from the other domains' advisory locks.
ROLLUP_LOCK = 0x7079_7461_6B65_5252
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

_TRY_LOCK = "SELECT pg_try_advisory_xact_lock($1)"
_TENANTS = "SELECT tenant_id FROM report_tenants()"
_UNTIL = "SELECT until FROM report_rollups WHERE tenant_id = current_tenant_id()"
_FIRST = """
SELECT min(created_at) FROM messages WHERE tenant_id = current_tenant_id()
"""
# messages_created_idx and ai_message_analysis_time_idx over [$1, $2).
_MESSAGES = """
INSERT INTO report_quarters (tenant_id, quarter, inbound, outbound)
SELECT current_tenant_id(), date_bin('15 minutes', m.created_at, $3),
       count(*) FILTER (WHERE m.direction = 'in'), count(*) FILTER (WHERE m.direction = 'out')
  FROM messages m
 WHERE m.tenant_id = current_tenant_id() AND m.created_at >= $1 AND m.created_at < $2
 GROUP BY 2
ON CONFLICT (tenant_id, quarter) DO UPDATE SET
    inbound = excluded.inbound, outbound = excluded.outbound
"""
_ANALYSIS = """
INSERT INTO report_quarters (tenant_id, quarter, positive, neutral, negative, intents)
SELECT current_tenant_id(), q.quarter, q.positive, q.neutral, q.negative, i.intents
  FROM (SELECT date_bin('15 minutes', a.analyzed_at, $3) AS quarter,
               count(*) FILTER (WHERE a.sentiment_label = 'positive') AS positive,
               count(*) FILTER (WHERE a.sentiment_label = 'neutral') AS neutral,
               count(*) FILTER (WHERE a.sentiment_label = 'negative') AS negative
          FROM ai_message_analysis a
         WHERE a.tenant_id = current_tenant_id() AND a.analyzed_at >= $1 AND a.analyzed_at < $2
         GROUP BY 1) q
  JOIN (SELECT quarter, jsonb_object_agg(intent, n) AS intents
          FROM (SELECT date_bin('15 minutes', a.analyzed_at, $3) AS quarter, a.intent,
                       count(*) AS n
                  FROM ai_message_analysis a
                 WHERE a.tenant_id = current_tenant_id()
                   AND a.analyzed_at >= $1 AND a.analyzed_at < $2
                 GROUP BY 1, 2) x
         GROUP BY 1) i USING (quarter)
ON CONFLICT (tenant_id, quarter) DO UPDATE SET
    positive = excluded.positive, neutral = excluded.neutral, negative = excluded.negative,
    intents = excluded.intents
"""
_MARK = """
INSERT INTO report_rollups (tenant_id, until) VALUES (current_tenant_id(), $1)
ON CONFLICT (tenant_id) DO UPDATE SET until = excluded.until
"""


def quarter_of(moment: datetime) -> datetime:
    """The start of the UTC quarter of an hour holding ``moment``."""
    return _EPOCH + (moment - _EPOCH) // QUARTER * QUARTER


async def roll_up_tenant(conn: Connection, tenant_id: uuid.UUID, now: datetime) -> datetime:
    """Bring one tenant's quarters, attendances and closures up to the quarter
    holding ``now`` (excluded), in the caller's transaction; returns the new ``until``."""
    await set_tenant(conn, tenant_id)
    until = quarter_of(now)
    done: datetime | None = await conn.fetchval(_UNTIL)
    start = done - RECOMPUTE if done is not None else await conn.fetchval(_FIRST)
    if start is not None and start < until:
        start = quarter_of(start)
        await conn.execute(_MESSAGES, start, until, _EPOCH)
        await conn.execute(_ANALYSIS, start, until, _EPOCH)
    await conn.execute(_MARK, until)
    await roll_up_facts(conn, until, RECOMPUTE, _EPOCH)
    return until


async def roll_up(pool: Pool, now: datetime) -> list[uuid.UUID] | None:
    """Every tenant's roll-up; the tenants done, or ``None`` when another process holds the
    lock (it is doing this very work)."""
    async with pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval(_TRY_LOCK, ROLLUP_LOCK):
            return None
        tenants = [r["tenant_id"] for r in await conn.fetch(_TENANTS)]
        for tenant_id in tenants:
            # set_config(..., true) again inside the same transaction switches the tenant.
            await roll_up_tenant(conn, tenant_id, now)
    return tenants


async def rollup_pass(pool: Pool) -> None:
    """One pass of the supervised loop: wait first (a daemon that has just started serves
    reports from live rows meanwhile), then roll up."""
    await asyncio.sleep(INTERVAL_SECONDS)
    done = await roll_up(pool, datetime.now(UTC))
    if done is not None:
        log.info("report quarters rolled up", tenants=len(done))
