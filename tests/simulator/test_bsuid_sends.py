"""Sends in 2026 Meta: ``recipient`` (BSUIDs), status webhooks with ``contacts``, failed-status
variants, 131062, request_contact_info, reactions, and what Meta's servers accept beyond the
contract. pywa 4.5's own parser reads the statuses."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from pywa.client import WhatsApp
from pywa.types.base_update import RawUpdate
from pywa.types.message import Message
from pywa.types.message_status import MessageStatus

from pytake_simulator import Simulator
from pytake_simulator.config import CustomersConfig, MetaVariantsConfig
from pytake_simulator.state import Customer

from .support import CUSTOMER, PHONE_ID, Graph, Receiver, SimFactory, error_of, graph_for

WA = {"messaging_product": "whatsapp"}
TEXT = {**WA, "type": "text", "text": {"body": "Olá"}}


async def hidden_customer(sim: Simulator) -> tuple[Customer, str]:
    """A username customer whose phone the business can't see, with the window open."""
    customer = sim.create_customer(name="Maria Lopes", username="maria.l", phone_visible=False)
    bsuid = sim.user_id(customer)
    await sim.customer(bsuid).send_text("hi")
    return customer, bsuid


def statuses_of(receiver: Receiver, wamid: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(status, the value it came in) for every status webhook of ``wamid``."""
    return [
        (status, value)
        for value in receiver.values()
        for status in value.get("statuses", [])
        if status["id"] == wamid
    ]


def raw_updates(receiver: Receiver, predicate: str) -> list[RawUpdate]:
    """The POST bodies that mention ``predicate``, exactly as pywa's server wraps them."""
    return [
        RawUpdate(
            r.body,
            hmac_header=r.headers["X-Hub-Signature-256"],
            update_hash=hashlib.sha256(r.body).hexdigest(),
        )
        for r in receiver.requests
        if predicate.encode() in r.body
    ]


async def test_sending_to_a_bsuid(sim: Simulator, graph: Graph, receiver: Receiver) -> None:
    customer, bsuid = await hidden_customer(sim)
    sim.set_customer(bsuid, reads=True)
    status, body = await graph.send({**TEXT, "recipient": bsuid, "recipient_type": "individual"})
    assert status == 200
    assert body["contacts"] == [{"input": bsuid, "user_id": bsuid}]
    [ref] = body["messages"]
    assert ref["message_status"] == "accepted"
    message = await sim.wait_for_status(ref["id"], "read")
    assert (message.to, message.addressed_by, message.recipient) == (
        customer.wa_id,
        "user_id",
        bsuid,
    )
    assert sim.outbound_messages(to=bsuid) == [message]  # found by BSUID as by phone
    await sim.wait_settled()
    seen = statuses_of(receiver, ref["id"])
    assert [s["status"] for s, _ in seen] == ["sent", "delivered", "read"]
    for entry, value in seen:
        assert entry["recipient_user_id"] == bsuid
        assert "recipient_id" not in entry
        [contact] = value["contacts"]
        assert contact["user_id"] == bsuid
        assert "wa_id" not in contact  # the phone stays hidden
    # The username only on delivered and read, never on sent.
    assert [v["contacts"][0].get("profile") for _, v in seen] == [
        None,
        {"username": "maria.l"},
        {"username": "maria.l"},
    ]


async def test_a_phone_send_names_the_phone_and_the_bsuid(
    sim: Simulator, graph: Graph, receiver: Receiver
) -> None:
    await sim.customer(CUSTOMER).send_text("hi")
    _, body = await graph.send({**TEXT, "to": CUSTOMER})
    assert body["contacts"] == [{"input": CUSTOMER, "wa_id": CUSTOMER}]
    await sim.wait_for_status(body["messages"][0]["id"], "delivered")
    await sim.wait_settled()
    [(sent, value), *_] = statuses_of(receiver, body["messages"][0]["id"])
    assert sent["recipient_id"] == CUSTOMER
    assert "recipient_user_id" not in sent
    assert value["contacts"] == [{"wa_id": CUSTOMER, "user_id": sim.user_id(CUSTOMER)}]


async def test_pywa_parses_every_status_and_message(
    sim: Simulator, graph: Graph, receiver: Receiver
) -> None:
    """pywa 4.5 failed on every status the simulator sent before (no ``contacts``)."""
    customer, bsuid = await hidden_customer(sim)
    sim.set_customer(bsuid, reads=True)
    _, body = await graph.send({**TEXT, "recipient": bsuid})
    await sim.wait_for_status(body["messages"][0]["id"], "read")
    await sim.wait_settled()
    client = WhatsApp(phone_id=PHONE_ID, token="unused", server=None)
    updates = raw_updates(receiver, body["messages"][0]["id"])
    parsed = [MessageStatus.from_update(client, update) for update in updates]
    assert [s.status.value for s in parsed] == ["sent", "delivered", "read"]
    assert {s.from_user.bsuid for s in parsed} == {bsuid}
    assert parsed[-1].from_user.username == "maria.l"
    [inbound] = raw_updates(receiver, '"from_user_id"')
    message = Message.from_update(client, inbound)
    assert (message.from_user.bsuid, message.from_user.wa_id) == (bsuid, None)
    assert customer.wa_id != bsuid


async def test_to_wins_over_recipient(sim: Simulator, graph: Graph) -> None:
    _, bsuid = await hidden_customer(sim)
    await sim.customer(CUSTOMER).send_text("hi")
    _, body = await graph.send({**TEXT, "to": CUSTOMER, "recipient": bsuid})
    assert body["contacts"] == [{"input": CUSTOMER, "wa_id": CUSTOMER}]
    assert sim.store.outbound[body["messages"][0]["id"]].to == CUSTOMER


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"recipient_type": "business_scoped_user_id"}, "recipient_type"),
        ({}, "The parameter to is required."),
        ({"recipient": "5511999990001"}, "business-scoped user ID"),
    ],
)
async def test_addressing_mistakes_are_code_100(
    graph: Graph, extra: dict[str, Any], fragment: str
) -> None:
    body: dict[str, Any] = {**TEXT, **extra}
    if "recipient_type" in extra:
        body["recipient"] = "BR.1234567890"
    status, answer = await graph.send(body)
    assert status == 400
    code, details = error_of(answer)
    assert code == 100
    assert fragment in details


