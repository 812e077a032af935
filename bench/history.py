"""A tenant's past, loaded fast: ``preload(conn, tenant, number, messages)`` gives the tenant
``messages`` old messages spread over many contacts and conversations on one number, as the
owner connection (set-returning ``INSERT … SELECT generate_series``, no client round trip per
row), so a benchmark can compare the message path on a new tenant and on one with a history.

What is loaded, per ``per_conversation`` messages: a contact (``5521…``, never a load
customer of the simulator's ``1999…`` range) with one conversation (mostly resolved), its
messages alternating customer / business (two in, one out), six words each, spread over the
last 180 days up to an hour ago and interleaved across conversations the way real traffic is;
outbound ones ``read``, with a wamid. Inbound messages get the AI analysis row the daemon would
have written, and each conversation its mood row, when those tables exist.

Non-unique indexes of the bulk tables are dropped during the load and built again from their
own definitions (``pg_get_indexdef``) afterwards: building a GIN trigram index once is many
times faster than a million incremental inserts, and the result is the same index. Then
``VACUUM ANALYZE``, as autovacuum would do before the planner sees the data, and a
``CHECKPOINT``, so the load's writes are not measured as the echoes'.
"""

from __future__ import annotations

import sys
import time
import uuid

from pytake_daemon.db.pool import Connection

_WORDS = (
    "hello good morning afternoon thanks please when arrives delivery order product payment card "
    "exchange return size colour deadline shipping address tracking code invoice discount "
    "coupon stock available cancel confirm help problem defect warranty store app today "
    "tomorrow week price instalment received sent waiting carrier pickup gift manual model "
    "olá bom dia obrigado pedido entrega pagamento troca prazo frete rastreio ajuda"
)
WORDS = _WORDS.split()

BULK_TABLES = ("messages", "ai_message_analysis")

_CONTACTS = """
INSERT INTO contacts (tenant_id, wa_id, profile_name, created_at, updated_at)
SELECT $1, '5521' || lpad(g::text, 9, '0'), 'History customer ' || g,
       now() - interval '181 days', now() - interval '181 days'
  FROM generate_series(1, $2::int) AS g
"""

_CONVERSATIONS = """
INSERT INTO conversations (tenant_id, number_id, contact_id, status, last_message_at,
                           last_inbound_at, last_message_preview, created_at, updated_at)
SELECT $1, $2, ct.id,
       CASE WHEN random() < 0.9 THEN 'resolved' ELSE 'open' END,
       t.at, t.at, 'thanks', now() - interval '180 days', t.at
  FROM contacts ct,
       LATERAL (SELECT now() - interval '1 hour' - random() * interval '3 days' AS at) t
 WHERE ct.tenant_id = $1
"""

# $2..$3: the slice of generate_series; $4: the total (for created_at); $5: the words. The
# history is loaded before anything else is in the tenant, so its conversations are all of them.
_MESSAGES = """
WITH m AS (
INSERT INTO messages (tenant_id, conversation_id, direction, wa_message_id, type, content, text,
                      status, status_at, wa_timestamp, created_at)
SELECT $1, conv.ids[1 + g % cardinality(conv.ids)], d.direction,
       'wamid.HISTORY' || lpad(g::text, 12, '0'), 'text',
       jsonb_build_object('body', t.text), t.text,
       CASE d.direction WHEN 'in' THEN 'received' ELSE 'read' END, t.at, t.at, t.at
  FROM (SELECT array_agg(id ORDER BY id) AS ids FROM conversations WHERE tenant_id = $1) conv,
       (SELECT $5::text[] AS w, cardinality($5::text[]) AS n) AS vocab,
       generate_series($2::int, $3::int) AS g,
       LATERAL (SELECT CASE WHEN (g / cardinality(conv.ids)) % 3 = 2 THEN 'out' ELSE 'in' END
                       AS direction) d,
       LATERAL (SELECT w[1 + floor(random() * n)::int] || ' ' || w[1 + floor(random() * n)::int]
                       || ' ' || w[1 + floor(random() * n)::int] || ' '
                       || w[1 + floor(random() * n)::int] || ' '
                       || w[1 + floor(random() * n)::int] || ' '
                       || w[1 + floor(random() * n)::int] AS text,
                       now() - interval '1 hour'
                       - ($4::int - g)::float8 / $4::int * interval '180 days' AS at) t
RETURNING tenant_id, id, conversation_id, direction, created_at
)
"""

_COUNT = "SELECT count(*) FROM m"

# What the AI hook would have written for each inbound message.
_ANALYSIS = """
INSERT INTO ai_message_analysis (tenant_id, message_id, conversation_id, language, sentiment,
                                 sentiment_label, intent, intent_confidence, analyzed_at)
SELECT tenant_id, id, conversation_id, 'en', s.score,
       CASE WHEN s.score > 0.3 THEN 'positive' WHEN s.score < -0.3 THEN 'negative'
            ELSE 'neutral' END,
       'order_status', 0.6, created_at
  FROM m, LATERAL (SELECT (random() * 2 - 1)::real AS score) s
 WHERE m.direction = 'in'
"""

_MOODS = """
INSERT INTO ai_conversation_mood (tenant_id, conversation_id, language, score, label, trend,
                                  messages, updated_at)
SELECT tenant_id, id, 'en', 0.1, 'neutral', 0, $2, last_message_at
  FROM conversations WHERE tenant_id = $1
"""


async def _exists(conn: Connection, table: str) -> bool:
    found: bool = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table)
    return found


async def preload(
    conn: Connection,
    tenant_id: uuid.UUID,
    number_id: uuid.UUID,
    messages: int,
    *,
    per_conversation: int = 50,
    chunk: int = 250_000,
) -> float:
    """Load the history (see the module's docstring); returns the seconds it took."""
    started = time.perf_counter()
    conversations = max(1, -(-messages // per_conversation))
    tables = [t for t in BULK_TABLES if await _exists(conn, t)]
    indexes = await conn.fetch(
        """
        SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
          FROM pg_index i
         WHERE i.indrelid = ANY($1::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary
        """,
        tables,
    )
    for index in indexes:
        await conn.execute(f"DROP INDEX {index['name']}")
    try:
        await conn.execute(_CONTACTS, tenant_id, conversations)
        await conn.execute(_CONVERSATIONS, tenant_id, number_id)
        analysed = "ai_message_analysis" in tables
        for first in range(1, messages + 1, chunk):
            last = min(first + chunk - 1, messages)
            await conn.execute(
                _MESSAGES + (_ANALYSIS if analysed else _COUNT),
                tenant_id,
                first,
                last,
                messages,
                WORDS,
            )
            print(f"  history: {last:,} of {messages:,} messages", file=sys.stderr, flush=True)
        if await _exists(conn, "ai_conversation_mood"):
            await conn.execute(_MOODS, tenant_id, per_conversation * 2 // 3)
    finally:
        for index in indexes:
            await conn.execute(index["definition"])
    await conn.execute(
        "VACUUM ANALYZE contacts, conversations, " + ", ".join(tables),
    )
    # The load leaves a gigabyte of dirty pages for the checkpointer, which wrote them during
    # the first rungs (its CPU counted as the echoes' PostgreSQL time, its writes competing
    # with theirs: 300/s right after a 1,000,000-message load fell behind at p50 1.2-2.5 s and
    # passed at 200/s). A load is not the steady state being compared: written now.
    await conn.execute("CHECKPOINT")
    return time.perf_counter() - started
