"""SQL of the inbox: conversations (with their contact), messages, read/status changes, stats.

Every statement names ``current_tenant_id()`` itself, like ``users/db.py``: row-level security
scopes the daemon's role, and the explicit condition keeps the statements right on the owner
connection too (the CLI, tests).

Searches go through the ``contact_search`` and ``message_search`` views (migration 0003), not the
tables: under row-level security the planner won't use the trigram indexes for ILIKE, which isn't
leakproof; the views scope rows by tenant themselves and let it.

The conversation list is the one statement assembled at run time, because its filters combine
freely and a catch-all ``$n IS NULL OR …`` statement would get one generic plan for all of them;
it is put together from the constant fragments below, and every value is a bind parameter.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from pytake_daemon.conversations.cursors import Position
from pytake_daemon.db.pool import Connection
from pytake_daemon.db.statements import BoundStatement, Statement

# --- conversations ---------------------------------------------------------------------------

CONVERSATION_COLUMNS = """
    c.id, c.number_id, c.status, c.assigned_user_id, c.unread_count, c.last_message_at,
    c.last_message_preview, c.last_inbound_at, c.created_at, c.updated_at, c.tags, c.notes_count,
    ct.id AS contact_id, ct.wa_id AS contact_wa_id, ct.profile_name AS contact_profile_name,
    ct.bsuid AS contact_bsuid, ct.parent_bsuid AS contact_parent_bsuid,
    ct.username AS contact_username, ct.phone_verified AS contact_phone_verified,
    ct.phone_conflict AS contact_phone_conflict,
    c.queue_id, c.last_queue_id, (SELECT q.name FROM queues q
                  WHERE q.tenant_id = c.tenant_id AND q.id = c.queue_id) AS queue_name,
    (SELECT u.name FROM users u
      WHERE u.tenant_id = c.tenant_id AND u.id = c.assigned_user_id) AS assignee_name"""
"""What :func:`pytake_daemon.conversations.views.conversation_out` reads (``c``: conversations,
``ct``: contacts). The queue (0021 keeps ``c.queue_id``) and the assignee are named by a
primary-key probe each (``queues_pkey``, ``users_tenant_id_id_key``), none when unset."""

CONVERSATION_FROM = (
    "conversations c JOIN contacts ct ON ct.tenant_id = c.tenant_id AND ct.id = c.contact_id"
)

_GET_CONVERSATION = f"""
SELECT {CONVERSATION_COLUMNS}
  FROM {CONVERSATION_FROM}
 WHERE c.tenant_id = current_tenant_id() AND c.id = $1
