"""Customers known by BSUID, phone or both (issue 15, item 1 and 2), through the real webhook,
PostgreSQL and Redis: linking, conflicts flagged and never merged, identity changes announced
by system messages, and the phone a customer shares when asked."""

from __future__ import annotations

import uuid
from typing import Any

from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol import Role
from tests.conftest import MakeTenant
from tests.whatsapp.payloads_2026 import (
    bsuid,
    contact_request_reply,
    system_change,
    text_from,
)
from tests.whatsapp.test_ingest import rows
from tests.whatsapp.wa_support import ApiClient, Number, add_number, digits, post_signed

CONTACT = (
    "SELECT ct.id, ct.wa_id, ct.bsuid, ct.parent_bsuid, ct.username, ct.profile_name,"
    " ct.phone_verified, ct.phone_conflict, m.conversation_id"
    "  FROM messages m JOIN conversations c ON c.id = m.conversation_id"
    "  JOIN contacts ct ON ct.id = c.contact_id WHERE m.wa_message_id = $1"
)


async def _post(api: ApiClient, number: Number, payload: dict[str, Any]) -> None:
    code, body = await post_signed(api, payload, number.app_secret)
    assert code == 200, body


async def _contact_of(admin_conn: Connection, tenant_id: uuid.UUID, wamid: str) -> Any:
    [row] = await rows(admin_conn, tenant_id, CONTACT, wamid)
    return row


async def _contacts(admin_conn: Connection, tenant_id: uuid.UUID) -> list[Any]:
    return await rows(admin_conn, tenant_id, "SELECT * FROM contacts ORDER BY created_at")


