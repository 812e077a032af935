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
from pytake_daemon.reports import attendance_db, db, export_db
from tests.message_path_history import (
    History,
    history_admin_conn,  # noqa: F401 - its admin_conn fixture
    history_app_conn,  # noqa: F401 - its app_conn fixture
)
from tests.plans import Plan, explain

# The plan tests share one 100,000-message history per session (the ``history`` fixture): on
# one xdist worker (scripts/test.sh: --dist loadgroup), seeded once for the three of them.
pytestmark = pytest.mark.xdist_group("history")

START = object()
"""In a case's extra arguments: the period's start (attendances: nothing rolled up yet)."""
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


# The first of the plan tests to run seeds the shared history (a minute or two, up to four
# on the shared 2-core machine under load); the month's plans are most of the rest.
@pytest.mark.timeout(600)
async def test_report_statements_read_the_period_through_their_indexes(
    app_conn: Connection, history: History
) -> None:
    tenant_id, queue, agent = history.tenant_id, history.queue_id, history.agent_id
    # The longest thread: its messages are spread over the month like the tenant's.
    conversation = history.conversations[0]
    now = datetime.now(UTC)
    day = db.Scope(now - timedelta(days=1), now)
    by_queue = db.Scope(now - timedelta(days=1), now, queue_id=queue)
    by_agent = db.Scope(now - timedelta(days=1), now, queue_id=queue, agent_id=agent)
    one = db.Scope(now - timedelta(days=1), now, conversation_id=conversation)
    period = ("messages_created_idx",)
    windows = ("queue_items_entered_idx",)
    thread = ("messages_thread_idx",)
    # The roll-up reached half a day before the seed: a day's report reads both halves.
    until = history.rolled_until
    rolled = ("report_quarters_pkey",)
    attendances = ("report_attendances_entered_idx",)
    attendances_open = ("report_attendances_open_idx",)
    cases: list[tuple[str, db.Scope, tuple[object, ...], set[str | tuple[str, ...]]]] = [
        (db.TENANT_MESSAGES, day, (until,), {period, rolled}),
        (db.TENANT_TEMPLATES, day, (), {("messages_template_sends_idx",)}),
        (db.TENANT_ERRORS, day, (), {("messages_errors_idx",)}),
        (db.WINDOWED_MESSAGES, by_queue, (), {windows, thread}),
        (db.WINDOWED_MESSAGES, one, (), {thread}),
        # Attendances before any roll-up (every one live), then rolled up to the report's
        # instant (the rows still open at the roll-up live): either way they follow the period.
        (attendance_db.ATTENDANCE, day, ("queue", now, START), {windows, thread}),
        (attendance_db.ATTENDANCE, day, ("queue", now, now), {attendances, attendances_open}),
        # An agent's: by the period or by the agent's own attendances, both bounded.
        (
            attendance_db.ATTENDANCE,
            by_agent,
            ("conversation", now, START),
            {(*windows, "queue_items_agent_idx")},
        ),
        (attendance_db.ATTENDANCE, by_agent, ("conversation", now, now), {attendances}),
        (db.OPENED, day, (), {("conversations_list_idx",), ("conversation_events_kind_idx",)}),
        (db.OPENED, by_queue, (), {windows}),
        (db.CLOSED, by_queue, (), {("conversation_events_kind_idx",)}),
        # The tenant's: the rolled-up quarters, then the closures since.
        (
            db.TENANT_CLOSED,
            day,
            (until,),
            {("report_closures_pkey",), ("conversation_events_kind_idx",)},
        ),
        (db.RATINGS, day, ("Europe/Lisbon",), {("conversation_feedback_answered_idx",)}),
        (db.TENANT_MOOD, day, (until,), {("ai_message_analysis_time_idx",), rolled}),
        (db.WINDOWED_MOOD, by_agent, (), {("ai_message_analysis_conversation_idx",)}),
        (export_db.EXPORT_MESSAGES, day, (), {period}),
        (export_db.EXPORT_WINDOWED_MESSAGES, by_queue, (), {thread}),
        (export_db.EXPORT_CONVERSATIONS, day, (), {("conversations_list_idx",)}),
    ]
    failures: list[str] = []
    async with app_conn.transaction():
        await set_tenant(app_conn, tenant_id)
        for generic in (False, True):
            for sql, scope, extra, uses in cases:
                month = replace(scope, start=now - timedelta(days=30))
                try:
                    args = _bound(scope, extra)
                    plan = await explain(app_conn, sql, *args, generic=generic)
                    # The month's plan only for the values at hand: it is the slow half.
                    whole = None if generic else await explain(app_conn, sql, *_bound(month, extra))
                    _assert_follows_the_period(plan, whole, uses)
                except AssertionError as exc:
                    failures.append(f"generic={generic} {' '.join(sql.split()[:8])}: {exc}")
    assert not failures, "\n\n".join(f[:2000] for f in failures)


def _bound(scope: db.Scope, extra: tuple[object, ...]) -> tuple[object, ...]:
    """The statement's arguments, ``START`` being the scope's own start."""
    return (*scope.args, *(scope.start if x is START else x for x in extra))


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
