"""A tenant with a long history for the message path's plan tests (tests/test_plans_*.py):
100,000 messages, their status callbacks, flow sessions and queue items, seeded with one
``INSERT … SELECT generate_series`` per table as the owner, then vacuumed and analysed as
autovacuum would leave them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from pytake_daemon.db.pool import Connection

HISTORY = 100_000
CONVERSATIONS = 5_000
LONG_CONVERSATIONS = 50

_TABLES = (
    "contacts, conversations, messages, message_statuses, flows, flow_versions, flow_sessions, "
    "flow_processed_messages, queues, queue_items"
)


@dataclass(frozen=True)
class History:
    tenant_id: uuid.UUID
    number_id: uuid.UUID
    flow_id: uuid.UUID
    session_id: uuid.UUID
    """The running flow session of the first conversation."""
    conversations: list[uuid.UUID]
    """A batch's conversations: two long threads and three of the shortest."""
    contacts: list[uuid.UUID]
    inbound: list[uuid.UUID]
    """The latest customer message of each of them."""
    outbound: list[uuid.UUID]
    """Our latest message in each long thread."""
    outbound_wamids: list[str]


async def seed_history(admin_conn: Connection, tenant_id: uuid.UUID) -> History:
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
    # Nine messages in ten go to the long threads, the rest two to every conversation; one
    # every 25 s, the newest now; every message has a wamid; ours were sent, delivered, read.
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
    # Every customer message went through the flows; each conversation had two sessions, the
    # long threads have one running.
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
    queue: uuid.UUID = await admin_conn.fetchval(
        "INSERT INTO queues (tenant_id, name) VALUES ($1, 'history') RETURNING id", tenant_id
    )
    await admin_conn.execute(
        """
        INSERT INTO queue_items (tenant_id, queue_id, conversation_id, status, fallback_action,
                                 ended_at)
        SELECT c.tenant_id, $2, c.id, 'completed', 'abandon', now()
          FROM conversations c, generate_series(1, 2) WHERE c.tenant_id = $1
        """,
        tenant_id,
        queue,
    )
    rows = await admin_conn.fetch(
        """
        SELECT c.id, c.contact_id,
               (SELECT id FROM messages m WHERE m.conversation_id = c.id AND direction = 'in'
                 ORDER BY created_at DESC LIMIT 1) AS inbound,
               (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS n
          FROM conversations c WHERE c.tenant_id = $1
        """,
        tenant_id,
    )
    longest = sorted((r for r in rows if r["inbound"] is not None), key=lambda r: -r["n"])
    chosen = longest[:2] + longest[-3:]
    long_ids = [r["id"] for r in longest[:LONG_CONVERSATIONS]]
    await admin_conn.execute(
        """
        INSERT INTO flow_sessions (tenant_id, conversation_id, flow_id, flow_version,
                                   expires_at)
        SELECT $1, c, $2, 1, now() + interval '1 hour' FROM unnest($3::uuid[]) AS c
        """,
        tenant_id,
        flow_id,
        long_ids,
    )
    out = await admin_conn.fetch(
        """
        SELECT DISTINCT ON (conversation_id) id, wa_message_id FROM messages
         WHERE tenant_id = $1 AND conversation_id = ANY ($2::uuid[]) AND direction = 'out'
         ORDER BY conversation_id, created_at DESC
        """,
        tenant_id,
        [r["id"] for r in chosen[:2]],
    )
    session: uuid.UUID = await admin_conn.fetchval(
        "SELECT id FROM flow_sessions WHERE conversation_id = $1 AND status = 'active'",
        chosen[0]["id"],
    )
    await admin_conn.execute(f"VACUUM ANALYZE {_TABLES}")
    return History(
        tenant_id=tenant_id,
        number_id=number,
        flow_id=flow_id,
        session_id=session,
        conversations=[r["id"] for r in chosen],
        contacts=[r["contact_id"] for r in chosen],
        inbound=[r["inbound"] for r in chosen],
        outbound=[r["id"] for r in out],
        outbound_wamids=[r["wa_message_id"] for r in out],
    )