async def test_a_bsuid_in_to_is_accepted_and_dropped(
    sim: Simulator, graph: Graph, receiver: Receiver
) -> None:
    _, bsuid = await hidden_customer(sim)
    sim.set_customer(bsuid, reads=True)
    status, body = await graph.send({**TEXT, "to": bsuid})
    assert status == 200
    dropped = sim.store.outbound[body["messages"][0]["id"]]
    assert dropped.dropped
    # A later send to the same customer goes all the way; the dropped one never moves.
    _, later = await graph.send({**TEXT, "recipient": bsuid})
    await sim.wait_for_status(later["messages"][0]["id"], "read")
    await sim.wait_settled()
    assert dropped.statuses == []
    assert statuses_of(receiver, dropped.id) == []


async def test_a_bsuid_in_to_can_be_rejected_instead(make_sim: SimFactory) -> None:
    sim = await make_sim(meta=MetaVariantsConfig(bsuid_in_to="reject"))
    async with graph_for(sim) as graph:
        status, body = await graph.send({**TEXT, "to": "BR.1234567890"})
    assert status == 400
    assert error_of(body)[0] == 100


async def test_authentication_templates_to_a_bsuid_are_131062(sim: Simulator, graph: Graph) -> None:
    _, bsuid = await hidden_customer(sim)
    template = {
        "name": "verification_code",
        "language": {"code": "en_US"},
        "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "481516"}]},
            {
                "type": "button",
                "sub_type": "url",
                "index": "0",
                "parameters": [{"type": "text", "text": "481516"}],
            },
        ],
    }
    body = {**WA, "type": "template", "template": template}
    status, answer = await graph.send({**body, "recipient": bsuid})
    assert status == 400
    assert error_of(answer)[0] == 131062
    status, _ = await graph.send({**body, "to": CUSTOMER})
    assert status == 200


