"""Every report statement reads the period through an index, never a whole table, on a tenant
with 100,000 messages (tests/message_path_history.py, one every 25 s over 29 days) whose
attendances, closures, ratings and AI analysis are spread over the same month: executed as the
daemon's role under row-level security, for the plan of the values at hand and the generic
plan. A day's report reads a day's rows: its pages are a small share of the month's."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.reports import db, export_db
from pytake_daemon.reports.rollup import roll_up_tenant
from tests.conftest import MakeTenant
from tests.message_path_history import seed_history
from tests.plans import Plan, explain

# The suite's 100,000-message histories are seeded one after another on one worker (scripts/test.sh:
# --dist loadgroup): two at once on two cores took each from ~80 s to ~290 s.
pytestmark = pytest.mark.xdist_group("history")

SMALL = 1000
"""Pages (8 MB) below which reading a table whole takes a few milliseconds: no ratio asked."""
NEVER = (
    "messages",
    "conversations",
    "queue_items",
    "queue_history",
    "conversation_events",
    "conversation_feedback",
    "ai_message_analysis",
)


async def _spread_the_month(admin_conn: Connection, tenant_id: object, agent: object) -> None:
    """Attendances entered over the month (an hour's wait at most, half an hour's work), each
    closed, rated and its customer messages analysed."""
    await admin_conn.execute("INSERT INTO agents (tenant_id, id) VALUES ($1, $2)", tenant_id, agent)
    await admin_conn.execute(
        """
        UPDATE queue_items SET entered_at = t.at, assigned_at = t.at + interval '1 minute',
                               ended_at = t.at + interval '30 minutes', agent_id = $2
          FROM (SELECT id, now() - random() * interval '29 days' AS at FROM queue_items
                 WHERE tenant_id = $1) t
         WHERE queue_items.id = t.id
        """,
        tenant_id,
        agent,
    )
    await admin_conn.execute(
        """
        WITH e AS (
            INSERT INTO conversation_events (tenant_id, conversation_id, kind, agent_id,
                                             queue_id, created_at)
            SELECT tenant_id, conversation_id, 'closed', agent_id, queue_id, ended_at
              FROM queue_items WHERE tenant_id = $1)
        INSERT INTO conversation_feedback (tenant_id, item_id, conversation_id, agent_id,
                                           rating, asked_at, answered_at)
        SELECT tenant_id, id, conversation_id, agent_id, 1 + (random() * 4)::int, ended_at,
               ended_at + interval '5 minutes'
          FROM queue_items WHERE tenant_id = $1
        """,
        tenant_id,
    )
    await admin_conn.execute(
        """
        INSERT INTO ai_message_analysis (tenant_id, message_id, conversation_id, language,
                                         sentiment, sentiment_label, intent, intent_confidence,
                                         analyzed_at)
        SELECT tenant_id, id, conversation_id, 'pt', 0, 'neutral', 'greeting', 0.9, created_at
          FROM messages WHERE tenant_id = $1 AND direction = 'in'
        """,
        tenant_id,
    )
    await admin_conn.execute(
        "VACUUM ANALYZE queue_items, conversation_events, conversation_feedback,"
        " ai_message_analysis"
    )


# Seeding the history is most of it: 200 s on the shared 2-core machine under load.
@pytest.mark.timeout(600)
async def test_report_statements_read_the_period_through_their_indexes(
    admin_conn: Connection, app_conn: Connection, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    await seed_history(admin_conn, tenant.id)
    agent = tenant.members[next(iter(tenant.members))].id
    await _spread_the_month(admin_conn, tenant.id, agent)
    queue = await admin_conn.fetchval("SELECT id FROM queues WHERE tenant_id = $1", tenant.id)
    # A long thread: its messages are spread over the month like the tenant's.
    conversation = await admin_conn.fetchval(
        "SELECT conversation_id FROM messages WHERE tenant_id = $1"
        " GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
        tenant.id,
    )
    now = datetime.now(UTC)
    day = db.Scope(now - timedelta(days=1), now)
    by_queue = db.Scope(now - timedelta(days=1), now, queue_id=queue)
    by_agent = db.Scope(now - timedelta(days=1), now, queue_id=queue, agent_id=agent)
    one = db.Scope(now - timedelta(days=1), now, conversation_id=conversation)
    period = ("messages_created_idx",)
    windows = ("queue_items_entered_idx",)
    thread = ("messages_thread_idx",)
    # The roll-up reaches half a day ago: a day's report reads both halves.
    async with app_conn.transaction():
        until = await roll_up_tenant(app_conn, tenant.id, now - timedelta(hours=12))
    await admin_conn.execute("VACUUM ANALYZE report_quarters")
    rolled = ("report_quarters_pkey",)
    cases: list[tuple[str, db.Scope, tuple[object, ...], set[str | tuple[str, ...]]]] = [
        (db.TENANT_MESSAGES, day, (until,), {period, rolled}),
        (db.TENANT_TEMPLATES, day, (), {("messages_template_sends_idx",)}),
        (db.TENANT_ERRORS, day, (), {("messages_errors_idx",)}),
        (db.WINDOWED_MESSAGES, by_queue, (), {windows, thread}),
        (db.WINDOWED_MESSAGES, one, (), {thread}),
        (db.ATTENDANCE, day, ("queue", now), {windows, thread}),
        # An agent's: by the period or by the agent's own attendances, both bounded.
        (db.ATTENDANCE, by_agent, ("conversation", now), {(*windows, "queue_items_agent_idx")}),
        (db.OPENED, day, (), {("conversations_list_idx",), ("conversation_events_kind_idx",)}),
        (db.OPENED, by_queue, (), {windows}),
        (db.CLOSED, day, (), {("conversation_events_kind_idx",)}),
        (db.RATINGS, day, ("Europe/Lisbon",), {("conversation_feedback_answered_idx",)}),
        (db.TENANT_MOOD, day, (until,), {("ai_message_analysis_time_idx",), rolled}),
        (db.WINDOWED_MOOD, by_agent, (), {("ai_message_analysis_conversation_idx",)}),
        (export_db.EXPORT_MESSAGES, day, (), {period}),
        (export_db.EXPORT_WINDOWED_MESSAGES, by_queue, (), {thread}),
        (export_db.EXPORT_CONVERSATIONS, day, (), {("conversations_list_idx",)}),
    ]
    failures: list[str] = []
    async with app_conn.transaction():
        await set_tenant(app_conn, tenant.id)
        for generic in (False, True):
            for sql, scope, extra, uses in cases:
                month = replace(scope, start=now - timedelta(days=30))
                try:
                    plan = await explain(app_conn, sql, *scope.args, *extra, generic=generic)
                    # The month's plan only for the values at hand: it is the slow half.
                    whole = None if generic else await explain(app_conn, sql, *month.args, *extra)
                    _assert_follows_the_period(plan, whole, uses)
                except AssertionError as exc:
                    failures.append(f"generic={generic} {' '.join(sql.split()[:8])}: {exc}")
    assert not failures, "\n\n".join(f[:2000] for f in failures)


def _assert_follows_the_period(
    day: Plan, month: Plan | None, uses: set[str | tuple[str, ...]]
) -> None:
    """The day's plan scans ``uses`` and reads no table end to end (a branch a one-time filter
    skips is never run: it reads nothing); and the day reads under a quarter of the month's
    pages (a thirtieth of the rows), so the cost follows the period, not the history."""
    missing = [u for u in uses if not set((u,) if isinstance(u, str) else u) & day.indexes]
    assert not missing, f"index {missing} not used:\n{day}"
    scanned = {
        n["Relation Name"]
        for n in day.nodes()
        if n["Node Type"] == "Seq Scan" and n.get("Actual Loops", 0) > 0
    } & set(NEVER)
    assert not scanned, f"sequential scan of {sorted(scanned)}:\n{day}"
    # (The month is the whole history: a sequential scan is the right plan for it.)
    if month is not None and month.blocks > SMALL:
        assert day.blocks * 4 < month.blocks, f"day {day.blocks}, month {month.blocks}:\n{day}"
