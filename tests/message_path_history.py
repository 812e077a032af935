"""The tenant with a long history that the plan tests read (tests/test_plans_message_path.py,
tests/reports/test_plans.py, tests/ai/test_plans.py): 100,000 messages, their status
callbacks, flow sessions, attendances spread over the month (closed and rated), the AI's
analysis of every customer message, seeded with one ``INSERT … SELECT generate_series`` per
table as the owner, then vacuumed and analysed as autovacuum would leave them.

Seeded once per test session (per xdist worker) by the ``history`` fixture of tests/conftest.py:
seeding was most of those tests' time, and each used to seed its own. The plan tests only read
it: the statements they explain that write run in transactions they roll back. The history has
a database of its own, so no other test's rows reach its statistics (10,000 attendances of
other tenants, all entered "now", made a report's planner read the month for a day).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection, connect, set_tenant
from pytake_daemon.realtime import bus
from pytake_daemon.reports.rollup import roll_up_tenant
from tests.support import create_tenant

HISTORY = 100_000
CONVERSATIONS = 5_000
LONG_CONVERSATIONS = 50

_TABLES = (
    "contacts, conversations, messages, message_statuses, flows, flow_versions, flow_sessions, "
    "flow_processed_messages, queues, queue_items, agents, conversation_events, "
    "conversation_feedback, ai_message_analysis, ai_conversation_mood, ai_contact_language, "
    "ai_alerts"
)


@dataclass(frozen=True)
class History:
    endpoints: Endpoints
    """The history's own database (tests/conftest.py)."""
    tenant_id: uuid.UUID
    number_id: uuid.UUID
    flow_id: uuid.UUID
    queue_id: uuid.UUID
    agent_id: uuid.UUID
    """The agent of every attendance."""
    session_id: uuid.UUID
    """The running flow session of the first conversation."""
    rolled_until: datetime
    """The report roll-up's end: half a day before the seed."""
    conversations: list[uuid.UUID]
    """A batch's conversations: two long threads and three of the shortest."""
    contacts: list[uuid.UUID]
    inbound: list[uuid.UUID]
    """The latest customer message of each of them."""
    outbound: list[uuid.UUID]
    """Our latest message in each long thread."""
    outbound_wamids: list[str]


async def build_history(endpoints: Endpoints, password_hash: str) -> History:
    """A new tenant with the whole history, through connections of its own."""
    assert endpoints.admin_dsn is not None
    admin = await connect(endpoints.admin_dsn.get_secret_value())
    app = await connect(endpoints.app_dsn.get_secret_value())
    try:
        tenant = await create_tenant(admin, password_hash)
        agent = tenant.members[next(iter(tenant.members))].id
        return await seed_history(endpoints, admin, app, tenant.id, agent)
    finally:
        await app.close()
        await admin.close()


