"""The pass's and the leaderboard's statements read a window through their indexes, never a
whole table, on the shared 100,000-message history (tests/message_path_history.py, a month of
attendances, ratings): executed as the daemon's role under row-level security, for the plan of
the values at hand and the generic plan, in a transaction rolled back (they write)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.gamification import db, rules, scoring
from tests.message_path_history import (
    History,
    history_admin_conn,  # noqa: F401 - its admin_conn fixture
    history_app_conn,  # noqa: F401 - its app_conn fixture
)
from tests.plans import Plan, explain

pytestmark = pytest.mark.xdist_group("history")

NEVER = ("messages", "queue_items", "conversation_feedback", "agent_activities")


def _assert_bounded(plan: Plan, uses: set[str]) -> None:
    assert uses & plan.indexes == uses, f"index {uses - plan.indexes} not used:\n{plan}"
    scanned = {
        n["Relation Name"]
        for n in plan.nodes()
        if n["Node Type"] == "Seq Scan" and n.get("Actual Loops", 0) > 0
    } & set(NEVER)
    assert not scanned, f"sequential scan of {sorted(scanned)}:\n{plan}"


@pytest.mark.timeout(600)
async def test_scoring_and_boards_read_their_window_through_indexes(
    app_conn: Connection, admin_conn: Connection, history: History
) -> None:
    now = datetime.now(UTC)
    day = (now - timedelta(days=1), now)
    cases: list[tuple[str, tuple[object, ...], set[str]]] = [
        (db.RESOLVED, (*day, rules.RESOLVED_POINTS), {"queue_items_ended_idx"}),
        (db.FIRST_RESPONSE, (*day, rules.ON_TARGET_POINTS), {"queue_items_ended_idx"}),
        (db.CSAT, (*day, 5, 2), {"conversation_feedback_answered_idx"}),
        (db.GOALS, (*day, rules.GOAL_POINTS), {"agent_activities_goal_idx"}),
        (db.FACTS, day, {"gamification_points_period_idx"}),
        (db.TEAM, (*day, None, None), {"gamification_points_period_idx"}),
        (db.TEAM, (*day, history.queue_id, None), {"gamification_points_period_idx"}),
    ]
    failures: list[str] = []
    # The month's ledger first, committed and analysed as autovacuum would, so the boards'
    # plans read real rows with real statistics (the pass is idempotent: a second test run
    # writes the same rows).
    async with app_conn.transaction():
        await set_tenant(app_conn, history.tenant_id)
        await scoring.compute_range(app_conn, now - timedelta(days=31), now, now)
        assert await app_conn.fetchval("SELECT count(*) FROM gamification_points") > 0
    await admin_conn.execute("ANALYZE gamification_points, gamification_badges")
    tr = app_conn.transaction()
    await tr.start()
    try:
        await set_tenant(app_conn, history.tenant_id)
        for generic in (False, True):
            for sql, args, uses in cases:
                try:
                    _assert_bounded(await explain(app_conn, sql, *args, generic=generic), uses)
                except AssertionError as exc:
                    what = " ".join(sql.split("SELECT", 1)[1].split()[:12])
                    failures.append(f"generic={generic} SELECT {what}: {exc}")
    finally:
        await tr.rollback()
    assert not failures, "\n\n".join(f[:2000] for f in failures)
