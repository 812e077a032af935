"""Rows for the conversations tests, written straight to the database.

Every helper takes a connection and the tenant's id and names ``tenant_id`` explicitly, so it
works on the owner connection (``admin_conn``, which bypasses row-level security) and inside a
tenant transaction of the daemon's role alike.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from pytake_daemon.db.pool import Connection
from pytake_daemon.whatsapp.secretbox import SecretBox


def _digits(n: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(n))


async def insert_number(
    conn: Connection,
    tenant_id: uuid.UUID,
    box: SecretBox,
    *,
    display_phone_number: str = "+1 555 0100",
) -> uuid.UUID:
    """A live business number. Its secrets are encrypted with the test installation's key:
    every app that starts decrypts all live numbers' secrets to route webhooks."""
    number_id: uuid.UUID = await conn.fetchval(
        """
        INSERT INTO whatsapp_numbers (tenant_id, phone_number_id, waba_id, display_phone_number,
                                      access_token_enc, app_secret_enc, verify_token_enc)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        RETURNING id
        """,
        tenant_id,
        "9" + _digits(15),
        "8" + _digits(15),
        display_phone_number,
        box.encrypt(secrets.token_urlsafe(32)),
        box.encrypt(secrets.token_hex(16)),
        box.encrypt(secrets.token_urlsafe(16)),
    )
    return number_id


async def insert_contact(
    conn: Connection,
    tenant_id: uuid.UUID,
    *,
    wa_id: str | None = None,
    profile_name: str | None = None,
) -> uuid.UUID:
    contact_id: uuid.UUID = await conn.fetchval(
        "INSERT INTO contacts (tenant_id, wa_id, profile_name) VALUES ($1, $2, $3) RETURNING id",
        tenant_id,
        wa_id or "1" + _digits(12),
        profile_name,
    )
    return contact_id


async def insert_conversation(
    conn: Connection,
    tenant_id: uuid.UUID,
    *,
    number_id: uuid.UUID,
    contact_id: uuid.UUID | None = None,
    status: str = "open",
    assigned_user_id: uuid.UUID | None = None,
    unread_count: int = 0,
    last_message_at: datetime | None = None,
    last_inbound_at: datetime | None = None,
    last_message_preview: str = "",
    profile_name: str | None = None,
    wa_id: str | None = None,
) -> uuid.UUID:
    """A conversation, with a new contact unless ``contact_id`` is given."""
    if contact_id is None:
        contact_id = await insert_contact(conn, tenant_id, wa_id=wa_id, profile_name=profile_name)
    conversation_id: uuid.UUID = await conn.fetchval(
        """
        INSERT INTO conversations (tenant_id, number_id, contact_id, status, assigned_user_id,
                                   unread_count, last_message_at, last_inbound_at,
                                   last_message_preview)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        RETURNING id
        """,
        tenant_id,
        number_id,
        contact_id,
        status,
        assigned_user_id,
        unread_count,
        last_message_at,
        last_inbound_at,
        last_message_preview,
    )
    return conversation_id


async def insert_message(
    conn: Connection,
    tenant_id: uuid.UUID,
    *,
    conversation_id: uuid.UUID,
    direction: str = "in",
    text: str = "",
    type: str = "text",
    content: dict[str, Any] | None = None,
    status: str | None = None,
    wa_message_id: str | None = None,
    context: dict[str, Any] | None = None,
    error_code: int | None = None,
    error_title: str | None = None,
    error_explanation: str | None = None,
    sent_by: uuid.UUID | None = None,
    created_at: datetime | None = None,
    wa_timestamp: datetime | None = None,
) -> uuid.UUID:
    """A message; inbound ones are ``received``, outbound ones ``sent`` unless told."""
    message_id: uuid.UUID = await conn.fetchval(
        """
        INSERT INTO messages (tenant_id, conversation_id, direction, wa_message_id, type, content,
                              text, context, status, error_code, error_title, error_explanation,
                              sent_by, wa_timestamp, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                coalesce($15, now()))
        RETURNING id
        """,
        tenant_id,
        conversation_id,
        direction,
        wa_message_id,
        type,
        content if content is not None else {"body": text},
        text,
        context,
        status or ("received" if direction == "in" else "sent"),
        error_code,
        error_title,
        error_explanation,
        sent_by,
        wa_timestamp,
        created_at,
    )
    return message_id


async def bulk_inbox(
    conn: Connection,
    tenant_id: uuid.UUID,
    *,
    number_id: uuid.UUID,
    conversations: int,
    messages: int,
) -> None:
    """``conversations`` contacts with a conversation each, and ``messages`` inbound messages of
    random hex text spread over them: three statements, for planner tests and benchmarks."""
    await conn.execute(
        """
        INSERT INTO contacts (tenant_id, wa_id, profile_name)
        SELECT $1, (70000000000 + g)::text, 'Client ' || md5(g::text || random()::text)
          FROM generate_series(1, $2::int) AS g
        """,
        tenant_id,
        conversations,
    )
    await conn.execute(
        """
        INSERT INTO conversations (tenant_id, number_id, contact_id, last_message_at,
                                   last_inbound_at)
        SELECT $1, $2, ct.id, t.at, t.at
          FROM contacts ct, LATERAL (SELECT now() - random() * interval '30 days' AS at) t
         WHERE ct.tenant_id = $1 AND ct.wa_id LIKE '7%'
        """,
        tenant_id,
        number_id,
    )
    await conn.execute(
        """
        INSERT INTO messages (tenant_id, conversation_id, direction, type, content, text, status)
        SELECT $1, conv.ids[1 + g % cardinality(conv.ids)], 'in', 'text', '{}'::jsonb,
               'note ' || md5(g::text) || ' ' || md5((g * 7)::text), 'received'
          FROM (SELECT array_agg(id) AS ids FROM conversations WHERE tenant_id = $1) AS conv,
               generate_series(1, $2::int) AS g
        """,
        tenant_id,
        messages,
    )


async def resolved_conversations(
    conn: Connection, tenant_id: uuid.UUID, number_id: uuid.UUID, count: int, wa_base: int
) -> list[uuid.UUID]:
    """``count`` resolved conversations, each with a contact of its own (wa_id ``wa_base + i``),
    in one statement: the plan tests' bulk."""
    rows = await conn.fetch(
        """
        WITH c AS (
            INSERT INTO contacts (tenant_id, wa_id)
            SELECT $1, ($4::bigint + g)::text FROM generate_series(1, $2::int) AS g
            RETURNING id)
        INSERT INTO conversations (tenant_id, number_id, contact_id, status)
        SELECT $1, $3, c.id, 'resolved' FROM c
        RETURNING id
        """,
        tenant_id,
        count,
        number_id,
        wa_base,
    )
    return [r["id"] for r in rows]
