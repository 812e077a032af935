"""SQL of the analysis job (migrations/0008_ai.sql's tables, read beside ``messages``).

Every statement here runs for a batch of customer messages and is bounded by the batch: it
reaches rows through the batch's message ids or conversation ids, never through an index that
orders the tenant's whole history (under row-level security the planner once walked
``messages_created_idx`` over every message of the tenant to find one conversation's ten
latest scores). ``tests/ai/test_plans.py`` checks each plan on a tenant with 100,000 messages.

Locking: :func:`lock_conversations` comes first in the writing transaction; every later write
touches only rows of those conversations and is sorted by conversation, so two batches that
share conversations queue on the first shared lock instead of deadlocking.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pytake_daemon.db import rows as db_rows  # `rows` names the analyses below
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol.ai import AlertOut, ConversationMoodOut, MessageAnalysisOut

# Namespace of the per-conversation advisory locks of the analysis ("aimo"); the flows' lock on
# a conversation is a different key on purpose: a flow step never waits for an analysis.
CONVERSATION_LOCK_SPACE = 0x6169_6D6F

_LOCK_CONVERSATIONS = """
SELECT count(pg_advisory_xact_lock($2::int, h))
  FROM (SELECT DISTINCT hashtext(c::text) AS h FROM unnest($1::uuid[]) AS c ORDER BY h) AS keys
"""


async def lock_conversations(conn: Connection, conversation_ids: Sequence[uuid.UUID]) -> None:
    """Serialise analyses per conversation until the transaction ends (locks in hash order)."""
    await conn.execute(_LOCK_CONVERSATIONS, list(conversation_ids), CONVERSATION_LOCK_SPACE)


@dataclass(frozen=True)
class Pending:
    """A customer message to analyse."""

    id: uuid.UUID
    conversation_id: uuid.UUID
    text: str
    created_at: datetime


# By primary key; a message the customer deleted before we got to it is not analysed.
_PENDING = """
SELECT id, conversation_id, text, created_at
  FROM messages
 WHERE id = ANY($1::uuid[]) AND direction = 'in' AND text <> '' AND revoked_at IS NULL
"""


async def pending_messages(conn: Connection, message_ids: Sequence[uuid.UUID]) -> list[Pending]:
    """The analysable ones of ``message_ids``, in the order given."""
    found = await conn.fetch(_PENDING, list(message_ids))
    by_id = {r["id"]: db_rows.of(Pending, r) for r in found}
    return [by_id[i] for i in dict.fromkeys(message_ids) if i in by_id and by_id[i].text.strip()]


# Each conversation's contact and the two languages a short message falls back on: by the
# conversations' primary key, ai_contact_language's (tenant_id, contact_id) key and
# ai_conversation_mood's primary key, a row per conversation of the batch.
_LANGUAGES = """
SELECT c.id AS conversation_id, c.contact_id, l.language AS contact_language,
       m.language AS conversation_language
  FROM conversations c
  LEFT JOIN ai_contact_language l
    ON l.tenant_id = current_tenant_id() AND l.contact_id = c.contact_id
  LEFT JOIN ai_conversation_mood m
    ON m.tenant_id = current_tenant_id() AND m.conversation_id = c.id
 WHERE c.tenant_id = current_tenant_id() AND c.id = ANY($1::uuid[])
"""


@dataclass(frozen=True)
class LanguageContext:
    """What a conversation's short messages fall back on (see ``language.Fallbacks``)."""

    contact_id: uuid.UUID
    contact_language: str | None
    conversation_language: str | None


async def language_contexts(
    conn: Connection, conversation_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, LanguageContext]:
    found = await conn.fetch(_LANGUAGES, list(conversation_ids))
    return {r["conversation_id"]: db_rows.of(LanguageContext, r) for r in found}


# Sorted by contact: two batches that share contacts (a contact has a conversation per business
# number) lock their rows in the same order. An unchanged language is not rewritten.
_REMEMBER_LANGUAGES = """
INSERT INTO ai_contact_language AS l (tenant_id, contact_id, language)
SELECT current_tenant_id(), u.contact_id, u.language
  FROM unnest($1::uuid[], $2::text[]) AS u(contact_id, language)
 ORDER BY u.contact_id
ON CONFLICT (tenant_id, contact_id) DO UPDATE
   SET language = EXCLUDED.language, updated_at = now()
 WHERE l.language <> EXCLUDED.language
"""


