"""The fan-out's flow steps in rounds (flows/rounds.py): one webhook carrying two customers'
messages, two of them from the same customer, is stepped as Meta ordered it; the second message
continues the session the first started, in the same batch."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from pytake_daemon.flows.rounds import rounds
from tests.flows.builders import chain
from tests.flows.test_live import World, shown, world  # noqa: F401 - its fixture
from tests.whatsapp.wa_support import Number, digits, envelope, post_signed, text_message


@dataclass(frozen=True)
class _Conversation:
    id: uuid.UUID


def test_rounds_take_one_message_of_each_conversation_in_order() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    pairs = [(a, "a1"), (b, "b1"), (a, "a2"), (a, "a3")]
    split = rounds([(_Conversation(c), text) for c, text in pairs])
    assert [[(c.id, text) for c, text in round_] for round_ in split] == [
        [(a, "a1"), (b, "b1")],
        [(a, "a2")],
        [(a, "a3")],
    ]


async def test_two_messages_of_one_customer_in_one_webhook_are_stepped_in_order(
    world: World,  # noqa: F811 - the fixture imported above, by name
) -> None:
    flow_id = await world.publish(
        chain(
            {"id": "q", "type": "ask", "question": "Seu nome?", "variable": "nome"},
            {"id": "hi", "type": "msg_text", "text": "Oi, {{nome}}!"},
            {"id": "bye", "type": "msg_text", "text": "Tchau!"},
        )
    )
    first, second = digits(12), digits(12)
    sim = world.sim
    number = sim.default_number
    # One POST, as Meta batches: the first customer's "oi" and name, the second's "oi"; sent
    # now (the replies need the customer-service window open).
    now = int(time.time())
    messages = [
        text_message(first, "oi", ts=now),
        text_message(second, "oi", ts=now),
        text_message(first, "Ana", ts=now + 1),
    ]
    payload = envelope(
        Number(
            uuid.uuid4(),
            number.phone_number_id,
            number.waba_id,
            sim.config.app_secret,
            sim.config.verify_token,
            number.access_token,
        ),
        messages=messages,
    )
    status, text = await post_signed(world.api, payload, sim.config.app_secret)
    assert status == 200, text
    await world.bot_says(first, "Tchau!")
    await world.bot_says(second, "Seu nome?")
    # The round's replies are queued together at its end, each conversation's in order.
    assert [shown(m) for m in sim.outbound_messages(to=first)] == [
        "Seu nome?",
        "Oi, Ana!",
        "Tchau!",
    ]
    assert [shown(m) for m in sim.outbound_messages(to=second)] == ["Seu nome?"]
    resp = await world.api.get(f"/api/v1/flows/{flow_id}/sessions", headers=world.admin)
    sessions = (await resp.json())["items"]
    assert len(sessions) == 2
    steps = {}
    for listed in sessions:
        resp = await world.api.get(f"/api/v1/flow-sessions/{listed['id']}", headers=world.admin)
        session = await resp.json()
        steps[session["status"]] = [s["node_id"] for s in session["steps"]]
    # The first customer's session ended after the greeting; the second's waits on the ask.
    assert steps == {"ended": ["start", "q", "q", "hi", "bye"], "active": ["start", "q"]}