async def seed_history(
    endpoints: Endpoints,
    admin_conn: Connection,
    app_conn: Connection,
    tenant_id: uuid.UUID,
    agent: uuid.UUID,
) -> History:
    # A removed number: apps started in the same session decrypt every live number's secrets.
    number: uuid.UUID = await admin_conn.fetchval(
        "INSERT INTO whatsapp_numbers (tenant_id, phone_number_id, waba_id, access_token_enc,"
        " app_secret_enc, verify_token_enc, removed_at)"
        " VALUES ($1, '9' || (random() * 1e14)::bigint, '1', '', '', '', now()) RETURNING id",
        tenant_id,
    )
    await admin_conn.execute(
        """
        WITH ct AS (
            INSERT INTO contacts (tenant_id, wa_id)
            SELECT $1, (73000000000 + g)::text FROM generate_series(1, $2::int) AS g
            RETURNING id)
        INSERT INTO conversations (tenant_id, number_id, contact_id, last_inbound_at)
        SELECT $1, $3, id, now() FROM ct
        """,
        tenant_id,
        CONVERSATIONS,
        number,
    )
    # Nine messages in ten go to the long threads (the first 50 by id), the rest two to every
    # conversation: both the long thread and the new customer with fewer analysed messages than
    # the AI's mood window (which once made the planner walk the tenant's whole history). One
    # every 25 s over 29 days, the newest now; directions mixed within each conversation; every
    # message has a wamid; ours were sent, delivered, read.
    await admin_conn.execute(
        """
        INSERT INTO messages (tenant_id, conversation_id, direction, wa_message_id, type,
                              content, text, status, created_at)
        SELECT $1, conv.ids[1 + CASE WHEN g % 10 = 0 THEN g % cardinality(conv.ids)
                                     ELSE g % $3 END],
               d.direction, 'wamid.h' || g, 'text', '{}'::jsonb, 'm' || g,
               CASE d.direction WHEN 'in' THEN 'received' ELSE 'read' END,
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
        INSERT INTO message_statuses (tenant_id, wa_message_id, status, occurred_at, raw)
        SELECT m.tenant_id, m.wa_message_id, s.status, m.created_at, '{}'::jsonb
          FROM messages m, unnest(ARRAY['sent', 'delivered', 'read']) AS s(status)
         WHERE m.tenant_id = $1 AND m.direction = 'out'
        """,
        tenant_id,
    )
    flow_id = await _seed_flows(admin_conn, tenant_id)
    queue = await _seed_attendances(admin_conn, tenant_id, agent)
    await _seed_analysis(admin_conn, tenant_id)
    await admin_conn.execute(f"VACUUM ANALYZE {_TABLES}")
    batch = await _batch(admin_conn, tenant_id)
    session: uuid.UUID = await admin_conn.fetchval(
        "SELECT id FROM flow_sessions WHERE tenant_id = $1 AND conversation_id = $2"
        " AND status = 'active'",
        tenant_id,
        batch.conversations[0],
    )
    # The roll-up ran up to half a day ago (a day's report reads both halves); the tenant's
    # first event number created its sequence (0020: DDL, a few hundred catalog pages, once per
    # tenant), so the message path's plans measure the steady state.
    async with app_conn.transaction():
        until = await roll_up_tenant(app_conn, tenant_id, datetime.now(UTC) - timedelta(hours=12))
    async with app_conn.transaction():
        await set_tenant(app_conn, tenant_id)
        await app_conn.fetchval(bus._NEXT_SEQ, 1)
    await admin_conn.execute("VACUUM ANALYZE report_quarters, report_attendances, report_closures")
    return History(
        endpoints=endpoints,
        tenant_id=tenant_id,
        number_id=number,
        flow_id=flow_id,
        queue_id=queue,
        agent_id=agent,
        session_id=session,
        rolled_until=until,
        conversations=batch.conversations,
        contacts=batch.contacts,
        inbound=batch.inbound,
        outbound=batch.outbound,
        outbound_wamids=batch.outbound_wamids,
    )


async def _seed_flows(admin_conn: Connection, tenant_id: uuid.UUID) -> uuid.UUID:
    """Every customer message went through the flows; each conversation had two sessions, the
    long threads have one running."""
    flow_id: uuid.UUID = await admin_conn.fetchval(
        """
        WITH f AS (INSERT INTO flows (tenant_id, name, published_version)
                   VALUES ($1, 'history', 1) RETURNING id),
        v AS (INSERT INTO flow_versions (tenant_id, flow_id, version, definition)
              SELECT $1, id, 1, '{}'::jsonb FROM f)
        SELECT id FROM f
        """,
        tenant_id,
    )
    await admin_conn.execute(
        """
        INSERT INTO flow_processed_messages (tenant_id, message_id)
        SELECT tenant_id, id FROM messages WHERE tenant_id = $1 AND direction = 'in'
        """,
        tenant_id,
    )
    await admin_conn.execute(
        """
        INSERT INTO flow_sessions (tenant_id, conversation_id, flow_id, flow_version, status,
                                   expires_at, end_reason)
        SELECT c.tenant_id, c.id, $2, 1, 'ended', now(), 'done'
          FROM conversations c, generate_series(1, 2) WHERE c.tenant_id = $1
        """,
        tenant_id,
        flow_id,
    )
    await admin_conn.execute(
        """
        INSERT INTO flow_sessions (tenant_id, conversation_id, flow_id, flow_version,
                                   expires_at)
        SELECT tenant_id, id, $2, 1, now() + interval '1 hour' FROM conversations
         WHERE tenant_id = $1 ORDER BY id LIMIT $3
        """,
        tenant_id,
        flow_id,
        LONG_CONVERSATIONS,
    )
    return flow_id