async def test_an_unknown_bsuid_fails_with_131026(
    sim: Simulator, graph: Graph, receiver: Receiver
) -> None:
    hello = {"name": "hello_world", "language": {"code": "en_US"}}
    _, body = await graph.send({**WA, "type": "template", "template": hello, "recipient": "US.42"})
    assert body["contacts"] == [{"input": "US.42", "user_id": "US.42"}]
    message = await sim.wait_for_status(body["messages"][0]["id"], "failed")
    assert [e.code for e in message.statuses[-1].errors] == [131026]
    await sim.wait_settled()
    [(failed, value)] = statuses_of(receiver, message.id)
    assert failed["recipient_user_id"] == "US.42"
    assert "contacts" not in value  # the first failure of the alternation has none


@pytest.mark.parametrize("variant", ["alternate", "none", "wa_id"])
async def test_failed_statuses_in_both_variants(
    make_sim: SimFactory, receiver: Receiver, variant: str
) -> None:
    sim = await make_sim(
        customers=CustomersConfig(not_on_whatsapp_prefixes=["1555000"]),
        meta=MetaVariantsConfig.model_validate({"failed_status_contacts": variant}),
    )
    ids = []
    async with graph_for(sim) as graph:
        for n in range(2):
            hello = {"name": "hello_world", "language": {"code": "en_US"}}
            _, body = await graph.send(
                {**WA, "to": f"155500012{n:02d}", "type": "template", "template": hello}
            )
            ids.append(body["messages"][0]["id"])
            await sim.wait_for_status(ids[-1], "failed")
    await sim.wait_settled()
    shapes = [value.get("contacts") for wamid in ids for _, value in statuses_of(receiver, wamid)]
    expected = {
        "alternate": [[{"wa_id": "15550001200"}], None],
        "none": [None, None],
        "wa_id": [[{"wa_id": "15550001200"}], [{"wa_id": "15550001201"}]],
    }
    assert shapes == expected[variant]
    for wamid in ids:
        [(failed, _)] = statuses_of(receiver, wamid)
        assert "recipient_user_id" not in failed
        assert failed["recipient_id"].startswith("1555000")


async def test_reactions_get_only_sent(sim: Simulator, graph: Graph) -> None:
    inbound = await sim.customer(CUSTOMER).send_text("hi")
    sim.set_customer(CUSTOMER, reads=True)
    reaction = {**WA, "to": CUSTOMER, "type": "reaction"}
    _, body = await graph.send({**reaction, "reaction": {"message_id": inbound, "emoji": "👍"}})
    _, text = await graph.send({**TEXT, "to": CUSTOMER})
    await sim.wait_for_status(text["messages"][0]["id"], "read")
    assert await sim.customer(CUSTOMER).read() == []
    assert [s.status for s in sim.store.outbound[body["messages"][0]["id"]].statuses] == ["sent"]


async def test_request_contact_info_is_answered_with_the_card(
    make_sim: SimFactory, receiver: Receiver
) -> None:
    sim = await make_sim(customers=CustomersConfig(answer_contact_requests=True))
    customer, bsuid = await hidden_customer(sim)
    ask = {
        "type": "request_contact_info",
        "body": {"text": "Can we have your number?"},
        "action": {"name": "request_contact_info"},
    }
    async with graph_for(sim) as graph:
        status, body = await graph.send(
            {**WA, "recipient": bsuid, "type": "interactive", "interactive": ask}
        )
    assert status == 200
    request_id = body["messages"][0]["id"]
    await sim.wait_for(lambda: len(sim.store.inbound) == 2, what="the contact-request reply")
    reply = list(sim.store.inbound.values())[-1]
    assert reply.payload["origin"] == "contact_request"
    assert reply.payload["context"]["id"] == request_id
    assert reply.payload["contacts"][0]["phones"][0]["wa_id"] == customer.wa_id
    assert sim.store.outbound[request_id].has("read")
    assert customer.phone_visible  # in the contact book now


