"""The webhook end to end against the real app, PostgreSQL and Redis: handshake, signature,
routing, the durable idempotent write, status ranks, and the events that follow the commit."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from typing import Any

import orjson
import pytest
from aiohttp import ClientWebSocketResponse

from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.keys import SETTINGS, WEBHOOK_WRITER
from pytake_daemon.protocol import (
    EventEnvelope,
    Hello,
    MessageReceived,
    MessageStatusUpdated,
    Role,
    parse_server_event,
)
from tests.conftest import MakeTenant
from tests.test_whatsapp_webhook import INBOUND_SAMPLES
from tests.whatsapp.wa_support import (
    WEBHOOK,
    ApiClient,
    Number,
    add_number,
    digits,
    envelope,
    post_signed,
    status,
    text_message,
    with_new_id,
)


async def next_event(ws: ClientWebSocketResponse, kind: type[Any]) -> Any:
    """The next event of a type (others are skipped), waiting on the socket itself."""
    while True:
        frame = await asyncio.wait_for(ws.receive_str(), timeout=10)
        envelope_ = parse_server_event(frame)
        if isinstance(envelope_.event, kind):
            return envelope_.event


async def rows(admin_conn: Connection, tenant_id: uuid.UUID, sql: str, *args: Any) -> list[Any]:
    """Run a query as the daemon's role, so row-level security shows only this tenant's rows."""
    async with admin_conn.transaction():
        await admin_conn.execute("SET LOCAL ROLE pytake_app")
        await set_tenant(admin_conn, tenant_id)
        return list(await admin_conn.fetch(sql, *args))


# ---- handshake and authenticity ---------------------------------------------------------------


async def test_handshake_echoes_the_challenge_only_for_a_known_verify_token(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    number = await add_number(api, await make_tenant())
    ok = await api.get(
        WEBHOOK,
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": number.verify_token,
            "hub.challenge": "1158201444",
        },
    )
    assert ok.status == 200
    assert await ok.text() == "1158201444"
    assert ok.content_type == "text/plain"
    bad = await api.get(
        WEBHOOK,
        params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"},
    )
    assert bad.status == 403
    wrong_mode = await api.get(
        WEBHOOK,
        params={
            "hub.mode": "unsubscribe",
            "hub.verify_token": number.verify_token,
            "hub.challenge": "1",
        },
    )
    assert wrong_mode.status == 403


async def test_missing_or_wrong_signature_is_401_before_parsing(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    number = await add_number(api, await make_tenant())
    body = orjson.dumps(envelope(number, messages=[text_message("15551234567", "hi")]))
    missing = await api.post(WEBHOOK, data=body)
    assert missing.status == 401
    assert (await missing.json())["status"] == 401
    status_, _ = await post_signed(api, body, "not-the-secret")
    assert status_ == 401
    # Not JSON at all, unsigned: still 401, proving the signature is checked first.
    garbage = await api.post(WEBHOOK, data=b"{not json", headers={"X-Hub-Signature-256": "x"})
    assert garbage.status == 401


async def test_malformed_json_is_400_and_oversized_body_is_413(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    number = await add_number(api, await make_tenant())
    status_, text = await post_signed(
        api, b'{"object": "whatsapp_business_account", ', number.app_secret
    )
    assert status_ == 400
    assert "malformed JSON" in text
    status_, _ = await post_signed(api, b'{"object": 1}', number.app_secret)
    assert status_ == 400
    limit = api.app[SETTINGS].whatsapp.webhook_max_bytes
    status_, _ = await post_signed(api, b" " * (limit + 1), number.app_secret)
    assert status_ == 413


async def test_unknown_number_is_acknowledged_counted_and_not_stored(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    stranger = Number(
        id=uuid.uuid4(),
        phone_number_id=digits(15),
        waba_id=digits(15),
        app_secret=number.app_secret,
        verify_token="x",
        access_token="x",
    )
    redis = api.app[__import__("pytake_daemon.keys", fromlist=["REDIS"]).REDIS]
    key = f"{api.app[SETTINGS].redis.key_prefix}whatsapp:unknown_number"
    before = int(await redis.get(key) or 0)
    msg = text_message("15551234567", "for nobody")
    status_, _ = await post_signed(api, envelope(stranger, messages=[msg]), number.app_secret)
    assert status_ == 200
    assert int(await redis.get(key) or 0) == before + 1
    found = await admin_conn.fetchval(
        "SELECT count(*) FROM messages WHERE wa_message_id = $1", msg["id"]
    )
    assert found == 0


async def test_another_apps_secret_cannot_speak_for_a_number(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    victim = await add_number(api, await make_tenant())
    attacker = await add_number(api, await make_tenant())
    msg = text_message("15551234567", "forged")
    # Signed with the attacker's own (valid) app secret, naming the victim's number.
    status_, _ = await post_signed(api, envelope(victim, messages=[msg]), attacker.app_secret)
    assert status_ == 200
    found = await admin_conn.fetchval(
        "SELECT count(*) FROM messages WHERE wa_message_id = $1", msg["id"]
    )
    assert found == 0


# ---- the durable write ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(INBOUND_SAMPLES))
async def test_every_inbound_type_is_stored_once_with_its_raw_json(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, name: str
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    customer = digits(12)
    msg = with_new_id(INBOUND_SAMPLES[name], customer)
    payload = envelope(number, messages=[msg])
    for _ in range(3):  # Meta's redeliveries
        status_, _ = await post_signed(api, payload, number.app_secret)
        assert status_ == 200
    stored = await rows(
        admin_conn,
        tenant.id,
        "SELECT m.type, m.raw, m.text, m.direction, m.status, c.unread_count, ct.profile_name"
        "  FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        "  JOIN contacts ct ON ct.id = c.contact_id WHERE m.wa_message_id = $1",
        msg["id"],
    )
    assert len(stored) == 1
    row = stored[0]
    assert row["raw"] == msg
    assert row["type"] == msg["type"]
    assert row["direction"] == "in"
    assert row["status"] == "received"
    assert row["text"]
    assert row["profile_name"] == "Sheena Nelson"
    expected_unread = 0 if msg["type"] in ("reaction", "system") else 1
    assert row["unread_count"] == expected_unread


async def test_concurrent_deliveries_and_duplicates_store_each_message_exactly_once(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    customers = [digits(12) for _ in range(5)]
    messages = [
        text_message(customers[i % 5], f"hello {i}", ts=1_700_000_000 + i) for i in range(60)
    ]
    payloads = [envelope(number, messages=[m]) for m in messages]
    # Every notification twice, all at once: batches overlap and duplicates race each other.
    results = await asyncio.gather(
        *(post_signed(api, p, number.app_secret) for p in payloads + payloads)
    )
    assert all(code == 200 for code, _ in results)
    counts = await rows(
        admin_conn,
        tenant.id,
        "SELECT count(*) AS n, count(DISTINCT wa_message_id) AS d FROM messages",
    )
    assert counts[0]["n"] == counts[0]["d"] == 60
    conversations = await rows(
        admin_conn, tenant.id, "SELECT unread_count, last_message_preview FROM conversations"
    )
    assert len(conversations) == 5
    assert sum(c["unread_count"] for c in conversations) == 60
    writer = api.app[WEBHOOK_WRITER]
    assert writer.requests >= 120
    # Commits were shared: fewer transactions than requests.
    assert writer.batches < writer.requests


async def test_a_customer_message_reaches_websocket_clients_after_the_commit(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    customer = digits(12)
    async with api.ws_connect("/api/v1/ws", headers=tenant[Role.AGENT].headers) as ws:
        hello = EventEnvelope.model_validate_json(await ws.receive_str())
        assert isinstance(hello.event, Hello)
        msg = text_message(customer, "Is my order on its way?")
        status_, _ = await post_signed(api, envelope(number, messages=[msg]), number.app_secret)
        assert status_ == 200
        event = await next_event(ws, MessageReceived)
    assert event.message.wa_message_id == msg["id"]
    assert event.message.text == "Is my order on its way?"
    assert event.message.direction == "in"
    assert event.conversation.contact.wa_id == customer
    assert event.conversation.unread_count == 1
    assert event.conversation.window.open is False  # the sample's timestamp is from 2023


# ---- statuses ---------------------------------------------------------------------------------


async def _outbound(
    admin_conn: Connection, tenant_id: uuid.UUID, number: Number
) -> tuple[str, uuid.UUID]:
    """An outbound message Meta accepted (as the sender would leave it)."""
    wamid = f"wamid.{secrets.token_urlsafe(24)}"
    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant_id)
        contact = await admin_conn.fetchval(
            "INSERT INTO contacts (tenant_id, wa_id) VALUES ($1, $2) RETURNING id",
            tenant_id,
            digits(12),
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


async def test_statuses_only_move_forward_whatever_the_arrival_order(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    wamid, message_id = await _outbound(admin_conn, tenant.id, number)
    async with api.ws_connect("/api/v1/ws", headers=tenant[Role.AGENT].headers) as ws:
        await ws.receive_str()  # hello
        for state, ts in (("read", 30), ("sent", 10), ("delivered", 20), ("read", 30)):
            payload = envelope(
                number, statuses=[status(wamid, state, ts=1_700_000_000 + ts, recipient="1")]
            )
            assert (await post_signed(api, payload, number.app_secret))[0] == 200
        event = await next_event(ws, MessageStatusUpdated)
        assert event.message_id == message_id
        assert event.status == "read"
    stored = await rows(
        admin_conn, tenant.id, "SELECT status FROM messages WHERE id = $1", message_id
    )
    assert stored[0]["status"] == "read"
    raw = await rows(
        admin_conn,
        tenant.id,
        "SELECT status FROM message_statuses WHERE wa_message_id = $1 ORDER BY status",
        wamid,
    )
    assert [r["status"] for r in raw] == ["delivered", "read", "sent"]
    # A late failure doesn't undo a read.
    late = envelope(number, statuses=[status(wamid, "failed", ts=1_700_000_040, recipient="1")])
    assert (await post_signed(api, late, number.app_secret))[0] == 200
    stored = await rows(
        admin_conn, tenant.id, "SELECT status FROM messages WHERE id = $1", message_id
    )
    assert stored[0]["status"] == "read"


async def test_a_failed_status_keeps_metas_code_and_explains_it(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    wamid, message_id = await _outbound(admin_conn, tenant.id, number)
    error = {
        "code": 131047,
        "title": "Re-engagement message",
        "message": "Re-engagement message",
        "error_data": {
            "details": "Message failed to send because more than 24 hours have passed since "
            "the customer last replied to this number."
        },
        "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
    }
    payload = envelope(
        number,
        statuses=[status(wamid, "failed", ts=1_700_000_010, recipient="1", errors=[error])],
    )
    assert (await post_signed(api, payload, number.app_secret))[0] == 200
    stored = await rows(
        admin_conn,
        tenant.id,
        "SELECT status, error_code, error_title, error_explanation FROM messages WHERE id = $1",
        message_id,
    )
    assert stored[0]["status"] == "failed"
    assert stored[0]["error_code"] == 131047
    assert "24 hours" in stored[0]["error_explanation"]
    # Multi-device: a delivery after the failure proves the message arrived.
    later = envelope(number, statuses=[status(wamid, "delivered", ts=1_700_000_020, recipient="1")])
    assert (await post_signed(api, later, number.app_secret))[0] == 200
    stored = await rows(
        admin_conn, tenant.id, "SELECT status FROM messages WHERE id = $1", message_id
    )
    assert stored[0]["status"] == "delivered"


# ---- other changes ----------------------------------------------------------------------------


async def test_template_status_updates_apply_and_other_fields_are_recorded_once(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant.id)
        await admin_conn.execute(
            "INSERT INTO templates (tenant_id, waba_id, meta_id, name, language, status, category)"
            " VALUES ($1, $2, '594425479261596', 'order_update', 'en_US', 'PENDING', 'UTILITY')",
            tenant.id,
            number.waba_id,
        )
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": number.waba_id,
                "time": 1_700_000_000,
                "changes": [
                    {
                        "field": "message_template_status_update",
                        "value": {
                            "event": "APPROVED",
                            "message_template_id": 594425479261596,
                            "message_template_name": "order_update",
                            "message_template_language": "en_US",
                            "reason": "NONE",
                        },
                    },
                    {
                        "field": "phone_number_quality_update",
                        "value": {"display_phone_number": "15550100", "event": "FLAGGED"},
                    },
                ],
            }
        ],
    }
    for _ in range(2):
        assert (await post_signed(api, payload, number.app_secret))[0] == 200
    template = await rows(admin_conn, tenant.id, "SELECT status FROM templates")
    assert template[0]["status"] == "APPROVED"
    recorded = await rows(admin_conn, tenant.id, "SELECT field FROM webhook_events ORDER BY field")
    assert [r["field"] for r in recorded] == [
        "message_template_status_update",
        "phone_number_quality_update",
    ]


async def test_value_level_errors_are_recorded(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    error = {"code": 131000, "title": "Something went wrong", "message": "Something went wrong"}
    payload = envelope(number, errors=[error])
    assert (await post_signed(api, payload, number.app_secret))[0] == 200
    recorded = await rows(admin_conn, tenant.id, "SELECT kind, payload FROM webhook_events")
    assert [(r["kind"], r["payload"]) for r in recorded] == [("error", error)]


async def test_nul_characters_are_replaced_not_refused(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    msg = text_message(digits(12), "zero\u0000byte")
    assert (await post_signed(api, envelope(number, messages=[msg]), number.app_secret))[0] == 200
    stored = await rows(
        admin_conn, tenant.id, "SELECT text FROM messages WHERE wa_message_id = $1", msg["id"]
    )
    assert stored[0]["text"] == "zero\ufffdbyte"
