"""A customer with a history, written straight to the database as the queues, the satisfaction
survey and the AI analysis would leave it, at fixed instants (no wall clock)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.whatsapp.secretbox import SecretBox
from tests.conversations import factories

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
PHONE = "5511987654321"
BSUID = "BR.88120945551203"


@dataclass(frozen=True)
class Customer:
    ana: uuid.UUID
    """Phone known, two attendances (one rated 5, one abandoned), three analysed messages."""
    ana_conversation: uuid.UUID
    hidden: uuid.UUID
    """A username customer known only by BSUID."""
    queue_id: uuid.UUID


async def seed_customers(
    conn: Connection, tenant_id: uuid.UUID, agent_id: uuid.UUID, box: SecretBox
) -> Customer:
    async with conn.transaction():
        await set_tenant(conn, tenant_id)
        number = await factories.insert_number(conn, tenant_id, box)
        ana = await factories.insert_contact(conn, tenant_id, wa_id=PHONE, profile_name="Ana Souza")
        conversation = await factories.insert_conversation(
            conn, tenant_id, number_id=number, contact_id=ana, status="resolved",
            last_message_at=T0 + timedelta(days=1),
        )  # fmt: skip
        hidden = await conn.fetchval(
            "INSERT INTO contacts (tenant_id, bsuid, username) VALUES ($1, $2, 'mari.lima')"
            " RETURNING id",
            tenant_id,
            BSUID,
        )
        await factories.insert_conversation(conn, tenant_id, number_id=number, contact_id=hidden)
        await conn.execute(
            "INSERT INTO agents (tenant_id, id) VALUES ($1, $2)", tenant_id, agent_id
        )
        queue_id = await conn.fetchval(
            "INSERT INTO queues (tenant_id, name) VALUES ($1, 'Support') RETURNING id", tenant_id
        )
        for ago, status, agent, rating in (
            (timedelta(days=2), "completed", agent_id, 5),
            (timedelta(days=1), "abandoned", None, None),
        ):
            entered = T0 - ago
            item = await conn.fetchval(
                "INSERT INTO queue_items (tenant_id, queue_id, conversation_id, status, agent_id,"
                " fallback_action, entered_at, assigned_at, ended_at)"
                " VALUES ($1, $2, $3, $4, $5, 'keep_waiting', $6, $6, $7) RETURNING id",
                tenant_id, queue_id, conversation, status, agent, entered,
                entered + timedelta(minutes=9),
            )  # fmt: skip
            if rating is not None:
                await conn.execute(
                    "INSERT INTO conversation_feedback (tenant_id, item_id, conversation_id,"
                    " agent_id, rating, comment, answered_at)"
                    " VALUES ($1, $2, $3, $4, $5, 'rápido', $6)",
                    tenant_id, item, conversation, agent_id, rating, entered,
                )  # fmt: skip
        for minutes, score, label in (
            (1, -0.6, "negative"),
            (2, 0.0, "neutral"),
            (3, 0.7, "positive"),
        ):
            message = await factories.insert_message(
                conn, tenant_id, conversation_id=conversation, text=label,
                created_at=T0 + timedelta(minutes=minutes),
            )  # fmt: skip
            await conn.execute(
                "INSERT INTO ai_message_analysis (tenant_id, message_id, conversation_id, language,"
                " sentiment, sentiment_label, intent, intent_confidence, analyzed_at)"
                " VALUES ($1, $2, $3, 'pt', $4, $5, 'unknown', 0.5, $6)",
                tenant_id, message, conversation, score, label, T0 + timedelta(minutes=minutes),
            )  # fmt: skip
        await conn.execute(
            "INSERT INTO ai_conversation_mood (tenant_id, conversation_id, language, score, label,"
            " trend, messages) VALUES ($1, $2, 'pt', 0.3, 'positive', 0.6, 3)",
            tenant_id,
            conversation,
        )
    return Customer(ana=ana, ana_conversation=conversation, hidden=hidden, queue_id=queue_id)
