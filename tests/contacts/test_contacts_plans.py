"""The contact list, search and profile read a bounded number of pages whatever the tenant's
size: each statement's executed plan on a tenant with 10,000 contacts (each with a
conversation, a finished attendance and an analysed message), as the daemon's role under
row-level security, for the plan of the values at hand and the generic plan."""

from __future__ import annotations

import uuid

import pytest

from pytake_daemon.config import Settings
from pytake_daemon.contacts import db
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.whatsapp.secretbox import load_secret_box
from tests.conftest import MakeTenant
from tests.conversations.factories import insert_number
from tests.plans import assert_bounded, explain

CONTACTS = 10_000
BY_ID = ("contacts_pkey", "contacts_tenant_id_id_key")


async def _seed(admin_conn: Connection, settings: Settings, make_tenant: MakeTenant) -> uuid.UUID:
    tenant = await make_tenant()
    number = await insert_number(admin_conn, tenant.id, load_secret_box(settings))
    await admin_conn.execute(
        """
        WITH ct AS (
            INSERT INTO contacts (tenant_id, wa_id, profile_name, created_at)
            SELECT $1, (72000000000 + g)::text, 'Client ' || md5(g::text),
                   now() - make_interval(secs => g)
              FROM generate_series(1, $2::int) AS g
            RETURNING id),
        cv AS (
            INSERT INTO conversations (tenant_id, number_id, contact_id)
            SELECT $1, $3, id FROM ct RETURNING id),
        q AS (INSERT INTO queues (tenant_id, name) VALUES ($1, 'Support') RETURNING id),
        items AS (
            INSERT INTO queue_items (tenant_id, queue_id, conversation_id, status,
                                     fallback_action, ended_at)
            SELECT $1, q.id, cv.id, 'abandoned', 'keep_waiting', now() FROM cv, q)
        INSERT INTO messages (tenant_id, conversation_id, direction, type, content, text, status)
        SELECT $1, id, 'in', 'text', '{}'::jsonb, 'oi', 'received' FROM cv
        """,
        tenant.id,
        CONTACTS,
        number,
    )
    await admin_conn.execute(
        """
        INSERT INTO ai_message_analysis (tenant_id, message_id, conversation_id, language,
                                         sentiment, sentiment_label, intent, intent_confidence)
        SELECT tenant_id, id, conversation_id, 'pt', 0, 'neutral', 'greeting', 0.9
          FROM messages WHERE tenant_id = $1
        """,
        tenant.id,
    )
    await admin_conn.execute(
        "VACUUM ANALYZE contacts, conversations, queue_items, messages, ai_message_analysis"
    )
    return tenant.id


@pytest.mark.timeout(300)
async def test_list_search_and_profile_statements_use_their_indexes(
    admin_conn: Connection, app_conn: Connection, make_tenant: MakeTenant, settings: Settings
) -> None:
    tenant_id = await _seed(admin_conn, settings, make_tenant)
    one = await admin_conn.fetchrow(
        "SELECT id, created_at, profile_name FROM contacts WHERE tenant_id = $1"
        " ORDER BY created_at LIMIT 1",
        tenant_id,
    )
    assert one is not None
    term = f"%{one['profile_name'][-10:]}%"
    queries: list[tuple[str, tuple[object, ...], set[str | tuple[str, ...]]]] = [
        (db._LIST, (51,), {"contacts_recent_idx"}),
        (db._LIST_AFTER, (51, one["created_at"], one["id"]), {"contacts_recent_idx"}),
        (db._SEARCH, (51, [term]), {"contacts_search_idx", BY_ID}),
        (
            db._SEARCH_AFTER,
            (51, [term], one["created_at"], one["id"]),
            {"contacts_search_idx", BY_ID},
        ),
        (db._CONVERSATIONS, (one["id"], 20), {"conversations_contact_idx"}),
        (
            db._ATTENDANCES,
            (one["id"], 20),
            {"conversations_contact_idx", "queue_items_conversation_history_idx"},
        ),
        (
            db._MOOD,
            (one["id"], 50),
            {"conversations_contact_idx", "ai_message_analysis_conversation_idx"},
        ),
    ]
    for generic in (False, True):
        for sql, args, uses in queries:
            async with app_conn.transaction():
                await set_tenant(app_conn, tenant_id)
                plan = await explain(app_conn, sql, *args, generic=generic)
            assert_bounded(
                plan,
                uses=uses,
                never_scans=("contacts", "conversations", "queue_items", "ai_message_analysis"),
                max_blocks=300,
            )
