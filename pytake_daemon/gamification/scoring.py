"""The background pass that turns measured work into ledger rows and badges, never on the
message path.

One process does it: the pass takes a transaction-level advisory lock first and a process
that doesn't get it skips (as the reports' roll-up does). Per tenant whose gamification is on
(``gamification_tenants()``), it recomputes from an hour before where the last run ended up
to ``now``, so a row whose transaction committed after the last run is still counted; the
first run starts at the tenant's previous month (the monthly board is whole from the start).
The ledger is keyed by source row, so any range computed again gives the same rows: that is
what makes the pass safe to repeat and :func:`compute_range` a recomputation.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import structlog

from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection, Pool, set_tenant
from pytake_daemon.gamification import db, rules
from pytake_daemon.protocol.gamification import Period

log = structlog.get_logger("pytake.gamification")

RECOMPUTE = timedelta(hours=1)
INTERVAL_SECONDS = 120.0
"""How often the pass runs: the leaderboard moves within two minutes of a closed attendance."""

# "pytakeGM": apart from the other domains' advisory locks.
SCORING_LOCK = 0x7079_7461_6B65_474D
_TRY_LOCK = "SELECT pg_try_advisory_xact_lock($1)"


async def compute_range(conn: Connection, start: datetime, end: datetime, now: datetime) -> None:
    """Write the ledger rows of the facts in ``[start, end)`` and the badges of every day and
    week they touch, in the caller's transaction (tenant already set)."""
    await conn.execute(db.RESOLVED, start, end, rules.RESOLVED_POINTS)
    await conn.execute(db.FIRST_RESPONSE, start, end, rules.ON_TARGET_POINTS)
    await conn.execute(db.CSAT, start, end, rules.CSAT_POINTS[5], rules.CSAT_POINTS[4])
    await conn.execute(db.GOALS, start, end, rules.GOAL_POINTS)
    await award_badges(conn, start, end, now)


async def award_badges(conn: Connection, start: datetime, end: datetime, now: datetime) -> int:
    """Badges of the local days and weeks overlapping ``[start, end)``; returns how many were
    new. A week's "on target" badge waits for the week to end (a later miss would spoil it)."""
    tz = await db.timezone_of(conn)
    awarded = 0
    for period in (Period.DAY, Period.WEEK):
        for span in rules.spans_touched(period, start, end, tz):
            facts: dict[uuid.UUID, list[rules.Fact]] = defaultdict(list)
            for row in await conn.fetch(db.FACTS, span.start, span.end):
                facts[row["agent_id"]].append(rows.of(rules.Fact, row))
            finished = now >= span.end
            for agent_id, agent_facts in facts.items():
                for badge in rules.badges_earned(period, agent_facts, finished=finished):
                    status = await conn.execute(
                        db.AWARD, agent_id, badge.value, span.first_day, now
                    )
                    awarded += status == "INSERT 0 1"
    return awarded


async def first_start(conn: Connection, now: datetime) -> datetime:
    """Where a tenant's first run starts: its previous month's first local midnight."""
    tz = await db.timezone_of(conn)
    this_month = rules.span_of(Period.MONTH, rules.local_day(now, tz), tz)
    previous = this_month.first_day - timedelta(days=1)
    return rules.span_of(Period.MONTH, previous, tz).start


async def score_tenant(conn: Connection, tenant_id: uuid.UUID, now: datetime) -> datetime:
    """Bring one tenant's ledger up to ``now``, in the caller's transaction; the window's
    start."""
    await set_tenant(conn, tenant_id)
    done: datetime | None = await conn.fetchval(db.RUN_UNTIL)
    start = done - RECOMPUTE if done is not None else await first_start(conn, now)
    if start < now:
        await compute_range(conn, start, now, now)
    await conn.execute(db.MARK_RUN, now)
    return start


async def score(pool: Pool, now: datetime) -> list[uuid.UUID] | None:
    """Every tenant's pass whose gamification is on; the tenants done, or ``None`` when
    another process holds the lock (it is doing this very work)."""
    async with pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval(_TRY_LOCK, SCORING_LOCK):
            return None
        tenants = [r["tenant_id"] for r in await conn.fetch(db.TENANTS)]
        for tenant_id in tenants:
            # set_config(..., true) again inside the same transaction switches the tenant.
            await score_tenant(conn, tenant_id, now)
    return tenants


async def scoring_pass(pool: Pool) -> None:
    """One pass of the supervised loop: wait, then score."""
    await asyncio.sleep(INTERVAL_SECONDS)
    done = await score(pool, datetime.now(UTC))
    if done is not None:
        log.info("gamification scored", tenants=len(done))
