"""The attendances' and closures' roll-up (``report_attendances``, ``report_closures``, 0044)
against the hand-computed weekend of tests/reports/seed.py: a report read through it equals the
same report computed live, when a
rating arrives after the pass, when a conversation reopens and its new attendance is still
open at the pass, on a re-run, and per tenant. Clocks pinned (the passes take ``now``)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest

from pytake_daemon.db.pool import Connection, set_tenant, tenant_transaction
from pytake_daemon.keys import DB_POOL, SECRET_BOX
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.reports import ReportOut, ReportQuery
from pytake_daemon.reports.rollup import roll_up, roll_up_tenant
from pytake_daemon.reports.service import build_report
from tests.conftest import ApiClient, MakeTenant
from tests.conversations.factories import insert_message
from tests.reports.seed import FIRST_DAY, LAST_DAY, NOW, TZ, Weekend, at, seed_weekend
from tests.support import TenantData

PERIOD = {"first_day": FIRST_DAY, "last_day": LAST_DAY, "tz": TZ}
_ROWS = """
SELECT item_id, queue_id, agent_id, status, entered_at, ended_at, answered_at, rating,
       transfers, final
  FROM report_attendances WHERE tenant_id = $1 ORDER BY entered_at
"""
_CLOSURES = "SELECT * FROM report_closures WHERE tenant_id = $1 ORDER BY quarter"


async def _weekend(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> tuple[TenantData, Weekend]:
    tenant = await make_tenant()
    weekend = await seed_weekend(admin_conn, tenant.id, tenant[Role.AGENT].id, api.app[SECRET_BOX])
    return tenant, weekend


async def _report(api: ApiClient, tenant: TenantData, *, live: bool = False) -> dict[str, Any]:
    """The weekend's tenant report at the pinned ``NOW``; ``live``: as if no attendance or
    closure had been rolled up (the watermark cleared in a transaction that is rolled back)."""
    query = ReportQuery.model_validate(PERIOD)
    async with api.app[DB_POOL].acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:
            await set_tenant(conn, tenant.id)
            if live:
                await conn.execute("UPDATE report_rollups SET facts_until = NULL")
            report: ReportOut = await build_report(conn, query, NOW)
        finally:
            await transaction.rollback()
    return report.model_dump()


async def _roll_up(api: ApiClient, tenant: TenantData, now: datetime) -> None:
    async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
        await roll_up_tenant(conn, tenant.id, now)


async def _item_of(admin_conn: Connection, conversation: uuid.UUID) -> uuid.UUID:
    item: uuid.UUID = await admin_conn.fetchval(
        "SELECT id FROM queue_items WHERE conversation_id = $1", conversation
    )
    return item


async def test_a_rating_answered_after_the_rollup_counts_at_once(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant, w = await _weekend(api, make_tenant, admin_conn)
    bruno = await _item_of(admin_conn, w.bruno)
    # Bruno was asked but hadn't answered when the pass ran.
    await admin_conn.execute(
        "UPDATE conversation_feedback SET rating = NULL, answered_at = NULL WHERE item_id = $1",
        bruno,
    )
    await _roll_up(api, tenant, NOW)
    rows = {r["item_id"]: r for r in await admin_conn.fetch(_ROWS, tenant.id)}
    assert (rows[bruno]["final"], rows[bruno]["rating"]) == (True, None)

    await admin_conn.execute(
        "UPDATE conversation_feedback SET rating = 2, answered_at = $2 WHERE item_id = $1",
        bruno,
        NOW + timedelta(minutes=5),
    )
    rolled = await _report(api, tenant)
    assert rolled == await _report(api, tenant, live=True)
    # The hand-computed breakdown again: Ana's 5 and Bruno's late 2 (the period's CSAT only
    # counts ratings answered in it: Ana's).
    support = rolled["breakdown"][0]
    assert (support["name"], support["ratings"], support["csat_average"]) == ("Support", 2, 3.5)
    assert (rolled["csat"]["ratings"], rolled["csat"]["average"]) == (1, 5.0)

    # The next pass writes it into the row; the figures don't move.
    await _roll_up(api, tenant, NOW + timedelta(minutes=15))
    rows = {r["item_id"]: r for r in await admin_conn.fetch(_ROWS, tenant.id)}
    assert rows[bruno]["rating"] == 2
    assert await _report(api, tenant) == rolled


async def test_a_reopened_conversation_open_at_the_rollup(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant, w = await _weekend(api, make_tenant, admin_conn)
    # Ana writes again on Sunday 14:00 WEST: reopened into Support, where someone replies in
    # 2 min while it still waits; the pass runs at 14:30 WEST, before it ends.
    await admin_conn.execute(
        "INSERT INTO conversation_events (tenant_id, conversation_id, kind, created_at)"
        " VALUES ($1, $2, 'reopened', $3)",
        tenant.id,
        w.ana,
        at(29, 13),
    )
    again: uuid.UUID = await admin_conn.fetchval(
        """
        INSERT INTO queue_items (tenant_id, queue_id, conversation_id, status, fallback_action,
                                 source, entered_at)
        VALUES ($1, $2, $3, 'waiting', 'abandon', 'reopen', $4) RETURNING id
        """,
        tenant.id,
        w.support,
        w.ana,
        at(29, 13),
    )
    await insert_message(
        admin_conn,
        tenant.id,
        conversation_id=w.ana,
        direction="out",
        text="back again",
        sent_by=w.agent,
        created_at=at(29, 13, 2),
    )
    await _roll_up(api, tenant, at(29, 13, 30))
    rows = {r["item_id"]: r for r in await admin_conn.fetch(_ROWS, tenant.id)}
    first = await admin_conn.fetchval(
        "SELECT id FROM queue_items WHERE conversation_id = $1 AND id <> $2", w.ana, again
    )
    # Saturday's attendance is over and final: the reply on Sunday is not its first reply.
    assert (rows[first]["final"], rows[first]["answered_at"]) == (True, at(28, 10, 3))
    assert (rows[again]["final"], rows[again]["answered_at"]) == (False, at(29, 13, 2))

    # It ends after the pass: the report computes it live.
    await admin_conn.execute(
        "UPDATE queue_items SET status = 'abandoned', ended_at = $2 WHERE id = $1",
        again,
        at(29, 13, 40),
    )
    rolled = await _report(api, tenant)
    assert rolled == await _report(api, tenant, live=True)
    a = rolled["attendance"]
    assert (a["entered"], a["abandoned"]) == (4, 2)
    # First replies 120 s, 660 s and 120 s: median 120, p90 120 + 0.8 x 540.
    frt = a["first_response"]
    assert (frt["median"], frt["p90"]) == pytest.approx((120, 552))
    # Ana's second reply came within Support's 5 minutes: met (Bruno and Carla missed).
    assert (a["sla"]["met"], a["sla"]["missed"]) == (2, 2)

    # The next pass, past the end: final, same figures.
    await _roll_up(api, tenant, NOW)
    rows = {r["item_id"]: r for r in await admin_conn.fetch(_ROWS, tenant.id)}
    assert (rows[again]["final"], rows[again]["status"]) == (True, "abandoned")
    assert await _report(api, tenant) == rolled


async def test_a_rerun_changes_nothing(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant, _ = await _weekend(api, make_tenant, admin_conn)
    live = await _report(api, tenant, live=True)
    await _roll_up(api, tenant, NOW)
    once = await admin_conn.fetch(_ROWS, tenant.id)
    assert [r["final"] for r in once] == [True, True, True]
    closures = await admin_conn.fetch(_CLOSURES, tenant.id)
    # Ana's (Saturday 10:30), Carla's (12:10) and the flow's for Davi (Sunday 20:01).
    assert [(r["quarter"], r["closed"], r["automated"]) for r in closures] == [
        (at(28, 10, 30), 1, 0), (at(28, 12), 1, 0), (at(29, 20), 1, 1),
    ]  # fmt: skip
    await _roll_up(api, tenant, NOW)
    await _roll_up(api, tenant, NOW + timedelta(minutes=5))
    assert await admin_conn.fetch(_ROWS, tenant.id) == once
    assert await admin_conn.fetch(_CLOSURES, tenant.id) == closures
    # From scratch (as after the migration): the same rows.
    for table in ("report_attendances", "report_closures"):
        await admin_conn.execute(f"DELETE FROM {table} WHERE tenant_id = $1", tenant.id)
    await admin_conn.execute(
        "UPDATE report_rollups SET facts_until = NULL WHERE tenant_id = $1", tenant.id
    )
    await _roll_up(api, tenant, NOW)
    assert await admin_conn.fetch(_ROWS, tenant.id) == once
    assert await admin_conn.fetch(_CLOSURES, tenant.id) == closures
    assert await _report(api, tenant) == live


async def test_each_tenant_rolls_up_and_reads_only_its_own(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    mine, _ = await _weekend(api, make_tenant, admin_conn)
    theirs, _ = await _weekend(api, make_tenant, admin_conn)
    lives = [await _report(api, t, live=True) for t in (mine, theirs)]
    done = await roll_up(api.app[DB_POOL], NOW)
    assert {mine.id, theirs.id} <= set(done or ())
    for tenant, live in zip((mine, theirs), lives, strict=True):
        rows = await admin_conn.fetch(_ROWS, tenant.id)
        owners = await admin_conn.fetch(
            "SELECT DISTINCT i.tenant_id FROM report_attendances r"
            " JOIN queue_items i ON i.id = r.item_id WHERE r.tenant_id = $1",
            tenant.id,
        )
        assert (len(rows), [o["tenant_id"] for o in owners]) == (3, [tenant.id])
        assert await _report(api, tenant) == live

    # As the daemon's role, one tenant sees and writes only its own rows.
    async with tenant_transaction(api.app[DB_POOL], mine.id) as conn:
        seen = await conn.fetchval("SELECT count(DISTINCT tenant_id) FROM report_attendances")
        assert seen == 1
        other = await conn.fetchval(
            "SELECT count(*) FROM report_attendances WHERE tenant_id = $1", theirs.id
        )
        assert other == 0
        updated = await conn.execute(
            "UPDATE report_attendances SET rating = 1 WHERE tenant_id = $1", theirs.id
        )
        assert updated == "UPDATE 0"
    row = await admin_conn.fetchrow(
        "SELECT id, queue_id, conversation_id, entered_at FROM queue_items WHERE tenant_id = $1"
        " LIMIT 1",
        theirs.id,
    )
    assert row is not None
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        async with tenant_transaction(api.app[DB_POOL], mine.id) as conn:
            await conn.execute(
                "INSERT INTO report_attendances (tenant_id, item_id, queue_id, conversation_id,"
                " status, entered_at, final) VALUES ($1, $2, $3, $4, 'completed', $5, true)",
                theirs.id,
                *row.values(),
            )
