"""Storing one batch of analyses in one transaction: the analyses, each conversation's mood, the
alerts they fire, the delayed human-request checks, and the events that tell clients.

The statements are set-based (a handful per batch, whatever its size) and start with the
conversations' locks (:func:`analysis_db.lock_conversations`), so concurrent batches that share
conversations can't deadlock. A retried job rewrites the same rows: analyses by message, moods
by conversation (the message count grows only by first analyses), alerts by conversation + rule.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pytake_daemon.ai import analysis_db
from pytake_daemon.ai.analysis_db import AlertRow, AnalysisRow, MoodRow, Pending, Window
from pytake_daemon.ai.analyzer import Analysis
from pytake_daemon.ai.mood import Mood, mood
from pytake_daemon.ai.rules import fired_rules
from pytake_daemon.ai.sentiment import SentimentLabel
from pytake_daemon.db.pool import Connection
from pytake_daemon.jobs import db as jobs_db
from pytake_daemon.protocol import ServerEvent
from pytake_daemon.protocol.ai import (
    AiSettingsOut,
    AlertRaised,
    AlertRule,
    ConversationMoodOut,
    MessageAnalyzed,
)

HUMAN_REQUEST_JOB = "ai_human_request"
MOOD_WINDOW = 10
"""Latest customer messages the conversation's mood is computed from."""


@dataclass(frozen=True)
class _Step:
    """One message's place in its conversation after the batch: the scores up to it, and the
    conversation's mood as of it."""

    pending: Pending
    analysis: Analysis
    window: list[float]
    mood: Mood


async def store_batch(
    conn: Connection,
    pending: Sequence[Pending],
    analyses: Sequence[Analysis],
    cfg: AiSettingsOut,
    label_of: Callable[[float], SentimentLabel],
    contacts: Mapping[uuid.UUID, uuid.UUID],
) -> list[ServerEvent]:
    """Write the batch's analyses and what follows from them; the events, in batch order.

    ``contacts`` maps each conversation of the batch to its contact, whose remembered language
    becomes that of their latest reliably detected message.
    """
    conversations = sorted({p.conversation_id for p in pending})
    await analysis_db.lock_conversations(conn, conversations)
    stored = await analysis_db.upsert_analyses(
        conn,
        [
            AnalysisRow(
                message_id=p.id,
                conversation_id=p.conversation_id,
                language=a.language,
                sentiment=a.sentiment,
                label=a.label.value,
                intent=a.intent,
                confidence=a.confidence,
                language_source=a.language_source.value,
            )
            for p, a in zip(pending, analyses, strict=True)
        ],
    )
    await analysis_db.remember_languages(
        conn,
        {
            contacts[p.conversation_id]: a.language
            for p, a in zip(pending, analyses, strict=True)
            if a.language_reliable and p.conversation_id in contacts
        },
    )
    windows = await analysis_db.mood_windows(conn, conversations)
    steps, after = _steps(pending, analyses, windows, cfg.trend_messages)
    waiting = await _waiting(conn, steps, cfg)

    # Each conversation's mood after its last message of the batch.
    last: dict[uuid.UUID, _Step] = {s.pending.conversation_id: s for s in steps}
    added = Counter(p.conversation_id for p in pending if stored[p.id].inserted)
    mood_rows = await analysis_db.upsert_moods(
        conn,
        [
            MoodRow(
                conversation_id=c,
                language=last[c].analysis.language,
                score=last[c].mood.score,
                label=label_of(last[c].mood.score).value,
                trend=last[c].mood.trend,
                added=added[c],
                window=after[c],
            )
            for c in conversations
        ],
    )

    fired: dict[tuple[uuid.UUID, str], AlertRow] = {}
    for step in steps:
        c = step.pending.conversation_id
        for f in fired_rules(
            step.analysis,
            recent_scores=step.window,
            waiting_minutes=waiting.get(c, 0.0),
            settings=cfg,
        ):
            # The first message of the batch that fires a rule is the one the alert names.
            alert = AlertRow(c, f.rule.value, step.pending.id, f.detail)
            fired.setdefault((c, alert.rule), alert)
    alerts = await analysis_db.insert_alerts(conn, list(fired.values()))
    human_rule = AlertRule.HUMAN_REQUEST_IGNORED in cfg.alert_rules

    events: list[ServerEvent] = []
    # First analyses of a conversation still to come in the batch: what its count lacks before.
    later_firsts = Counter(added)
    for step in steps:
        p = step.pending
        c = p.conversation_id
        first = stored[p.id].inserted
        if first:
            later_firsts[c] -= 1
        events.append(
            MessageAnalyzed(
                analysis=stored[p.id].analysis,
                mood=_mood_at(step, label_of, mood_rows[c].messages - later_firsts[c]),
            )
        )
        events.extend(
            AlertRaised(alert=a)
            for (conversation, _), a in alerts.items()
            if conversation == c and a.message_id == p.id
        )
        # Only on a first analysis: a retried batch must not queue the check twice.
        if first and step.analysis.intent == "human_request" and human_rule:
            await jobs_db.insert_job_at(
                conn,
                HUMAN_REQUEST_JOB,
                {
                    "conversation_id": str(c),
                    "message_id": str(p.id),
                    "requested_at": p.created_at.isoformat(),
                    "minutes": cfg.human_request_minutes,
                },
                datetime.now(UTC) + timedelta(minutes=cfg.human_request_minutes),
            )
    return events


def _mood_at(
    step: _Step, label_of: Callable[[float], SentimentLabel], messages: int
) -> ConversationMoodOut:
    """The conversation's mood as of one message of the batch (what its event carries)."""
    return ConversationMoodOut.model_validate(
        {
            "conversation_id": step.pending.conversation_id,
            "language": step.analysis.language,
            "score": step.mood.score,
            "label": label_of(step.mood.score).value,
            "trend": step.mood.trend,
            "messages": messages,
        }
    )


def _steps(
    pending: Sequence[Pending],
    analyses: Sequence[Analysis],
    stored: Mapping[uuid.UUID, Window],
    trend_messages: int,
) -> tuple[list[_Step], dict[uuid.UUID, Window]]:
    """Each message's score window: its conversation's stored window (oldest first) without the
    batch's messages (a retried batch analyses them again), then the batch's messages of that
    conversation up to it, in batch order; the last MOOD_WINDOW. Also each conversation's
    window after the batch, to store."""
    in_batch = {p.id for p in pending}
    scored = {
        c: [(i, s) for i, s in zip(w.ids, w.scores, strict=True) if i not in in_batch]
        for c, w in stored.items()
    }
    steps = []
    for p, a in zip(pending, analyses, strict=True):
        window = scored[p.conversation_id]
        window.append((p.id, a.sentiment))
        recent = [s for _, s in window[-MOOD_WINDOW:]]
        steps.append(_Step(p, a, recent, mood(recent, trend_messages=trend_messages)))
    after = {
        c: Window([i for i, _ in w[-MOOD_WINDOW:]], [s for _, s in w[-MOOD_WINDOW:]])
        for c, w in scored.items()
    }
    return steps, after


async def _waiting(
    conn: Connection, steps: Sequence[_Step], cfg: AiSettingsOut
) -> dict[uuid.UUID, float]:
    """How long the customers have waited, looked up only where long_wait_negative could fire."""
    if AlertRule.LONG_WAIT_NEGATIVE not in cfg.alert_rules:
        return {}
    negative = sorted(
        {s.pending.conversation_id for s in steps if s.analysis.label is SentimentLabel.NEGATIVE}
    )
    if not negative:
        return {}
    return await analysis_db.waiting_minutes(conn, negative)
