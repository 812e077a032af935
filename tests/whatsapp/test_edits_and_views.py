"""Edits and deletions by the customer (issue 15, item 7) and what agents see of a message over
REST (item 8): referral, forwarding, why a message is unsupported, edited, deleted; and
customers without a phone in the inbox list and its search (item 1)."""

from __future__ import annotations

import uuid
from typing import Any

from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol import (
    ConversationList,
    ConversationOut,
    ConversationUpdated,
    MessageList,
    MessageUpdated,
    Role,
)
from tests.conftest import MakeTenant
from tests.support import TenantData
from tests.whatsapp.payloads_2026 import (
    bsuid,
    contact,
    edit_of,
    inbound,
    revoke_of,
    text_from,
    value_envelope,
)
from tests.whatsapp.test_ingest import next_event, rows
from tests.whatsapp.wa_support import ApiClient, Number, add_number, post_signed


async def _post(api: ApiClient, number: Number, payload: dict[str, Any]) -> None:
    code, body = await post_signed(api, payload, number.app_secret)
    assert code == 200, body


async def _thread(api: ApiClient, tenant: TenantData, conversation_id: uuid.UUID) -> MessageList:
    resp = await api.get(
        f"/api/v1/conversations/{conversation_id}/messages", headers=tenant[Role.AGENT].headers
    )
    assert resp.status == 200
    return MessageList.model_validate(await resp.json())


async def _conversation_of(admin_conn: Connection, tenant_id: uuid.UUID, wamid: str) -> uuid.UUID:
    [row] = await rows(
        admin_conn,
        tenant_id,
        "SELECT conversation_id FROM messages WHERE wa_message_id = $1",
        wamid,
    )
    conversation_id: uuid.UUID = row["conversation_id"]
    return conversation_id


