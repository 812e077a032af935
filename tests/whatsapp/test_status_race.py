"""A status callback and the recording of its send's wamid, in every order.

The callback's writer and the acceptance writer serialise on a per-wamid advisory lock, but the
callback takes it only for a wamid no message carried when its statuses were inserted: most
callbacks arrive after the recording committed and must not wait for anyone. Each order is
forced here with a transaction the test holds open on a connection of its own.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection, connect, set_tenant
from pytake_daemon.keys import DB_POOL, EVENT_BUS
from pytake_daemon.whatsapp import outbox_db
from pytake_daemon.whatsapp.acceptance_writer import AcceptanceWriter
from pytake_daemon.whatsapp.status_db import WAMID_LOCK_SPACE
from tests.conftest import MakeTenant
from tests.whatsapp.payloads_2026 import status_of
from tests.whatsapp.test_ingest import rows
from tests.whatsapp.wa_support import ApiClient, Number, add_number, digits, post_signed

DEADLINE = 10.0


@dataclass
class Pending:
    """An outbound message handed to Meta whose wamid isn't recorded yet."""

    tenant_id: uuid.UUID
    number: Number
    message_id: uuid.UUID
    conversation_id: uuid.UUID
    wamid: str
    phone: str


@pytest.fixture
async def holder(endpoints: Endpoints) -> AsyncIterator[Connection]:
    """A connection of the test's own, to hold a transaction open."""
    assert endpoints.admin_dsn is not None
    conn = await connect(endpoints.admin_dsn.get_secret_value())
    yield conn
    await conn.close()


async def pending_send(api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection) -> Pending:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    phone = digits(12)
    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant.id)
        contact = await admin_conn.fetchval(
            "INSERT INTO contacts (tenant_id, wa_id) VALUES ($1, $2) RETURNING id",
            tenant.id,
            phone,
        )
        conversation = await admin_conn.fetchval(
            "INSERT INTO conversations (tenant_id, number_id, contact_id) VALUES ($1, $2, $3)"
            " RETURNING id",
            tenant.id,
            number.id,
            contact,
        )
        message = await admin_conn.fetchval(
            "INSERT INTO messages (tenant_id, conversation_id, direction, type, content, text,"
            " status) VALUES ($1, $2, 'out', 'text', '{}', 'oi', 'pending') RETURNING id",
            tenant.id,
            conversation,
        )
    wamid = f"wamid.{secrets.token_urlsafe(24)}"
    return Pending(tenant.id, number, message, conversation, wamid, phone)


async def post_status(api: ApiClient, sent: Pending, state: str, ts: int) -> None:
    payload = status_of(sent.number, sent.wamid, state, recipient_id=sent.phone, ts=ts)
    code, body = await post_signed(api, payload, sent.number.app_secret)
    assert code == 200, body


async def status_now(admin_conn: Connection, sent: Pending) -> str:
    [row] = await rows(
        admin_conn, sent.tenant_id, "SELECT status FROM messages WHERE id = $1", sent.message_id
    )
    return str(row["status"])


async def someone_waits_for_a_wamid_lock(admin_conn: Connection) -> None:
    deadline = asyncio.get_running_loop().time() + DEADLINE
    while not await admin_conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND classid = $1::bigint::oid)",
        WAMID_LOCK_SPACE,
    ):
        assert asyncio.get_running_loop().time() < deadline, "no callback waited for the lock"
        await asyncio.sleep(0.02)


async def test_a_callback_during_the_recording_waits_for_it_and_applies(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, holder: Connection
) -> None:
    sent = await pending_send(api, make_tenant, admin_conn)
    recording = holder.transaction()
    await recording.start()
    await set_tenant(holder, sent.tenant_id)
    await outbox_db.mark_accepted(holder, [sent.message_id], [sent.wamid], [sent.conversation_id])
    # The recording holds the wamid's lock and hasn't committed: the callback can't see the
    # wamid, so it must wait for the lock, then see it.
    callback = asyncio.create_task(post_status(api, sent, "delivered", ts=1_700_000_020))
    await someone_waits_for_a_wamid_lock(admin_conn)
    assert not callback.done()
    await recording.commit()
    await asyncio.wait_for(callback, DEADLINE)
    assert await status_now(admin_conn, sent) == "delivered"


async def test_a_callback_before_the_recording_is_applied_by_the_recording(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    sent = await pending_send(api, make_tenant, admin_conn)
    await post_status(api, sent, "read", ts=1_700_000_030)
    assert await status_now(admin_conn, sent) == "pending"
    writer = AcceptanceWriter(api.app[DB_POOL], api.app[EVENT_BUS])
    writer.start()
    try:
        more = await writer.record(
            sent.tenant_id, sent.message_id, sent.conversation_id, sent.wamid
        )
    finally:
        await writer.close()
    assert more is False
    assert await status_now(admin_conn, sent) == "read"


async def test_a_callback_after_the_recording_takes_no_lock(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, holder: Connection
) -> None:
    sent = await pending_send(api, make_tenant, admin_conn)
    async with admin_conn.transaction():
        await set_tenant(admin_conn, sent.tenant_id)
        await outbox_db.mark_accepted(
            admin_conn, [sent.message_id], [sent.wamid], [sent.conversation_id]
        )
    # Someone holds the wamid's lock (a concurrent writer, say): a callback for a wamid that is
    # recorded already goes through without waiting for it.
    async with holder.transaction():
        await holder.execute(
            "SELECT pg_advisory_xact_lock($1::int, hashtext($2))", WAMID_LOCK_SPACE, sent.wamid
        )
        await asyncio.wait_for(post_status(api, sent, "delivered", ts=1_700_000_040), DEADLINE)
        assert await status_now(admin_conn, sent) == "delivered"