async def remember_languages(conn: Connection, languages: dict[uuid.UUID, str]) -> None:
    """Each contact's language as of its latest reliably detected message (one statement)."""
    if not languages:
        return
    contacts = sorted(languages)
    await conn.execute(_REMEMBER_LANGUAGES, contacts, [languages[c] for c in contacts])


@dataclass(frozen=True)
class AnalysisRow:
    message_id: uuid.UUID
    conversation_id: uuid.UUID
    language: str
    sentiment: float
    label: str
    intent: str
    confidence: float
    language_source: str = "detected"


# Sorted by conversation: the rows (and the conversations' key-share locks of the foreign keys)
# are taken in the same order by every batch. `xmax = 0` tells a first analysis from a retry's
# rewrite, which is what keeps the mood's message count right when a job runs twice.
_UPSERT_ANALYSES = """
INSERT INTO ai_message_analysis (tenant_id, message_id, conversation_id, language, sentiment,
                                 sentiment_label, intent, intent_confidence, language_source)
SELECT current_tenant_id(), u.*
  FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::real[], $5::text[], $6::text[], $7::real[],
              $8::text[])
       AS u(message_id, conversation_id, language, sentiment, sentiment_label, intent,
            intent_confidence, language_source)
 ORDER BY u.conversation_id, u.message_id
ON CONFLICT (message_id) DO UPDATE
   SET language = EXCLUDED.language, language_source = EXCLUDED.language_source,
       sentiment = EXCLUDED.sentiment,
       sentiment_label = EXCLUDED.sentiment_label, intent = EXCLUDED.intent,
       intent_confidence = EXCLUDED.intent_confidence
RETURNING *, (xmax = 0) AS inserted
"""


@dataclass(frozen=True)
class Stored:
    analysis: MessageAnalysisOut
    inserted: bool
    """A first analysis of the message (a retried batch rewrites the same row)."""


async def upsert_analyses(conn: Connection, rows: Sequence[AnalysisRow]) -> dict[uuid.UUID, Stored]:
    """Store the analyses (one statement); the stored rows by message id."""
    records = await conn.fetch(
        _UPSERT_ANALYSES,
        [r.message_id for r in rows],
        [r.conversation_id for r in rows],
        [r.language for r in rows],
        [r.sentiment for r in rows],
        [r.label for r in rows],
        [r.intent for r in rows],
        [min(max(r.confidence, 0.0), 1.0) for r in rows],
        [r.language_source for r in rows],
    )
    return {
        r["message_id"]: Stored(db_rows.of(MessageAnalysisOut, r), r["inserted"]) for r in records
    }


# Each conversation's mood window, by ai_conversation_mood's primary key: a row per conversation
# of the batch that has been analysed before (migrations/0049_ai_mood_window.sql). Read after
# lock_conversations, in a statement of its own: a statement's snapshot is taken when it starts,
# so one that also took the locks would miss the window of a batch it had waited for.
_MOOD_WINDOWS = """
SELECT conversation_id, window_ids, window_scores
  FROM ai_conversation_mood
 WHERE tenant_id = current_tenant_id() AND conversation_id = ANY($1::uuid[])
"""


@dataclass(frozen=True)
class Window:
    """A conversation's latest analysed customer messages, oldest first, and their scores."""

    ids: list[uuid.UUID]
    scores: list[float]


async def mood_windows(
    conn: Connection, conversation_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Window]:
    """Each conversation's stored window (empty before its first analysis)."""
    windows = {c: Window([], []) for c in conversation_ids}
    for r in await conn.fetch(_MOOD_WINDOWS, list(conversation_ids)):
        windows[r["conversation_id"]] = Window(r["window_ids"], r["window_scores"])
    return windows


@dataclass(frozen=True)
class MoodRow:
    conversation_id: uuid.UUID
    language: str
    score: float
    label: str
    trend: float
    added: int
    """Messages analysed for the first time by this batch."""
    window: Window
    """The window after the batch (at most the last ``MOOD_WINDOW``)."""


