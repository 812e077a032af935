"""Every query the AI runs on the message path is bounded by the batch's conversations, proven
by its executed plan on a tenant with 100,000 messages (analysed, vacuumed and analysed as
autovacuum would leave them), as the daemon's role under row-level security, for the plan of
the values at hand and for the generic plan a prepared statement ends up with."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from pytake_daemon.ai import analysis_db, db
from pytake_daemon.ai.batch import MOOD_WINDOW
from pytake_daemon.config import Settings
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.whatsapp.secretbox import SecretBox, load_secret_box
from tests.conftest import MakeTenant
from tests.conversations.factories import insert_number
from tests.plans import assert_bounded, explain

# The suite's 100,000-message histories are seeded one after another on one worker (scripts/test.sh:
# --dist loadgroup): two at once on two cores took each from ~80 s to ~290 s.
pytestmark = pytest.mark.xdist_group("history")

HISTORY = 100_000
CONVERSATIONS = 5_000
LONG_CONVERSATIONS = 50


@pytest.fixture
def box(settings: Settings) -> SecretBox:
    """The key the apps under test decrypt numbers' secrets with."""
    return load_secret_box(settings)


@dataclass(frozen=True)
class History:
    tenant_id: uuid.UUID
    conversations: list[uuid.UUID]
    """A batch's conversations: each has 20 messages, half of them analysed customer ones."""
    messages: list[uuid.UUID]
    """The latest customer message of each of them."""


async def seed_history(admin_conn: Connection, tenant_id: uuid.UUID, number: uuid.UUID) -> History:
    """HISTORY messages over CONVERSATIONS conversations and 30 days, every customer message
    analysed: one INSERT … SELECT per table, as the owner role."""
    await admin_conn.execute(
        """
        WITH ct AS (
            INSERT INTO contacts (tenant_id, wa_id)
            SELECT $1, (71000000000 + g)::text FROM generate_series(1, $2::int) AS g
            RETURNING id)
        INSERT INTO conversations (tenant_id, number_id, contact_id)
        SELECT $1, $3, id FROM ct
        """,
        tenant_id,
        CONVERSATIONS,
        number,
    )
    # Nine messages in ten go to 50 long conversations, the rest spread over all of them (two
    # each): both the long thread and the new customer with fewer analysed messages than the
    # mood window (which once made the planner walk the tenant's whole history). One every
    # 25 s, the newest now; directions mixed within each conversation.
    await admin_conn.execute(
        """
        INSERT INTO messages (tenant_id, conversation_id, direction, type, content, text, status,
                              created_at)
        SELECT $1, conv.ids[1 + CASE WHEN g % 10 = 0 THEN g % cardinality(conv.ids)
                                     ELSE g % $3 END],
               d.direction, 'text', '{}'::jsonb, 'm' || g,
               CASE d.direction WHEN 'in' THEN 'received' ELSE 'sent' END,
               now() - make_interval(secs => ($2 - g) * 25)
          FROM (SELECT array_agg(id ORDER BY id) AS ids FROM conversations
                 WHERE tenant_id = $1) AS conv,
               generate_series(1, $2::int) AS g,
               LATERAL (SELECT CASE WHEN (g / 7) % 2 = 0 THEN 'in' ELSE 'out' END
                                 AS direction) AS d
        """,
        tenant_id,
        HISTORY,
        LONG_CONVERSATIONS,
    )
    await admin_conn.execute(
        """
        INSERT INTO ai_message_analysis (tenant_id, message_id, conversation_id, language,
                                         sentiment, sentiment_label, intent, intent_confidence,
                                         analyzed_at)
        SELECT tenant_id, id, conversation_id, 'pt', 0.2, 'positive', 'greeting', 0.9, created_at
          FROM messages WHERE tenant_id = $1 AND direction = 'in'
        """,
        tenant_id,
    )
    await admin_conn.execute(
        """
        INSERT INTO ai_conversation_mood (tenant_id, conversation_id, language, score, label,
                                          trend, messages)
        SELECT c.tenant_id, c.id, 'pt', 0.2, 'positive', 0, count(a.*)
          FROM conversations c LEFT JOIN ai_message_analysis a ON a.conversation_id = c.id
         WHERE c.tenant_id = $1
         GROUP BY c.tenant_id, c.id
        """,
        tenant_id,
    )
    # Every customer's language remembered (0023), so the lookup meets a full table.
    await admin_conn.execute(
        """
        INSERT INTO ai_contact_language (tenant_id, contact_id, language)
        SELECT tenant_id, id, 'pt' FROM contacts WHERE tenant_id = $1
        """,
        tenant_id,
    )
    await admin_conn.execute(
        "VACUUM ANALYZE contacts, conversations, messages, ai_message_analysis, "
        "ai_conversation_mood, ai_alerts, ai_contact_language"
    )
    # The batch: the latest customer message of two long conversations and three short ones.
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
    return History(
        tenant_id,
        [r["conversation_id"] for r in rows],
        [r["id"] for r in rows],
    )


@pytest.mark.timeout(300)
async def test_the_analysis_reads_a_bounded_number_of_pages_whatever_the_history(
    admin_conn: Connection, app_conn: Connection, make_tenant: MakeTenant, box: SecretBox
) -> None:
    tenant = await make_tenant()
    number = await insert_number(admin_conn, tenant.id, box)
    world = await seed_history(admin_conn, tenant.id, number)
    assert (
        await admin_conn.fetchval("SELECT count(*) FROM messages WHERE tenant_id = $1", tenant.id)
        == HISTORY
    )
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
    moods = (conversations, ["pt"] * n, [-0.3] * n, ["negative"] * n, [-0.1] * n, [0] * n)
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
        (
            analysis_db._RECENT_SCORES,
            (conversations, MOOD_WINDOW + 1),
            {"ai_message_analysis_conversation_idx", by_id},
        ),
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
                await set_tenant(app_conn, tenant.id)
                plan = await explain(app_conn, sql, *args, generic=generic)
            finally:
                await tr.rollback()
            assert_bounded(
                plan,
                uses=uses,
                avoids={"messages_created_idx"},
                max_blocks=limits.get(sql, 60 * n),
            )
