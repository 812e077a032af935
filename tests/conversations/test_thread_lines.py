"""A thread's system lines come with the pages of messages (issue 17): each page carries the
lines between its oldest message and the cursor (all older ones on the last page), so paging
through a thread returns every line exactly once, in the messages' keyset order."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from pytake_daemon.config import Settings
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.protocol import MessageList, Role
from pytake_daemon.whatsapp.secretbox import load_secret_box
from tests.conftest import ApiClient, MakeTenant
from tests.conversations.factories import insert_conversation, insert_message, insert_number

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


async def test_lines_page_with_the_messages_each_exactly_once(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, settings: Settings
) -> None:
    tenant = await make_tenant()
    box = load_secret_box(settings)
    # Minutes 0, 2, 4, 6, 8: messages; 1, 3, 5, 7, 9 and one before them all (-1): lines.
    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant.id)
        number = await insert_number(admin_conn, tenant.id, box)
        conversation = await insert_conversation(admin_conn, tenant.id, number_id=number)
        for minute in range(0, 10, 2):
            await insert_message(
                admin_conn,
                tenant.id,
                conversation_id=conversation,
                text=f"m{minute}",
                created_at=T0 + timedelta(minutes=minute),
            )
        for minute in (-1, 1, 3, 5, 7, 9):
            await admin_conn.execute(
                "INSERT INTO conversation_events (tenant_id, conversation_id, kind, actor_id,"
                " detail, created_at) VALUES ($1, $2, 'note_added', $3, $4, $5)",
                tenant.id,
                conversation,
                tenant[Role.AGENT].id,
                {"note_id": str(uuid.uuid4()), "minute": minute},
                T0 + timedelta(minutes=minute),
            )

    pages: list[tuple[list[str], list[int]]] = []
    cursor: str | None = None
    while True:
        resp = await api.get(
            f"/api/v1/conversations/{conversation}/messages",
            params={"limit": 2, **({"cursor": cursor} if cursor else {})},
            headers=tenant[Role.AGENT].headers,
        )
        assert resp.status == 200, await resp.text()
        page = MessageList.model_validate(await resp.json())
        pages.append(([m.text for m in page.items], [e.detail["minute"] for e in page.events]))
        assert all(e.actor is not None and e.actor.id == tenant[Role.AGENT].id for e in page.events)
        cursor = page.next_cursor
        if cursor is None:
            break
        assert len(pages) < 10, "pagination does not end"
    assert pages == [
        (["m8", "m6"], [9, 7]),  # newer than m6 (the first page has no upper bound)
        (["m4", "m2"], [5, 3]),  # older than m6, newer than m2
        (["m0"], [1, -1]),  # the last page: everything older too
    ]