async def test_phone_and_bsuid_link_and_a_later_bsuid_only_message_finds_the_contact(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    phone, user = digits(12), bsuid()
    first, first_id = text_from(number, user_id=user, phone=phone, username="ana.s")
    await _post(api, number, first)
    later, later_id = text_from(number, user_id=user, username="ana.s", body="phone hidden now")
    await _post(api, number, later)
    a = await _contact_of(admin_conn, tenant.id, first_id)
    b = await _contact_of(admin_conn, tenant.id, later_id)
    assert a["id"] == b["id"]
    assert a["conversation_id"] == b["conversation_id"]
    assert (b["wa_id"], b["bsuid"], b["username"]) == (phone, user, "ana.s")
    assert len(await _contacts(admin_conn, tenant.id)) == 1


async def test_a_contact_from_before_bsuids_gains_its_bsuid(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    phone, user = digits(12), bsuid()
    old, old_id = text_from(number, user_id=None, phone=phone)
    await _post(api, number, old)
    assert (await _contact_of(admin_conn, tenant.id, old_id))["bsuid"] is None
    new, new_id = text_from(number, user_id=user, phone=phone)
    await _post(api, number, new)
    hidden, hidden_id = text_from(number, user_id=user)
    await _post(api, number, hidden)
    ids = {(await _contact_of(admin_conn, tenant.id, w))["id"] for w in (old_id, new_id, hidden_id)}
    assert len(ids) == 1
    assert (await _contact_of(admin_conn, tenant.id, hidden_id))["bsuid"] == user


async def test_bsuid_only_customer_with_parent_and_username(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    user, parent = bsuid("BR"), bsuid("BR", parent=True)
    payload, wamid = text_from(number, user_id=user, parent=parent, username="ana.s", name=None)
    await _post(api, number, payload)
    row = await _contact_of(admin_conn, tenant.id, wamid)
    assert row["wa_id"] is None
    assert (row["bsuid"], row["parent_bsuid"], row["username"]) == (user, parent, "ana.s")
    resp = await api.get(
        f"/api/v1/conversations/{row['conversation_id']}", headers=tenant[Role.AGENT].headers
    )
    assert resp.status == 200
    contact = (await resp.json())["contact"]
    assert contact["wa_id"] is None
    assert contact["bsuid"] == user
    assert contact["username"] == "ana.s"


async def test_a_conflicting_phone_is_flagged_never_merged(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    # Ana: linked phone + BSUID. Then a payload names her BSUID with another phone.
    phone, other_phone, ana = digits(12), digits(12), bsuid()
    first, first_id = text_from(number, user_id=ana, phone=phone)
    await _post(api, number, first)
    odd, odd_id = text_from(number, user_id=ana, phone=other_phone)
    await _post(api, number, odd)
    row = await _contact_of(admin_conn, tenant.id, odd_id)
    assert row["id"] == (await _contact_of(admin_conn, tenant.id, first_id))["id"]
    assert (row["wa_id"], row["phone_conflict"]) == (phone, other_phone)
    # Bruno: known by phone only (another contact); a BSUID-only customer later claims it.
    bruno_phone, carla = digits(12), bsuid()
    bruno, bruno_id = text_from(number, user_id=None, phone=bruno_phone)
    await _post(api, number, bruno)
    hidden, hidden_id = text_from(number, user_id=carla)
    await _post(api, number, hidden)
    claim, claim_id = text_from(number, user_id=carla, phone=bruno_phone)
    await _post(api, number, claim)
    carla_row = await _contact_of(admin_conn, tenant.id, claim_id)
    bruno_row = await _contact_of(admin_conn, tenant.id, bruno_id)
    assert carla_row["id"] == (await _contact_of(admin_conn, tenant.id, hidden_id))["id"]
    assert carla_row["id"] != bruno_row["id"]
    assert carla_row["wa_id"] is None
    assert carla_row["phone_conflict"] == bruno_phone
    assert bruno_row["bsuid"] is None
    assert len(await _contacts(admin_conn, tenant.id)) == 3


async def test_a_phone_linked_to_another_bsuid_makes_a_separate_flagged_contact(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    phone, first_user, second_user = digits(12), bsuid(), bsuid()
    first, first_id = text_from(number, user_id=first_user, phone=phone)
    await _post(api, number, first)
    second, second_id = text_from(number, user_id=second_user, phone=phone)
    await _post(api, number, second)
    a = await _contact_of(admin_conn, tenant.id, first_id)
    b = await _contact_of(admin_conn, tenant.id, second_id)
    assert a["id"] != b["id"]
    assert (b["bsuid"], b["wa_id"], b["phone_conflict"]) == (second_user, None, phone)


async def test_user_changed_user_id_re_keys_the_contact_and_shows_in_the_thread(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    old_user, new_user = bsuid(), bsuid()
    first, first_id = text_from(number, user_id=old_user, username="ana.s")
    await _post(api, number, first)
    notice, notice_id = system_change(
        number, kind="user_changed_user_id", previous=old_user, new=new_user
    )
    for _ in range(2):  # a redelivery changes nothing
        await _post(api, number, notice)
    after, after_id = text_from(number, user_id=new_user, username="ana.s")
    await _post(api, number, after)
    # Meta delivers the first message (old BSUID) again: it is a duplicate, not a new customer.
    await _post(api, number, first)
    a = await _contact_of(admin_conn, tenant.id, first_id)
    n = await _contact_of(admin_conn, tenant.id, notice_id)
    b = await _contact_of(admin_conn, tenant.id, after_id)
    assert a["id"] == n["id"] == b["id"]
    assert b["bsuid"] == new_user
    assert len(await _contacts(admin_conn, tenant.id)) == 1
    assert len(await rows(admin_conn, tenant.id, "SELECT 1 FROM conversations")) == 1
    resp = await api.get(
        f"/api/v1/conversations/{b['conversation_id']}/messages",
        headers=tenant[Role.AGENT].headers,
    )
    items = (await resp.json())["items"]
    system = [m for m in items if m["type"] == "system"]
    assert len(system) == 1
    assert system[0]["text"]


async def test_user_changed_number_gives_the_contact_its_new_phone_and_bsuid(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    old_phone, new_phone, old_user, new_user = digits(12), digits(12), bsuid(), bsuid()
    first, first_id = text_from(number, user_id=old_user, phone=old_phone)
    await _post(api, number, first)
    notice, _ = system_change(
        number,
        kind="user_changed_number",
        previous=old_user,
        new=new_user,
        old_phone=old_phone,
        new_phone=new_phone,
    )
    await _post(api, number, notice)
    after, after_id = text_from(number, user_id=new_user, phone=new_phone)
    await _post(api, number, after)
    row = await _contact_of(admin_conn, tenant.id, after_id)
    assert row["id"] == (await _contact_of(admin_conn, tenant.id, first_id))["id"]
    assert (row["wa_id"], row["bsuid"], row["phone_conflict"]) == (new_phone, new_user, None)


async def test_legacy_user_id_update_is_recorded_not_refused(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": number.waba_id,
                "changes": [
                    {
                        "field": "user_id_update",
                        "value": {
                            "messaging_product": "whatsapp",
                            "user_id_update": [
                                {
                                    "wa_id": digits(12),
                                    "user_id": {"previous": bsuid(), "current": bsuid()},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    await _post(api, number, payload)
    [event] = await rows(admin_conn, tenant.id, "SELECT kind, field FROM webhook_events")
    assert (event["kind"], event["field"]) == ("other", "user_id_update")


async def test_a_contact_request_reply_stores_the_phone_as_verified(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    for at_message_level in (True, False):
        user, phone = bsuid(), digits(12)
        hello, hello_id = text_from(number, user_id=user, username="ana.s")
        await _post(api, number, hello)
        reply, reply_id = contact_request_reply(
            number, user_id=user, phone=phone, at_message_level=at_message_level
        )
        await _post(api, number, reply)
        row = await _contact_of(admin_conn, tenant.id, reply_id)
        assert row["id"] == (await _contact_of(admin_conn, tenant.id, hello_id))["id"]
        assert (row["wa_id"], row["phone_verified"]) == (phone, True)
        # A later phone-bearing payload lands in the same conversation.
        later, later_id = text_from(number, user_id=user, phone=phone)
        await _post(api, number, later)
        later_row = await _contact_of(admin_conn, tenant.id, later_id)
        assert later_row["conversation_id"] == row["conversation_id"]


async def test_a_shared_phone_that_belongs_to_another_contact_is_flagged(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    taken = digits(12)
    other, _ = text_from(number, user_id=None, phone=taken)
    await _post(api, number, other)
    user = bsuid()
    reply, reply_id = contact_request_reply(number, user_id=user, phone=taken)
    await _post(api, number, reply)
    row = await _contact_of(admin_conn, tenant.id, reply_id)
    assert (row["wa_id"], row["phone_verified"], row["phone_conflict"]) == (None, False, taken)
