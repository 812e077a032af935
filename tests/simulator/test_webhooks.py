"""Webhooks: Meta's envelope for every inbound type, signatures, and delivery semantics
(retries with backoff, give-up, duplicates, out-of-order, batching) with the delivery log."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from typing import Any

import pytest

from pytake_simulator import Simulator
from pytake_simulator.config import DeliveryConfig
from pytake_simulator.customer_messages import CustomerError, CustomerMessage
from pytake_simulator.identity import user_id as business_scoped_user_id

from .support import (
    APP_SECRET,
    CUSTOMER,
    PHONE_ID,
    WABA_ID,
    Graph,
    Receiver,
    SimFactory,
    graph_for,
    signature,
)


async def only_message(
    sim: Simulator, receiver: Receiver, request: dict[str, Any]
) -> dict[str, Any]:
    wamid = sim.customer_send(CUSTOMER, CustomerMessage.model_validate(request))
    await sim.wait_acked(wamid)
    [message] = [m for m in receiver.messages() if m["id"] == wamid]
    assert message["from"] == CUSTOMER
    assert message["timestamp"].isdigit()
    assert message["type"] == request["type"]
    return message


def test_business_scoped_user_ids_are_stable_per_business() -> None:
    first = business_scoped_user_id(WABA_ID, CUSTOMER)
    assert first == business_scoped_user_id(WABA_ID, CUSTOMER)
    assert first != business_scoped_user_id("200000000000002", CUSTOMER)
    assert first.startswith("BR.")  # CUSTOMER is a Brazilian number


async def test_envelope_signature_and_headers(sim: Simulator, receiver: Receiver) -> None:
    wamid = await sim.customer(CUSTOMER, name="Sheena Nelson").send_text("Hello, is the shop open?")
    await sim.wait_acked(wamid)
    [request] = receiver.requests
    assert request.headers["X-Hub-Signature-256"] == signature(request.body)
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "facebookexternalua"
    assert request.json == {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": WABA_ID,
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550100",
                                "phone_number_id": PHONE_ID,
                            },
                            "contacts": [
                                {
                                    "profile": {"name": "Sheena Nelson"},
                                    "wa_id": CUSTOMER,
                                    "user_id": business_scoped_user_id(WABA_ID, CUSTOMER),
                                }
                            ],
                            "messages": [
                                {
                                    "from": CUSTOMER,
                                    "from_user_id": business_scoped_user_id(WABA_ID, CUSTOMER),
                                    "id": wamid,
                                    "timestamp": request.json["entry"][0]["changes"][0]["value"][
                                        "messages"
                                    ][0]["timestamp"],
                                    "type": "text",
                                    "text": {"body": "Hello, is the shop open?"},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    assert wamid.startswith("wamid.")
    base64.b64decode(wamid.removeprefix("wamid."), validate=True)


async def test_signature_uses_the_configured_secret(
    make_sim: SimFactory, receiver: Receiver
) -> None:
    sim = await make_sim(app_secret="another-secret")
    await sim.wait_acked(await sim.customer(CUSTOMER).send_text("x"))
    [request] = receiver.requests
    assert request.headers["X-Hub-Signature-256"] == signature(request.body, "another-secret")
    assert request.headers["X-Hub-Signature-256"] != signature(request.body, APP_SECRET)


@pytest.mark.parametrize("kind", ["image", "video", "document", "sticker", "audio"])
async def test_media_messages(sim: Simulator, receiver: Receiver, graph: Graph, kind: str) -> None:
    message = await only_message(sim, receiver, {"type": kind, kind: {"caption": "look"}})
    media = message[kind]
    assert media["id"].isdigit()
    assert "/" in media["mime_type"]
    # The bytes are downloadable the Meta way: GET /{media-id}, then GET the url with the token.
    status, info = await graph.call("GET", f"/{media['id']}")
    assert status == 200
    async with graph.session.get(
        info["url"], headers={"Authorization": "Bearer sim-access-token"}
    ) as response:
        assert response.status == 200
        data = await response.read()
    assert base64.b64encode(hashlib.sha256(data).digest()).decode() == media["sha256"]
    assert info["sha256"] == hashlib.sha256(data).hexdigest()
    if kind in ("image", "video", "document"):
        assert media["caption"] == "look"
    else:
        assert "caption" not in media
    if kind == "document":
        assert media["filename"] == "document.pdf"
    if kind == "sticker":
        assert media["animated"] is False


async def test_voice_note(sim: Simulator, receiver: Receiver) -> None:
    message = await only_message(sim, receiver, {"type": "audio", "audio": {"voice": True}})
    assert message["audio"]["voice"] is True
    assert message["audio"]["mime_type"] == "audio/ogg; codecs=opus"


async def test_location_contacts_order_system_unsupported(
    sim: Simulator, receiver: Receiver
) -> None:
    location = {
        "latitude": 37.483872,
        "longitude": -122.148358,
        "name": "Philz",
        "address": "Palo Alto",
    }
    assert (await only_message(sim, receiver, {"type": "location", "location": location}))[
        "location"
    ] == location

    card = {"name": {"formatted_name": "Barbara Johnson"}, "phones": [{"phone": "+1 940 555 1234"}]}
    assert (await only_message(sim, receiver, {"type": "contacts", "contacts": [card]}))[
        "contacts"
    ] == [card]

    items = [{"product_retailer_id": "sku-1", "quantity": 2, "item_price": 12.5, "currency": "USD"}]
    order = await only_message(
        sim, receiver, {"type": "order", "order": {"product_items": items, "text": "after 6pm"}}
    )
    assert order["order"]["product_items"] == items
    assert order["order"]["catalog_id"]

    system = await only_message(
        sim, receiver, {"type": "system", "system": {"new_wa_id": "5511999990099"}}
    )
    assert system["system"]["type"] == "user_changed_number"
    assert system["system"]["wa_id"] == "5511999990099"
    # Meta sends number changes without a contacts entry.
    [value] = [v for v in receiver.values() if v.get("messages", [{}])[0].get("type") == "system"]
    assert "contacts" not in value

    unsupported = await only_message(sim, receiver, {"type": "unsupported"})
    [error] = unsupported["errors"]
    assert error["code"] == 131051
    assert error["error_data"]["details"]


async def test_replies_to_interactive_and_template_messages_quote_them(
    sim: Simulator, receiver: Receiver, graph: Graph
) -> None:
    customer = sim.customer(CUSTOMER)
    with pytest.raises(CustomerError):
        await customer.reply_button("yes", "Yes")  # nothing to reply to yet
    await customer.send_text("hi")
    buttons = {
        "type": "button",
        "body": {"text": "Sure?"},
        "action": {"buttons": [{"type": "reply", "reply": {"id": "yes", "title": "Yes"}}]},
    }
    _, sent = await graph.send(
        {
            "messaging_product": "whatsapp",
            "to": CUSTOMER,
            "type": "interactive",
            "interactive": buttons,
        }
    )
    interactive_id = sent["messages"][0]["id"]
    reply = await only_message(
        sim,
        receiver,
        {
            "type": "interactive",
            "interactive": {"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes"}},
        },
    )
    assert reply["interactive"] == {
        "type": "button_reply",
        "button_reply": {"id": "yes", "title": "Yes"},
    }
    assert reply["context"] == {"from": "15550100", "id": interactive_id}

    listed = await only_message(
        sim,
        receiver,
        {
            "type": "interactive",
            "interactive": {
                "type": "list_reply",
                "list_reply": {"id": "r1", "title": "Medium", "description": "12 inch"},
            },
        },
    )
    assert listed["interactive"]["list_reply"]["description"] == "12 inch"

    _, sent = await graph.send(
        {
            "messaging_product": "whatsapp",
            "to": CUSTOMER,
            "type": "template",
            "template": {"name": "feedback_request", "language": {"code": "en_US"}},
        }
    )
    pressed = await only_message(sim, receiver, {"type": "button", "button": {"text": "Great"}})
    assert pressed["button"] == {"payload": "Great", "text": "Great"}
    assert pressed["context"]["id"] == sent["messages"][0]["id"]


async def test_reaction_and_its_removal(sim: Simulator, receiver: Receiver, graph: Graph) -> None:
    await sim.customer(CUSTOMER).send_text("hi")
    _, sent = await graph.text(CUSTOMER)
    wamid = sent["messages"][0]["id"]
    reaction = await only_message(sim, receiver, {"type": "reaction", "reaction": {"emoji": "👍"}})
    assert reaction["reaction"] == {"message_id": wamid, "emoji": "👍"}
    removal = await only_message(
        sim, receiver, {"type": "reaction", "reaction": {"message_id": wamid}}
    )
    assert removal["reaction"] == {"message_id": wamid, "emoji": ""}


async def test_context_forwarded_and_referral(sim: Simulator, receiver: Receiver) -> None:
    first = await sim.customer(CUSTOMER).send_text("original")
    referral = {
        "source_url": "https://fb.me/abc",
        "source_id": "120200",
        "source_type": "ad",
        "headline": "Spring sale",
        "body": "20% off",
        "media_type": "image",
        "image_url": "https://example.com/ad.jpg",
        "ctwa_clid": "ARAkLkA8",
    }
    message = await only_message(
        sim,
        receiver,
        {
            "type": "text",
            "text": {"body": "about this"},
            "context": {"id": first},
            "referral": referral,
        },
    )
    assert message["context"] == {"from": CUSTOMER, "id": first}
    assert message["referral"] == referral
    forwarded = await only_message(
        sim, receiver, {"type": "text", "text": "fwd", "context": {"frequently_forwarded": True}}
    )
    assert forwarded["context"] == {"frequently_forwarded": True}


# --- delivery semantics ---------------------------------------------------------------------------


async def test_unacked_deliveries_are_retried_with_backoff(
    sim: Simulator, receiver: Receiver
) -> None:
    receiver.answers = [500, 503]
    wamid = await sim.customer(CUSTOMER).send_text("durable?")
    inbound = await sim.wait_acked(wamid)
    [record] = sim.deliveries
    assert [a.status for a in record.attempts] == [500, 503, 200]
    assert record.state == "acked"
    assert inbound.delivery_ids == [record.id]
    # Exponential: the second gap is about twice the first (retry_base 0.02, factor 2).
    starts = [a.started_at for a in record.attempts]
    assert starts[1] - starts[0] >= 0.015
    assert starts[2] - starts[1] >= 0.035
    # The same bytes were posted every time, with the same valid signature.
    assert len({r.body for r in receiver.requests}) == 1
    assert all(r.headers["X-Hub-Signature-256"] == signature(r.body) for r in receiver.requests)


async def test_timeouts_are_retried_and_hopeless_deliveries_given_up(
    make_sim: SimFactory, receiver: Receiver
) -> None:
    sim = await make_sim(
        delivery=DeliveryConfig(timeout=0.05, retry_base=0.01, retry_cap=0.02, max_attempts=3)
    )
    receiver.gate = asyncio.Event()  # never answers in time
    wamid = await sim.customer(CUSTOMER).send_text("anyone?")
    await sim.wait_settled()
    [record] = sim.deliveries
    assert record.state == "gave_up"
    assert len(record.attempts) == 3
    assert all(a.status is None and a.error and "timeout" in a.error for a in record.attempts)
    assert not sim.inbound_message(wamid).acked
    assert sim.stats().deliveries_given_up == 1


async def test_unreachable_endpoint_and_a_url_set_later(
    make_sim: SimFactory, receiver: Receiver
) -> None:
    sim = await make_sim(webhook_url=None)
    wamid = await sim.customer(CUSTOMER).send_text("queued")
    assert sim.deliveries[0].attempts == []  # nowhere to deliver yet
    sim.webhook_url = receiver.url
    await sim.wait_acked(wamid)


async def test_duplicates(make_sim: SimFactory, receiver: Receiver) -> None:
    sim = await make_sim(delivery=DeliveryConfig(duplicate_rate=1.0, duplicate_delay=0.0))
    wamid = await sim.customer(CUSTOMER).send_text("twice")
    await sim.wait_acked(wamid)
    await sim.wait_settled()
    original, duplicate = sim.deliveries
    assert duplicate.duplicate_of == original.id
    assert duplicate.body == original.body
    assert [m["id"] for m in receiver.messages()] == [wamid, wamid]
    assert sim.inbound_message(wamid).delivery_ids == [original.id, duplicate.id]


async def test_out_of_order_delivery(make_sim: SimFactory, receiver: Receiver) -> None:
    sim = await make_sim(
        delivery=DeliveryConfig(out_of_order_rate=0.5, out_of_order_hold=0.3, concurrency=1)
    )
    sent = [await sim.customer(CUSTOMER).send_text(f"m{i}") for i in range(12)]
    await sim.wait_settled()
    received = [m["id"] for m in receiver.messages()]
    assert sorted(received) == sorted(sent)  # every message arrives, exactly once
    assert received != sent  # but not in the order they were written
    assert any(r.held is False and r.state == "acked" for r in sim.deliveries)


async def test_batching_several_items_in_one_post(make_sim: SimFactory, receiver: Receiver) -> None:
    sim = await make_sim(delivery=DeliveryConfig(batch_max=3, batch_window=5.0))
    ids = [await sim.customer(f"55119999900{i:02d}").send_text(f"m{i}") for i in range(3)]
    await sim.wait_settled()
    [request] = receiver.requests
    [value] = [c["value"] for e in request.json["entry"] for c in e["changes"]]
    assert [m["id"] for m in value["messages"]] == ids
    assert len(value["contacts"]) == 3
    assert sim.deliveries[0].message_ids == tuple(ids)


async def test_every_acked_message_was_delivered_and_every_failure_retried(
    make_sim: SimFactory, receiver: Receiver
) -> None:
    """The log the durability tests rely on: for each inbound message, which POSTs carried it
    and whether one of them got a 200."""
    sim = await make_sim(delivery=DeliveryConfig(retry_base=0.01, retry_cap=0.01, max_attempts=4))
    receiver.answers = [500, 200, 502, 502, 200]
    ids = [await sim.customer(CUSTOMER).send_text(f"m{i}") for i in range(3)]
    await sim.wait_settled()
    for wamid in ids:
        inbound = sim.inbound_message(wamid)
        assert inbound.acked
        records = [sim.deliveries[d - 1] for d in inbound.delivery_ids]
        assert any(r.acked_at is not None for r in records)
    for record in sim.deliveries:
        failures = [a for a in record.attempts if a.status != 200]
        if failures:
            assert len(record.attempts) > len(failures)  # retried until the 200
    assert sim.stats().deliveries_retried >= 1


async def test_template_status_updates(sim: Simulator, receiver: Receiver) -> None:
    record = sim.store.template(WABA_ID, "spring_sale", "en_US")
    assert record is not None
    sim.set_template_status(record.id, "APPROVED")
    await sim.wait_settled()
    [request] = receiver.requests
    [entry] = request.json["entry"]
    assert entry["id"] == WABA_ID
    assert isinstance(entry["time"], int)
    assert entry["changes"] == [
        {
            "field": "message_template_status_update",
            "value": {
                "event": "APPROVED",
                "message_template_id": int(record.id),
                "message_template_name": "spring_sale",
                "message_template_language": "en_US",
                "reason": None,
            },
        }
    ]


# --- the subscription handshake -------------------------------------------------------------------


async def test_verify_handshake(sim: Simulator, receiver: Receiver) -> None:
    result = await sim.verify_webhook()
    assert result.ok
    assert result.body == result.challenge
    wrong = await sim.verify_webhook(verify_token="nope")
    assert not wrong.ok
    assert wrong.status == 403


async def test_verify_against_nothing(sim: Simulator) -> None:
    result = await sim.verify_webhook(url="http://127.0.0.1:9/webhook")
    assert not result.ok
    assert result.error


async def test_graph_for_a_second_number(make_sim: SimFactory, receiver: Receiver) -> None:
    from pytake_simulator import NumberConfig

    second = NumberConfig(
        phone_number_id="100000000000002",
        display_phone_number="+1 555 0200",
        waba_id="200000000000002",
        access_token="second-token",
    )
    sim = await make_sim(numbers=[NumberConfig(), second])
    wamid = await sim.customer(CUSTOMER, phone_number_id=second.phone_number_id).send_text("hi 2")
    await sim.wait_acked(wamid)
    [payload] = receiver.acked()
    assert payload["entry"][0]["id"] == "200000000000002"
    assert payload["entry"][0]["changes"][0]["value"]["metadata"] == {
        "display_phone_number": "15550200",
        "phone_number_id": "100000000000002",
    }
    async with graph_for(sim) as graph:
        status, _ = await graph.call(
            "POST",
            "/100000000000002/messages",
            token="sim-access-token",
            json={"messaging_product": "whatsapp", "to": CUSTOMER, "text": {"body": "x"}},
        )
        assert status == 400  # the first number's token can't use the second number
        status, _ = await graph.call(
            "POST",
            "/100000000000002/messages",
            token="second-token",
            json={"messaging_product": "whatsapp", "to": CUSTOMER, "text": {"body": "x"}},
        )
        assert status == 200