async def _seed_attendances(
    admin_conn: Connection, tenant_id: uuid.UUID, agent: uuid.UUID
) -> uuid.UUID:
    """Two attendances per conversation, entered over the month (an hour's wait at most, half
    an hour's work), each by ``agent``, closed and rated."""
    await admin_conn.execute("INSERT INTO agents (tenant_id, id) VALUES ($1, $2)", tenant_id, agent)
    queue: uuid.UUID = await admin_conn.fetchval(
        "INSERT INTO queues (tenant_id, name) VALUES ($1, 'history') RETURNING id", tenant_id
    )
    await admin_conn.execute(
        """
        INSERT INTO queue_items (tenant_id, queue_id, conversation_id, status, fallback_action,
                                 agent_id, entered_at, assigned_at, ended_at)
        SELECT t.tenant_id, $2, t.id, 'completed', 'abandon', $3, t.at,
               t.at + interval '1 minute', t.at + interval '30 minutes'
          FROM (SELECT c.tenant_id, c.id, now() - random() * interval '29 days' AS at
                  FROM conversations c, generate_series(1, 2) WHERE c.tenant_id = $1) AS t
        """,
        tenant_id,
        queue,
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
    return queue


async def _seed_analysis(admin_conn: Connection, tenant_id: uuid.UUID) -> None:
    """Every customer message analysed, every conversation's mood and every customer's
    language remembered (0023), so the AI's lookups meet full tables."""
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
    await admin_conn.execute(
        """
        INSERT INTO ai_contact_language (tenant_id, contact_id, language)
        SELECT tenant_id, id, 'pt' FROM contacts WHERE tenant_id = $1
        """,
        tenant_id,
    )


@dataclass(frozen=True)
class _Batch:
    conversations: list[uuid.UUID]
    contacts: list[uuid.UUID]
    inbound: list[uuid.UUID]
    outbound: list[uuid.UUID]
    outbound_wamids: list[str]


async def _batch(admin_conn: Connection, tenant_id: uuid.UUID) -> _Batch:
    """The message path's batch: the two longest threads and three of the shortest."""
    rows = await admin_conn.fetch(
        """
        SELECT c.id, c.contact_id,
               (SELECT id FROM messages m
                 WHERE m.tenant_id = c.tenant_id AND m.conversation_id = c.id
                   AND direction = 'in'
                 ORDER BY created_at DESC LIMIT 1) AS inbound,
               (SELECT count(*) FROM messages m
                 WHERE m.tenant_id = c.tenant_id AND m.conversation_id = c.id) AS n
          FROM conversations c WHERE c.tenant_id = $1
        """,
        tenant_id,
    )
    longest = sorted((r for r in rows if r["inbound"] is not None), key=lambda r: -r["n"])
    chosen = longest[:2] + longest[-3:]
    out = await admin_conn.fetch(
        """
        SELECT DISTINCT ON (conversation_id) id, wa_message_id FROM messages
         WHERE tenant_id = $1 AND conversation_id = ANY ($2::uuid[]) AND direction = 'out'
         ORDER BY conversation_id, created_at DESC
        """,
        tenant_id,
        [r["id"] for r in chosen[:2]],
    )
    return _Batch(
        conversations=[r["id"] for r in chosen],
        contacts=[r["contact_id"] for r in chosen],
        inbound=[r["inbound"] for r in chosen],
        outbound=[r["id"] for r in out],
        outbound_wamids=[r["wa_message_id"] for r in out],
    )


# The plan tests' connections, to the history's own database: a module that reads the history
# imports these two, and they stand in for tests/conftest.py's fixtures of the same names.
@pytest.fixture(name="admin_conn")
async def history_admin_conn(history: History) -> AsyncIterator[Connection]:
    assert history.endpoints.admin_dsn is not None
    conn = await connect(history.endpoints.admin_dsn.get_secret_value())
    yield conn
    await conn.close()


@pytest.fixture(name="app_conn")
async def history_app_conn(history: History) -> AsyncIterator[Connection]:
    conn = await connect(history.endpoints.app_dsn.get_secret_value())
    yield conn
    await conn.close()