"""


async def get_conversation(conn: Connection, conversation_id: uuid.UUID) -> asyncpg.Record | None:
    """One conversation with its contact, or ``None`` (unknown, or another tenant's)."""
    return await conn.fetchrow(_GET_CONVERSATION, conversation_id)


_GET_CONVERSATIONS = f"""
SELECT {CONVERSATION_COLUMNS}
  FROM unnest($1::uuid[]) WITH ORDINALITY AS wanted (id, n)
  JOIN conversations c ON c.tenant_id = current_tenant_id() AND c.id = wanted.id
  JOIN contacts ct ON ct.tenant_id = c.tenant_id AND ct.id = c.contact_id
 ORDER BY wanted.n
"""


async def get_conversations(conn: Connection, ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    """The conversations of ``ids`` that exist in this tenant, in the order given."""
    return await conn.fetch(_GET_CONVERSATIONS, ids)


_CONVERSATION_EXISTS = (
    "SELECT EXISTS (SELECT 1 FROM conversations WHERE tenant_id = current_tenant_id() AND id = $1)"
)


async def conversation_exists(conn: Connection, conversation_id: uuid.UUID) -> bool:
    found: bool = await conn.fetchval(_CONVERSATION_EXISTS, conversation_id)
    return found


@dataclass(frozen=True)
class ConversationFilters:
    """The list's filters, combined with AND; ``None`` means "any"."""

    status: str | None = None
    assigned_user_id: uuid.UUID | None = None
    unassigned: bool = False
    number_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
    unread: bool | None = None
    search: str | None = None
    """Free text matched as a substring (case-insensitive) of the contact's username, name,
    phone and BSUID and of message text; a phone number may be written with '+', spaces,
    dashes or parentheses."""


# Fragments of the list statement; ``{}`` is always a bind-parameter placeholder ($n).
_BY_STATUS = "c.status = {}"
_BY_AGENT = "c.assigned_user_id = {}"
_UNASSIGNED = "c.assigned_user_id IS NULL"
_BY_NUMBER = "c.number_id = {}"
_SINCE = "c.last_message_at >= {}"
_UNTIL = "c.last_message_at < {}"
_UNREAD = "c.unread_count > 0"
_NOT_UNREAD = "c.unread_count = 0"
_IN_HITS = "c.id IN (SELECT id FROM hits)"
# Keyset: rows strictly after the cursor's in ORDER BY last_message_at DESC NULLS LAST, id DESC.
# A row comparison is one index range; the rows without messages (NULL) come after all others
# and are a second, usually empty, range; see _PAGE_AFTER.
_BEFORE_ROW = "(c.last_message_at, c.id) < ({}, {})"
_NO_MESSAGES = "c.last_message_at IS NULL"
_NO_MESSAGES_BEFORE_ID = "c.last_message_at IS NULL AND c.id < {}"

# Conversations whose contact's username, name, phone or BSUID (migration 0016), or any of whose
# messages, contains the text.
# ``ILIKE ANY`` because a phone-looking text is tried once as typed and once as bare digits.
# The view scans are MATERIALIZED so that each is planned on its own: flattened into a statement
# that also reads a table under row-level security, the ILIKE would be demoted to a filter that
# no index serves (the leakproof rule again), and every search would scan every contact.
_HITS = """
WITH contact_hits AS MATERIALIZED (
    SELECT cs.id FROM contact_search cs WHERE cs.search_text ILIKE ANY ({patterns}::text[])
), message_hits AS MATERIALIZED (
    SELECT ms.conversation_id FROM message_search ms WHERE ms.text ILIKE {text_pattern}
), hits AS (
    SELECT cv.id
      FROM conversations cv
     WHERE cv.tenant_id = current_tenant_id() AND cv.contact_id IN (SELECT id FROM contact_hits)
    UNION ALL
    SELECT conversation_id FROM message_hits
)
"""
_ORDER = "c.last_message_at DESC NULLS LAST, c.id DESC"
_PAGE = "{hits}SELECT {columns} FROM {source} WHERE {where} ORDER BY {order} LIMIT {limit}"
_PAGE_AFTER = """{hits}SELECT * FROM (
    (SELECT {columns} FROM {source} WHERE {where} AND {before} ORDER BY {order} LIMIT {limit})
    UNION ALL
    (SELECT {columns} FROM {source} WHERE {where} AND {no_messages} ORDER BY {order} LIMIT {limit})
) page ORDER BY last_message_at DESC NULLS LAST, id DESC LIMIT {limit}"""

_PHONE_PUNCTUATION = re.compile(r"[+\s\-().]")
_DIGITS = re.compile(r"[0-9]+")


def escape_like(text: str) -> str:
    """``text`` as a literal inside a LIKE pattern (backslash is the default escape)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_patterns(text: str) -> list[str]:
    """ILIKE patterns for a search: the text as typed, plus its bare digits when it looks like
    a phone number written with '+', spaces, dashes or parentheses (``wa_id`` is digits only)."""
    text = text.strip()
    patterns = [f"%{escape_like(text)}%"]
    digits = _PHONE_PUNCTUATION.sub("", text)
    if digits != text and _DIGITS.fullmatch(digits):
        patterns.append(f"%{digits}%")
    return patterns


def list_conversations_query(
    filters: ConversationFilters, *, after: Position | None, limit: int
) -> BoundStatement:
    """The list statement for these filters and this page, and its arguments."""
    st = Statement("c.tenant_id = current_tenant_id()")
    if filters.status is not None:
        st.where(_BY_STATUS, filters.status)
    if filters.assigned_user_id is not None:
        st.where(_BY_AGENT, filters.assigned_user_id)
    if filters.unassigned:
        st.where(_UNASSIGNED)
    if filters.number_id is not None:
        st.where(_BY_NUMBER, filters.number_id)
    if filters.since is not None:
        st.where(_SINCE, filters.since)
    if filters.until is not None:
        st.where(_UNTIL, filters.until)
    if filters.unread is not None:
        st.where(_UNREAD if filters.unread else _NOT_UNREAD)
    hits = ""
    search = (filters.search or "").strip()
    if search:
        patterns = search_patterns(search)
        hits = _HITS.format(patterns=st.bind(patterns), text_pattern=st.bind(patterns[0]))
        st.where(_IN_HITS)
    parts = {
        "hits": hits,
        "columns": CONVERSATION_COLUMNS,
        "source": CONVERSATION_FROM,
        "order": _ORDER,
    }
    if after is None:
        sql = _PAGE.format(where=st.conditions, limit=st.bind(limit), **parts)
    elif after[0] is None:
        st.where(_NO_MESSAGES_BEFORE_ID, after[1])
        sql = _PAGE.format(where=st.conditions, limit=st.bind(limit), **parts)
    else:
        # The cursor is bound before the conditions are read: both halves share them.
        before = _BEFORE_ROW.format(st.bind(after[0]), st.bind(after[1]))
        sql = _PAGE_AFTER.format(
            where=st.conditions,
            before=before,
            no_messages=_NO_MESSAGES,
            limit=st.bind(limit),
            **parts,
        )
    return st.finish(sql)


async def list_conversations(
    conn: Connection, filters: ConversationFilters, *, after: Position | None, limit: int
) -> list[asyncpg.Record]:
    """Up to ``limit`` conversations after ``after``, most recent message first."""
    sql, args = list_conversations_query(filters, after=after, limit=limit)
    return await conn.fetch(sql, *args)


_MARK_READ = """
UPDATE conversations SET unread_count = 0, updated_at = now()
 WHERE tenant_id = current_tenant_id() AND id = $1 AND unread_count <> 0
RETURNING id
"""


async def mark_read(conn: Connection, conversation_id: uuid.UUID) -> bool:
    """Zero the unread count; ``False`` when there was nothing to change (or no such row)."""
    return await conn.fetchval(_MARK_READ, conversation_id) is not None


_SET_STATUS = """
UPDATE conversations SET status = $2, updated_at = now()
 WHERE tenant_id = current_tenant_id() AND id = $1 AND status <> $2
RETURNING id
"""


async def set_status(conn: Connection, conversation_id: uuid.UUID, status: str) -> bool:
    """Change the status; ``False`` when it already was that (or there is no such row)."""
    return await conn.fetchval(_SET_STATUS, conversation_id, status) is not None


_SET_TAGS = """
UPDATE conversations SET tags = $2, updated_at = now()
 WHERE tenant_id = current_tenant_id() AND id = $1 AND tags <> $2
RETURNING id
"""


async def set_tags(conn: Connection, conversation_id: uuid.UUID, tags: list[str]) -> bool:
    """Replace the tags; ``False`` when they already were these (or there is no such row)."""
    return await conn.fetchval(_SET_TAGS, conversation_id, tags) is not None


_LOCK_CONVERSATION = f"""
SELECT {CONVERSATION_COLUMNS}
  FROM {CONVERSATION_FROM}
 WHERE c.tenant_id = current_tenant_id() AND c.id = $1
   FOR UPDATE OF c
"""


async def lock_conversation(conn: Connection, conversation_id: uuid.UUID) -> asyncpg.Record | None:
    """Like :func:`get_conversation`, holding the row until commit (read-modify-write)."""
    return await conn.fetchrow(_LOCK_CONVERSATION, conversation_id)


# "Today" is the UTC day ($1: the caller's clock). Every console's header reads this whenever
# events arrive, so each figure reads only the rows it counts (migration 0047 says how); today's
# messages are the report roll-up's quarters up to its watermark (read in SQL, as reports read
# our tables: this domain can't import them) and the messages after it. The day's end bounds
# the ranges so the planner, not knowing the watermark, estimates a range, not a third of the
# table; `bounds` computes it (`day + interval` written in the condition stayed out of the index
# condition, a filter, and the planner scanned the table).
_STATS = """
WITH bounds AS (
    SELECT d.day, d.day + interval '1 day' AS day_end,
           greatest(d.day, coalesce(r.until, d.day)) AS live_from
      FROM (SELECT date_trunc('day', $1::timestamptz, 'UTC') AS day) d
      LEFT JOIN report_rollups r ON r.tenant_id = current_tenant_id()
), conv AS (
    SELECT count(*) FILTER (WHERE status = 'open') AS open,
           count(*) FILTER (WHERE status = 'pending') AS pending,
           count(*) FILTER (WHERE status = 'snoozed') AS snoozed,
           count(*) FILTER (WHERE status = 'open' AND assigned_user_id IS NULL)
               AS unassigned_open
      FROM conversations
     WHERE tenant_id = current_tenant_id() AND status IN ('open', 'pending', 'snoozed')
), resolved AS (
    SELECT count(*) AS resolved
      FROM conversations
     WHERE tenant_id = current_tenant_id() AND status = 'resolved'
       AND resolved_at >= date_trunc('day', $1::timestamptz, 'UTC')
), unread AS (
    SELECT count(*) AS unread_conversations,
           coalesce(sum(unread_count), 0)::bigint AS unread_messages
      FROM conversations
     WHERE tenant_id = current_tenant_id() AND unread_count > 0
), win AS (
    SELECT count(*) AS window_open
      FROM conversations
     WHERE tenant_id = current_tenant_id() AND last_inbound_at IS NOT NULL
       AND last_inbound_at > $1::timestamptz - interval '24 hours'
), rolled AS (
    SELECT coalesce(sum(q.inbound), 0) AS rolled_in, coalesce(sum(q.outbound), 0) AS rolled_out
      FROM report_quarters q
     WHERE q.tenant_id = current_tenant_id()
       AND q.quarter >= (SELECT day FROM bounds) AND q.quarter < (SELECT live_from FROM bounds)
), live AS (
    SELECT count(*) FILTER (WHERE direction = 'in') AS live_in,
           count(*) FILTER (WHERE direction = 'out') AS live_out
      FROM messages
     WHERE tenant_id = current_tenant_id() AND created_at >= (SELECT live_from FROM bounds)
       AND created_at < (SELECT day_end FROM bounds)
), failed AS (
    SELECT count(*) AS failed_today
      FROM messages
     WHERE tenant_id = current_tenant_id() AND failed_at IS NOT NULL
       AND created_at >= (SELECT day FROM bounds)
       AND created_at < (SELECT day_end FROM bounds)
)
SELECT conv.*, resolved.*, unread.*, win.*,
       (rolled_in + live_in)::bigint AS messages_today_in,
       (rolled_out + live_out)::bigint AS messages_today_out, failed.*
  FROM conv, resolved, unread, win, rolled, live, failed
"""


async def stats(conn: Connection, now: datetime) -> asyncpg.Record:
    """The inbox counts at ``now``; "resolved" is resolved today and still resolved."""
    row = await conn.fetchrow(_STATS, now)
    assert row is not None  # aggregates without GROUP BY always return one row
    return row


# --- messages --------------------------------------------------------------------------------

MESSAGE_COLUMNS = """
    m.id, m.conversation_id, m.direction, m.wa_message_id, m.type, m.text, m.content,
    m.context->>'id' AS reply_to, m.status, m.status_at, m.error_code, m.error_title,
    m.error_explanation, m.sent_by, m.created_at, m.wa_timestamp, m.referral,
    coalesce((m.context->>'forwarded')::boolean, false) AS forwarded,
    coalesce((m.context->>'frequently_forwarded')::boolean, false) AS frequently_forwarded,
    m.edited_at, m.edits, m.revoked_at"""
"""What :func:`pytake_daemon.conversations.views.message_out` reads (``m``: messages)."""

# ``id = ANY($1)``, not a join with ``unnest($1)``: the generic plan of the join guessed 100
# wanted rows and, while a tenant's table was still small (≈ 10,000 messages), hashed a
# sequential scan of it with the row-level-security filter on every row: 2 ms a call, the most
# expensive read on the echo path. A list of keys is an index scan at any size.
_GET_MESSAGES = f"""
SELECT {MESSAGE_COLUMNS}
  FROM messages m
 WHERE m.tenant_id = current_tenant_id() AND m.id = ANY($1::uuid[])
"""


async def get_messages(conn: Connection, ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    """The messages of ``ids`` that exist in this tenant, in the order given."""
    rows = await conn.fetch(_GET_MESSAGES, ids)
    if len(rows) < 2:
        return rows
    order = {message_id: n for n, message_id in enumerate(ids)}
    return sorted(rows, key=lambda row: order[row["id"]])


_LIST_MESSAGES = f"""
SELECT {MESSAGE_COLUMNS}
  FROM messages m
 WHERE m.tenant_id = current_tenant_id() AND m.conversation_id = $1
 ORDER BY m.created_at DESC, m.id DESC
 LIMIT $2
"""
_LIST_MESSAGES_AFTER = f"""
SELECT {MESSAGE_COLUMNS}
  FROM messages m
 WHERE m.tenant_id = current_tenant_id() AND m.conversation_id = $1
   AND (m.created_at, m.id) < ($3, $4)
 ORDER BY m.created_at DESC, m.id DESC
 LIMIT $2
"""


async def list_messages(
    conn: Connection,
    conversation_id: uuid.UUID,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Up to ``limit`` messages of a conversation older than ``after``, newest first."""
    if after is None:
        return await conn.fetch(_LIST_MESSAGES, conversation_id, limit)
    return await conn.fetch(_LIST_MESSAGES_AFTER, conversation_id, limit, *after)