# The windows come flattened ($7, $8), each row's between its bounds ($9, $10): a text[] of
# arrays or a 2-D array would need every window to be as long as the longest.
_UPSERT_MOODS = """
INSERT INTO ai_conversation_mood AS m (tenant_id, conversation_id, language, score, label, trend,
                                       messages, negative_since, window_ids, window_scores)
SELECT current_tenant_id(), u.conversation_id, u.language, u.score, u.label, u.trend, u.added,
       CASE WHEN u.label = 'negative' THEN now() END,
       coalesce(($7::uuid[])[u.lo:u.hi], '{}'), coalesce(($8::real[])[u.lo:u.hi], '{}')
  FROM unnest($1::uuid[], $2::text[], $3::real[], $4::text[], $5::real[], $6::int[], $9::int[],
              $10::int[])
       AS u(conversation_id, language, score, label, trend, added, lo, hi)
 ORDER BY u.conversation_id
ON CONFLICT (conversation_id) DO UPDATE
   SET language = EXCLUDED.language, score = EXCLUDED.score, label = EXCLUDED.label,
       trend = EXCLUDED.trend, messages = m.messages + EXCLUDED.messages, updated_at = now(),
       negative_since = CASE WHEN EXCLUDED.label = 'negative'
                             THEN coalesce(m.negative_since, now()) END,
       window_ids = EXCLUDED.window_ids, window_scores = EXCLUDED.window_scores
RETURNING conversation_id, language, score, label, trend, messages
"""


async def upsert_moods(
    conn: Connection, moods: Sequence[MoodRow]
) -> dict[uuid.UUID, ConversationMoodOut]:
    """Store each conversation's mood and window after the batch; ``messages`` grows by
    ``added`` (a count kept, not recounted: counting the analyses would grow with the
    conversation)."""
    ids: list[uuid.UUID] = []
    scores: list[float] = []
    bounds: list[tuple[int, int]] = []
    for m in moods:
        bounds.append((len(ids) + 1, len(ids) + len(m.window.ids)))
        ids += m.window.ids
        scores += m.window.scores
    records = await conn.fetch(
        _UPSERT_MOODS,
        [m.conversation_id for m in moods],
        [m.language for m in moods],
        [m.score for m in moods],
        [m.label for m in moods],
        [m.trend for m in moods],
        [m.added for m in moods],
        ids,
        scores,
        [lo for lo, _ in bounds],
        [hi for _, hi in bounds],
    )
    return {r["conversation_id"]: db_rows.of(ConversationMoodOut, r) for r in records}


# How long each customer has been waiting: since their oldest message after our last reply.
# Both lookups walk messages_thread_idx inside the conversation from its newest end: the first
# stops at our last reply, the second starts right after it. The bound must be an expression
# the planner trusts under row-level security (leakproof), or it filters instead of bounding
# the scan and reads the whole conversation: a subquery or coalesce() is not, CASE is.
_WAITING = """
SELECT c.id AS conversation_id,
       coalesce(extract(epoch FROM now() - w.since) / 60, 0)::float8 AS minutes
  FROM unnest($1::uuid[]) AS c(id)
  LEFT JOIN LATERAL (
       SELECT o.created_at AS replied
         FROM messages o
        WHERE o.conversation_id = c.id AND o.direction = 'out'
        ORDER BY o.created_at DESC
        LIMIT 1) AS r ON true
  LEFT JOIN LATERAL (
       SELECT m.created_at AS since
         FROM messages m
        WHERE m.conversation_id = c.id AND m.direction = 'in'
          AND m.created_at > CASE WHEN r.replied IS NULL THEN '-infinity' ELSE r.replied END
        ORDER BY m.created_at
        LIMIT 1) AS w ON true
"""


async def waiting_minutes(
    conn: Connection, conversation_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, float]:
    rows = await conn.fetch(_WAITING, list(conversation_ids))
    return {r["conversation_id"]: float(r["minutes"]) for r in rows}


@dataclass(frozen=True)
class AlertRow:
    conversation_id: uuid.UUID
    rule: str
    message_id: uuid.UUID
    detail: str


_INSERT_ALERTS = """
INSERT INTO ai_alerts (tenant_id, conversation_id, rule, message_id, detail)
SELECT current_tenant_id(), u.*
  FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[])
       AS u(conversation_id, rule, message_id, detail)
 ORDER BY u.conversation_id, u.rule
ON CONFLICT (tenant_id, conversation_id, rule) DO NOTHING
RETURNING *
"""


async def insert_alerts(
    conn: Connection, alerts: Sequence[AlertRow]
) -> dict[tuple[uuid.UUID, str], AlertOut]:
    """The alerts that are new (a conversation hears about a rule once), by (conversation,
    rule). ``alerts`` must not repeat a (conversation, rule)."""
    if not alerts:
        return {}
    records = await conn.fetch(
        _INSERT_ALERTS,
        [a.conversation_id for a in alerts],
        [a.rule for a in alerts],
        [a.message_id for a in alerts],
        [a.detail for a in alerts],
    )
    return {(r["conversation_id"], r["rule"]): db_rows.of(AlertOut, r) for r in records}