async def test_an_edit_replaces_the_text_and_keeps_the_earlier_version(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    user = bsuid()
    original, wamid = text_from(number, user_id=user, body="see you at 5")
    await _post(api, number, original)
    first, _ = edit_of(number, wamid, user_id=user, phone=None, body="see you at 6")
    second, _ = edit_of(number, wamid, user_id=user, phone=None, body="see you at 7")
    for payload in (first, first, second):  # a redelivered edit is applied once
        await _post(api, number, payload)
    conversation_id = await _conversation_of(admin_conn, tenant.id, wamid)
    [message] = (await _thread(api, tenant, conversation_id)).items
    assert message.wa_message_id == wamid
    assert message.text == "see you at 7"
    assert message.content == {"body": "see you at 7"}
    assert message.edited_at is not None
    assert [e.text for e in message.edits] == ["see you at 5", "see you at 6"]
    # The edit notices are recorded, not shown as messages of their own.
    notices = await rows(
        admin_conn, tenant.id, "SELECT kind FROM webhook_events WHERE kind = 'edit'"
    )
    assert len(notices) == 2
    [conversation] = await rows(
        admin_conn, tenant.id, "SELECT unread_count, last_message_preview FROM conversations"
    )
    assert (conversation["unread_count"], conversation["last_message_preview"]) == (
        1,
        "see you at 7",
    )


async def test_a_revoke_hides_the_content_from_agents_and_keeps_it_for_audit(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    user = bsuid()
    # The searched secret has letters: the customer's BSUID is 20 random digits, and a digits-
    # only secret was found in it once (the search matches contacts too).
    original, wamid = text_from(number, user_id=user, body="my card number is 4111-xq")
    await _post(api, number, original)
    assert len(await _search(api, tenant, "4111-xq")) == 1  # found before the revoke
    revoke, _ = revoke_of(number, wamid, user_id=user, phone=None)
    await _post(api, number, revoke)
    await _post(api, number, revoke)
    conversation_id = await _conversation_of(admin_conn, tenant.id, wamid)
    [message] = (await _thread(api, tenant, conversation_id)).items
    assert message.deleted_at is not None
    assert (message.text, message.content) == ("", {})
    [kept] = await rows(
        admin_conn,
        tenant.id,
        "SELECT text, revoked_at FROM messages WHERE wa_message_id = $1",
        wamid,
    )
    assert kept["text"] == "my card number is 4111-xq"
    [conversation] = await rows(
        admin_conn, tenant.id, "SELECT last_message_preview FROM conversations"
    )
    assert "4111-xq" not in conversation["last_message_preview"]
    assert await _search(api, tenant, "4111-xq") == []


async def _search(api: ApiClient, tenant: TenantData, text: str) -> list[ConversationOut]:
    resp = await api.get(
        "/api/v1/conversations", params={"q": text}, headers=tenant[Role.AGENT].headers
    )
    assert resp.status == 200
    return ConversationList.model_validate(await resp.json()).items


async def test_referral_forwarding_and_unsupported_reason_reach_the_api(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    user = bsuid()
    from_ad = inbound(
        user_id=user,
        body="is this still on sale?",
        ts=1_700_000_001,
        referral={
            "source_url": "https://fb.me/ad",
            "source_type": "ad",
            "source_id": "120",
            "headline": "Winter sale",
            "body": "50% off",
            "media_type": "image",
            "image_url": "https://example.com/x.jpg",
            "ctwa_clid": "ARA",
        },
    )
    forwarded = inbound(
        user_id=user,
        body="look at this",
        ts=1_700_000_002,
        context={"forwarded": True, "frequently_forwarded": True},
    )
    unsupported = inbound(
        user_id=user,
        ts=1_700_000_003,
        type="unsupported",
        unsupported={"type": "poll"},
        errors=[
            {
                "code": 131051,
                "title": "Message type unknown",
                "message": "Message type unknown",
                "error_data": {"details": "Message type is currently not supported."},
            }
        ],
    )
    del unsupported["text"]
    payload = value_envelope(
        number,
        {
            "contacts": [contact(user_id=user, username="ana.s")],
            "messages": [from_ad, forwarded, unsupported],
        },
    )
    await _post(api, number, payload)
    conversation_id = await _conversation_of(admin_conn, tenant.id, from_ad["id"])
    by_id = {m.wa_message_id: m for m in (await _thread(api, tenant, conversation_id)).items}
    ad = by_id[from_ad["id"]]
    assert ad.referral is not None
    assert (ad.referral.headline, ad.referral.source_url, ad.referral.source_type) == (
        "Winter sale",
        "https://fb.me/ad",
        "ad",
    )
    fwd = by_id[forwarded["id"]]
    assert (fwd.forwarded, fwd.frequently_forwarded) == (True, True)
    assert by_id[from_ad["id"]].forwarded is False
    odd = by_id[unsupported["id"]]
    assert odd.unsupported_reason == "Message type is currently not supported. (poll)"
    assert ad.unsupported_reason is None


async def test_customers_without_a_phone_are_listed_and_found_by_username_name_and_bsuid(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    user = bsuid("BR")
    payload, _ = text_from(number, user_id=user, username="ana.s", name="Ana Souza")
    await _post(api, number, payload)
    headers = tenant[Role.AGENT].headers
    listed = await api.get("/api/v1/conversations", headers=headers)
    [item] = ConversationList.model_validate(await listed.json()).items
    assert (item.contact.wa_id, item.contact.bsuid, item.contact.username) == (None, user, "ana.s")
    assert item.contact.display_name == "@ana.s"
    for q in ("ana.s", "Souza", user, user.split(".")[1][:8]):
        resp = await api.get("/api/v1/conversations", params={"q": q}, headers=headers)
        found = ConversationList.model_validate(await resp.json()).items
        assert [c.id for c in found] == [item.id], q


async def test_clients_hear_of_a_deletion_and_the_inbox_preview_loses_the_text(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    user = bsuid()
    original, wamid = text_from(number, user_id=user, body="my password is hunter2")
    await _post(api, number, original)
    async with api.ws_connect("/api/v1/ws", headers=tenant[Role.AGENT].headers) as ws:
        await ws.receive_str()  # hello
        revoke, _ = revoke_of(number, wamid, user_id=user, phone=None)
        await _post(api, number, revoke)
        updated = await next_event(ws, MessageUpdated)
        conversation = await next_event(ws, ConversationUpdated)
    assert updated.message.wa_message_id == wamid
    assert updated.message.deleted_at is not None
    assert updated.message.text == ""
    assert conversation.conversation.id == updated.conversation_id
    assert "hunter2" not in conversation.conversation.last_message_preview
