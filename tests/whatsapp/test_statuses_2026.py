"""Status callbacks as Meta sends them in 2026 (issue 15, item 4): the recipient named by
``recipient_user_id``, ``contacts[].user_id`` or ``recipient_id``; both spellings of the parent
field; failed statuses with no contacts or only ``[{wa_id}]``; and a status only ever applies to
one of our own (outbound) messages."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pytest

from pytake_daemon.db.pool import Connection, set_tenant
from tests.conftest import MakeTenant
from tests.whatsapp.payloads_2026 import bsuid, status_of, text_from
from tests.whatsapp.test_ingest import rows
from tests.whatsapp.wa_support import ApiClient, Number, add_number, digits, post_signed

_FAILED = [{"code": 131026, "title": "Message undeliverable", "message": "Message undeliverable"}]


async def _outbound_to(
    admin_conn: Connection,
    tenant_id: uuid.UUID,
    number: Number,
    *,
    user: str | None,
    phone: str | None,
) -> tuple[str, uuid.UUID]:
    """An outbound message Meta accepted, to a customer known by BSUID and/or phone."""
    wamid = f"wamid.{secrets.token_urlsafe(24)}"
    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant_id)
        contact = await admin_conn.fetchval(
            "INSERT INTO contacts (tenant_id, wa_id, bsuid) VALUES ($1, $2, $3) RETURNING id",
            tenant_id,
            phone,
            user,
        )
        conversation = await admin_conn.fetchval(
            "INSERT INTO conversations (tenant_id, number_id, contact_id) VALUES ($1, $2, $3)"
            " RETURNING id",
            tenant_id,
            number.id,
            contact,
        )
        message = await admin_conn.fetchval(
            "INSERT INTO messages (tenant_id, conversation_id, direction, wa_message_id, type,"
            " content, text, status) VALUES ($1, $2, 'out', $3, 'text', '{}', 'hi', 'accepted')"
            " RETURNING id",
            tenant_id,
            conversation,
            wamid,
        )
    return wamid, message


async def _post(api: ApiClient, number: Number, payload: dict[str, Any]) -> None:
    code, body = await post_signed(api, payload, number.app_secret)
    assert code == 200, body


async def _state(admin_conn: Connection, tenant_id: uuid.UUID, message_id: uuid.UUID) -> Any:
    [row] = await rows(
        admin_conn,
        tenant_id,
        "SELECT status, error_code, error_explanation FROM messages WHERE id = $1",
        message_id,
    )
    return row


@pytest.mark.parametrize("spelling", ["recipient_parent_user_id", "parent_recipient_user_id"])
async def test_statuses_of_a_send_to_a_bsuid_tick_and_keep_the_recipient(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, spelling: str
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    user, parent = bsuid(), bsuid(parent=True)
    wamid, message_id = await _outbound_to(admin_conn, tenant.id, number, user=user, phone=None)
    who = {"user_id": user, "parent_user_id": parent}
    await _post(
        api,
        number,
        status_of(
            number,
            wamid,
            "sent",
            recipient_user_id=user,
            parent=parent,
            parent_spelling=spelling,
            contacts=[who],
            ts=1_700_000_010,
        ),
    )
    delivered = {**who, "profile": {"username": "ana.s"}}
    await _post(
        api,
        number,
        status_of(
            number,
            wamid,
            "delivered",
            recipient_user_id=user,
            parent=parent,
            parent_spelling=spelling,
            contacts=[delivered],
            ts=1_700_000_020,
        ),
    )
    # Recipient only in contacts[] (recipient_user_id missing): still understood.
    await _post(api, number, status_of(number, wamid, "read", contacts=[who], ts=1_700_000_030))
    assert (await _state(admin_conn, tenant.id, message_id))["status"] == "read"
    recorded = await rows(
        admin_conn,
        tenant.id,
        "SELECT status, recipient_id, recipient_user_id FROM message_statuses"
        " WHERE wa_message_id = $1 ORDER BY occurred_at",
        wamid,
    )
    assert [(r["status"], r["recipient_id"], r["recipient_user_id"]) for r in recorded] == [
        ("sent", None, user),
        ("delivered", None, user),
        ("read", None, user),
    ]


@pytest.mark.parametrize("contacts", ["absent", "wa_id only"])
async def test_failed_statuses_with_no_contacts_or_only_a_wa_id(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, contacts: str
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    phone = digits(12)
    wamid, message_id = await _outbound_to(admin_conn, tenant.id, number, user=None, phone=phone)
    payload = status_of(
        number,
        wamid,
        "failed",
        recipient_id=phone if contacts == "wa_id only" else None,
        contacts=None if contacts == "absent" else [{"wa_id": phone}],
        errors=_FAILED,
    )
    await _post(api, number, payload)
    state = await _state(admin_conn, tenant.id, message_id)
    assert (state["status"], state["error_code"]) == ("failed", 131026)
    assert state["error_explanation"]


async def test_a_status_never_changes_a_customers_message(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    # Measured before this change: the advance statement had no direction filter, so a status
    # whose id matched an inbound message turned it "read".
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    user = bsuid()
    payload, wamid = text_from(number, user_id=user)
    await _post(api, number, payload)
    for state in ("sent", "delivered", "read", "failed"):
        await _post(
            api, number, status_of(number, wamid, state, recipient_user_id=user, errors=_FAILED)
        )
    [row] = await rows(
        admin_conn,
        tenant.id,
        "SELECT status, error_code FROM messages WHERE wa_message_id = $1",
        wamid,
    )
    assert (row["status"], row["error_code"]) == ("received", None)


async def test_a_status_teaches_a_phone_contact_its_bsuid(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    # We wrote to a customer known only by phone (from before 2026); Meta's status names them by
    # phone and BSUID. When they later write with their phone hidden, it is the same contact.
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    phone, user = digits(12), bsuid()
    wamid, _ = await _outbound_to(admin_conn, tenant.id, number, user=None, phone=phone)
    sent = status_of(
        number,
        wamid,
        "sent",
        recipient_id=phone,
        recipient_user_id=user,
        contacts=[{"wa_id": phone, "user_id": user}],
    )
    await _post(api, number, sent)
    payload, inbound_wamid = text_from(number, user_id=user, username="ana.s")
    await _post(api, number, payload)
    contacts = await rows(admin_conn, tenant.id, "SELECT wa_id, bsuid FROM contacts")
    assert [(c["wa_id"], c["bsuid"]) for c in contacts] == [(phone, user)]
    # One conversation holds both our message and the customer's.
    conversations = await rows(
        admin_conn,
        tenant.id,
        "SELECT conversation_id, array_agg(direction ORDER BY direction) AS directions"
        " FROM messages WHERE wa_message_id = ANY($1) GROUP BY conversation_id",
        [wamid, inbound_wamid],
    )
    assert [c["directions"] for c in conversations] == [["in", "out"]]