async def test_the_request_contact_info_template_outside_the_window(
    sim: Simulator, graph: Graph
) -> None:
    customer = sim.create_customer(username="nina", phone_visible=False)
    bsuid = sim.user_id(customer)
    sim.set_customer(bsuid, shares_phone=True)
    ask = {"name": "share_phone_number", "language": {"code": "en_US"}}
    status, body = await graph.send({**WA, "recipient": bsuid, "type": "template", "template": ask})
    assert status == 200
    await sim.wait_for(lambda: len(sim.store.inbound) == 1, what="the contact-request reply")
    [reply] = sim.store.inbound.values()
    assert reply.payload["context"]["id"] == body["messages"][0]["id"]


async def test_template_rules_for_request_contact_info(sim: Simulator, graph: Graph) -> None:
    def create(category: str, buttons: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "name": f"ask_{category.lower()}_{len(buttons)}",
            "language": "en_US",
            "category": category,
            "components": [
                {"type": "BODY", "text": "Share?"},
                {"type": "BUTTONS", "buttons": buttons},
            ],
        }

    waba = sim.default_number.waba_id
    ask = {"type": "REQUEST_CONTACT_INFO"}
    status, _ = await graph.call(
        "POST", f"/{waba}/message_templates", json=create("UTILITY", [ask])
    )
    assert status == 200
    both = [ask, {"type": "QUICK_REPLY", "text": "No"}]
    status, body = await graph.call(
        "POST", f"/{waba}/message_templates", json=create("MARKETING", both)
    )
    assert status == 400
    assert "combined" in body["error"]["error_data"]["details"]


async def test_meta_accepts_what_the_contract_forbids(sim: Simulator, graph: Graph) -> None:
    await sim.customer(CUSTOMER).send_text("hi")
    params = [{"type": "text", "text": "Ana"}, {"type": "text", "text": "#1"}]
    upper = {
        "name": "order_update",
        "language": {"code": "en_US"},
        "components": [{"type": "BODY", "parameters": params}],
    }
    status, _ = await graph.send({**WA, "to": CUSTOMER, "type": "template", "template": upper})
    assert status == 200
    card = {
        "name": {"formatted_name": "Ana Lima", "first_name": "Ana"},
        "birthday": None,
        "phones": [{"phone": "+55 11 99999-0000", "type": "CELL"}],
    }
    status, _ = await graph.send({**WA, "to": CUSTOMER, "type": "contacts", "contacts": [card]})
    assert status == 200


@pytest.mark.parametrize("field", ["recipient_parent_user_id", "parent_recipient_user_id"])
async def test_sending_to_a_parent_bsuid(
    make_sim: SimFactory, receiver: Receiver, field: str
) -> None:
    sim = await make_sim(
        customers=CustomersConfig(parent_user_ids=True),
        meta=MetaVariantsConfig.model_validate({"status_parent_field": field}),
    )
    customer, bsuid = await hidden_customer(sim)
    parent = customer.parent_user_id
    assert parent is not None
    async with graph_for(sim) as graph:
        _, body = await graph.send({**TEXT, "recipient": parent})
    assert body["contacts"] == [{"input": parent, "user_id": bsuid}]
    await sim.wait_for_status(body["messages"][0]["id"], "delivered")
    await sim.wait_settled()
    for status, value in statuses_of(receiver, body["messages"][0]["id"]):
        assert (status["recipient_user_id"], status[field]) == (bsuid, parent)
        assert value["contacts"][0]["parent_user_id"] == parent
