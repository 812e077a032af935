"""The webhook path's new lookups stay index-bounded (issue 15; the next issue is about the
ingest path's speed): contacts by BSUID or phone, edits and deletions by wamid, and the search
over username, name, phone and BSUID, proven by executed plans as the daemon's role under
row-level security, on a tenant with 20,000 contacts and 20,000 messages."""

from __future__ import annotations

import uuid

from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.whatsapp import ingest_contacts, ingest_edits
from tests.conftest import MakeTenant
from tests.plans import assert_bounded, explain

CONTACTS = 20_000


async def _seed(admin_conn: Connection, tenant_id: uuid.UUID) -> None:
    """Half the contacts known by phone only (from before 2026), half by BSUID (a quarter of
    those with a phone too), one conversation and message each."""
    number = await admin_conn.fetchval(
        "INSERT INTO whatsapp_numbers (tenant_id, phone_number_id, waba_id, access_token_enc,"
        " app_secret_enc, verify_token_enc, removed_at)"
        " VALUES ($1, '9' || (random() * 1e14)::bigint, '1', '', '', '', now()) RETURNING id",
        tenant_id,
    )
    # Table by table, each referenced table analysed before the next insert checks its
    # foreign keys against it: one statement for all three planned those checks with whatever
    # statistics the worker's database had (a tiny `conversations` made each of the 20,000
    # checks a sequential scan, and the seed ran past the test's timeout).
    await admin_conn.execute(
        """
        INSERT INTO contacts (tenant_id, wa_id, bsuid, username)
        SELECT $1,
               CASE WHEN g % 2 = 0 OR g % 8 = 1 THEN (72000000000 + g)::text END,
               CASE WHEN g % 2 = 1 THEN 'US.' || (9100000000 + g)::text END,
               CASE WHEN g % 2 = 1 THEN 'user' || g END
          FROM generate_series(1, $2::int) AS g
        """,
        tenant_id,
        CONTACTS,
    )
    await admin_conn.execute("ANALYZE contacts")
    await admin_conn.execute(
        "INSERT INTO conversations (tenant_id, number_id, contact_id)"
        " SELECT $1, $2, id FROM contacts WHERE tenant_id = $1",
        tenant_id,
        number,
    )
    await admin_conn.execute("ANALYZE conversations")
    await admin_conn.execute(
        """
        INSERT INTO messages (tenant_id, conversation_id, direction, wa_message_id, type, content,
                              text, status)
        SELECT $1, id, 'in', 'wamid.' || id, 'text', '{}', 'hello ' || id, 'received'
          FROM conversations WHERE tenant_id = $1
        """,
        tenant_id,
    )
    for table in ("contacts", "conversations", "messages"):
        await admin_conn.execute(f"VACUUM ANALYZE {table}")


async def test_contact_lookups_edits_and_search_are_index_bounded(
    make_tenant: MakeTenant, admin_conn: Connection, app_conn: Connection
) -> None:
    tenant = await make_tenant()
    await _seed(admin_conn, tenant.id)
    bsuids = ["US.9100000001", "US.9100000003", "US.0"]
    phones = ["72000000002", "72000000009", "1"]
    wamids = [f"wamid.{uuid.uuid4()}", "wamid.y"]
    async with app_conn.transaction():
        await set_tenant(app_conn, tenant.id)
        for generic in (False, True):
            plan = await explain(
                app_conn, ingest_contacts._READ, bsuids, phones, wamids, generic=generic
            )
            assert_bounded(
                plan,
                uses={
                    "contacts_tenant_id_bsuid_key",
                    "contacts_tenant_id_wa_id_key",
                    "messages_wa_id_idx",
                },
                never_scans=("contacts", "messages"),
                max_blocks=100,
            )
    # Statements that write really write under ANALYZE: rolled back.
    tr = app_conn.transaction()
    await tr.start()
    try:
        await set_tenant(app_conn, tenant.id)
        plan = await explain(
            app_conn,
            ingest_edits._APPLY_REVOKES,
            ["wamid.x", "wamid.y"],
            [None, None],
            "deleted",
        )
        assert_bounded(plan, uses={"messages_wa_id_idx"}, max_blocks=100)
    finally:
        await tr.rollback()
    async with app_conn.transaction():
        await set_tenant(app_conn, tenant.id)
        plan = await explain(
            app_conn,
            "SELECT cs.id FROM contact_search cs WHERE cs.search_text ILIKE ANY ($1::text[])",
            ["%user1234%"],
        )
        assert_bounded(plan, uses={"contacts_search_idx"}, never_scans=("contacts",))
