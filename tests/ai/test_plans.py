"""Every query the AI runs on the message path is bounded by the batch's conversations, proven
by its executed plan on a tenant with 100,000 messages, every customer message analysed
(tests/message_path_history.py, vacuumed and analysed as autovacuum would leave them), as the
daemon's role under row-level security, for the plan of the values at hand and for the generic
plan a prepared statement ends up with."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from pytake_daemon.ai import analysis_db, db
from pytake_daemon.db.pool import Connection, set_tenant
from tests.message_path_history import (
    HISTORY,
    History,
    history_admin_conn,  # noqa: F401 - its admin_conn fixture
    history_app_conn,  # noqa: F401 - its app_conn fixture
)
from tests.plans import assert_bounded, explain

# The plan tests share one 100,000-message history per session (the ``history`` fixture): on
# one xdist worker (scripts/test.sh: --dist loadgroup), seeded once for the three of them.
pytestmark = pytest.mark.xdist_group("history")


@dataclass(frozen=True)
class Batch:
    conversations: list[uuid.UUID]
    """Two long conversations and three new customers with one message each."""
    messages: list[uuid.UUID]
    """The latest customer message of each of them."""


async def _batch(admin_conn: Connection, tenant_id: uuid.UUID) -> Batch:
    """The batch: the latest customer message of the two longest conversations and of three
    with a single customer message (fewer analysed messages than the mood window, which once
    made the planner walk the tenant's whole history)."""
    rows = await admin_conn.fetch(
        """
        SELECT conversation_id, id FROM (
            SELECT DISTINCT ON (conversation_id) conversation_id, id, n
              FROM (SELECT conversation_id, id, created_at,
                           count(*) OVER (PARTITION BY conversation_id) AS n
                      FROM messages WHERE tenant_id = $1 AND direction = 'in') AS m
             ORDER BY conversation_id, created_at DESC) AS latest
         ORDER BY n DESC, conversation_id LIMIT 2
        """,
        tenant_id,
    )
    rows += await admin_conn.fetch(
        """
        SELECT conversation_id, max(id::text)::uuid AS id
          FROM messages WHERE tenant_id = $1 AND direction = 'in'
         GROUP BY conversation_id HAVING count(*) = 1
         ORDER BY conversation_id LIMIT 3
        """,
        tenant_id,
    )
    return Batch([r["conversation_id"] for r in rows], [r["id"] for r in rows])


# The first of the plan tests to run seeds the shared history (a minute or two, up to four
# on the shared 2-core machine under load).
@pytest.mark.timeout(600)
async def test_the_analysis_reads_a_bounded_number_of_pages_whatever_the_history(
    admin_conn: Connection, app_conn: Connection, history: History
) -> None:
    tenant_id = history.tenant_id
    assert (
        await admin_conn.fetchval("SELECT count(*) FROM messages WHERE tenant_id = $1", tenant_id)
        == HISTORY
    )
    world = await _batch(admin_conn, tenant_id)
    conversations, messages = world.conversations, world.messages
    n = len(conversations)
    contacts = [
        r["contact_id"]
        for r in await admin_conn.fetch(
            "SELECT contact_id FROM conversations WHERE id = ANY($1) ORDER BY contact_id",
            conversations,
        )
    ]
    analyses = (
        messages,
        conversations,
        ["pt"] * n,
        [-0.5] * n,
        ["negative"] * n,
        ["complaint"] * n,
        [0.8] * n,
        ["contact"] * n,
    )
    # Each conversation's window: its message of the batch (flattened, with each row's bounds).
    bounds = list(range(1, n + 1))
    moods = (
        conversations,
        ["pt"] * n,
        [-0.3] * n,
        ["negative"] * n,
        [-0.1] * n,
        [0] * n,
        messages,
        [-0.5] * n,
        bounds,
        bounds,
    )
    alerts = (conversations, ["cancel_or_complaint"] * n, messages, ["intent complaint"] * n)
    # (statement, arguments, indexes its plan must use); the writes are rolled back below.
    by_id = ("messages_pkey", "messages_tenant_id_id_key")
    queries: list[tuple[str, tuple[object, ...], set[str | tuple[str, ...]]]] = [
        (db._GET_OVERRIDES, (), set()),
        (analysis_db._PENDING, (messages,), {by_id}),
        (
            analysis_db._LANGUAGES,
            (conversations,),
            {
                ("conversations_pkey", "conversations_tenant_id_id_key"),
                "ai_contact_language_pkey",
                "ai_conversation_mood_pkey",
            },
        ),
        (analysis_db._LOCK_CONVERSATIONS, (conversations, 1), set()),
        (analysis_db._UPSERT_ANALYSES, analyses, set()),
        (analysis_db._MOOD_WINDOWS, (conversations,), {"ai_conversation_mood_pkey"}),
        (analysis_db._UPSERT_MOODS, moods, set()),
        # An upsert: its conflict arbiter is ai_contact_language_pkey (no scan node to name).
        (analysis_db._REMEMBER_LANGUAGES, (contacts, ["en"] * n), set()),
        (analysis_db._WAITING, (conversations,), {"messages_thread_idx"}),
        (analysis_db._INSERT_ALERTS, alerts, set()),
        # The delayed human-request check and the API's list of a conversation's analyses.
        (
            db._REPLIED_SINCE,
            (conversations[0], datetime.now(UTC) - timedelta(days=40)),
            {"messages_thread_idx"},
        ),
        (db._LIST_ANALYSES, (conversations[0], 50), {"messages_thread_idx"}),
    ]
    # One conversation costs a few dozen pages (the plans measured 5 to 110 for the batch of
    # five), the tenant's history thousands (the old mood query: 2,412, its generic plan 5,303;
    # the old wait: 1,859). The API's list returns 50 rows, a dozen or so pages each.
    limits = {db._LIST_ANALYSES: 1_000}
    for generic in (False, True):
        for sql, args, uses in queries:
            tr = app_conn.transaction()
            await tr.start()
            try:
                await set_tenant(app_conn, tenant_id)
                plan = await explain(app_conn, sql, *args, generic=generic)
            finally:
                await tr.rollback()
            assert_bounded(
                plan,
                uses=uses,
                avoids={"messages_created_idx"},
                max_blocks=limits.get(sql, 60 * n),
            )
