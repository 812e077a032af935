"""Issue 17, the daemon half of a conversation's life, end to end from the customers' phones
(webhook → flow → queue → outbox → simulator):

* a customer who opens with a question, not a greeting, is answered (the universal trigger);
* the flow's hand-over leaves before the queue's welcome; places told are unique and true;
  no estimate without measured figures; a customer assigned at once is told no place;
* list rows and the one-conversation GET name the assignee and the queue;
* closing asks for a rating; the rating (and a 👍) keeps the conversation resolved; a real
  message reopens it into its last queue, where the monitor sees it;
* the thread carries the system lines (queued, assigned, closed, rated, reopened) in order,
  with names, and open consoles get them live.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from pytake_daemon.protocol import ConversationOut, MessageList, MessageSent, Role
from pytake_daemon.protocol.agents import SatisfactionReceived
from pytake_daemon.protocol.conversations import ConversationStatus, TimelineKind
from pytake_daemon.protocol.events import ConversationEventAdded, MessageReceived
from pytake_daemon.protocol.queues import QueueItemChanged, QueueOut
from tests.queues.support import Monitor, eventually
from tests.queues.test_done_when_flow import World, world  # noqa: F401
from tests.whatsapp.wa_support import digits


def _flow(queue_id: str) -> dict[str, Any]:
    return {
        "name": "hand-over",
        "definition": {
            "nodes": [
                {"id": "hi", "type": "trigger_keyword", "keywords": ["oi"], "match": "equals"},
                {"id": "any", "type": "trigger_universal"},
                {"id": "greet", "type": "msg_text", "text": "Olá!"},
                {"id": "to_support", "type": "action_transfer_to_queue", "queueId": queue_id,
                 "queueName": "Support", "priority": 0, "message": "Passing you to support.",
                 "waitTimeoutMinutes": 60, "fallbackAction": "keep_waiting"},
            ],
            "edges": [
                {"source": "hi", "target": "greet"},
                {"source": "any", "target": "to_support"},
            ],
        },
    }  # fmt: skip


async def test_a_conversation_told_in_order_closed_rated_and_reopened_into_its_queue(
    # test_done_when_flow's fixture, imported above to be found (as test_done_when_e2e does).
    world: World,  # noqa: F811
) -> None:
    api, sim, tenant = world.api, world.sim, world.tenant
    admin, supervisor = tenant[Role.ADMIN].headers, tenant[Role.SUPERVISOR].headers
    agent = tenant[Role.AGENT]
    resp = await api.post(
        "/api/v1/queues",
        json={
            "name": "Support",
            "welcome_message": "You are number {position} in {queue}[ (~{wait_minutes} min)].",
        },
        headers=admin,
    )
    assert resp.status == 201, await resp.text()
    queue = QueueOut.model_validate(await resp.json())
    resp = await api.post("/api/v1/flows", json=_flow(str(queue.id)), headers=admin)
    assert resp.status == 201, await resp.text()
    resp = await api.post(
        f"/api/v1/flows/{(await resp.json())['id']}/publish", json={}, headers=admin
    )
    assert resp.status == 200, await resp.text()
    ws = await api.ws_connect("/api/v1/ws", headers=supervisor)
    await ws.receive_str()  # hello
    monitor = Monitor(ws)

    # Nobody online: a question (no greeting) is answered; the hand-over comes first, then the
    # place, unique per customer and without an estimate (nothing measured yet).
    first, second, third = digits(12), digits(12), digits(12)
    await sim.customer(first).send_text("Cadê o meu pedido? Já faz uma semana")
    await world.told(first, "You are number 1 in Support.")
    await sim.customer(second).send_text("hello?")
    await world.told(second, "You are number 2 in Support.")
    assert world.texts(first) == ["Passing you to support.", "You are number 1 in Support."]
    assert world.texts(second) == ["Passing you to support.", "You are number 2 in Support."]
    entered = await monitor.next(QueueItemChanged, 2)
    conversation = {e.item.contact_wa_id: e.item.conversation_id for e in entered}
    # Open threads see the places as they are queued, not only when reloaded.
    placed = await _next(
        monitor, MessageSent, lambda e: e.message.text == "You are number 1 in Support."
    )
    assert placed.conversation.id == conversation[first]
    assert placed.message.direction == "out"

    # An agent with room for all: the two waiting are assigned, and a third customer is
    # assigned at once and told no place at all.
    resp = await api.put(
        f"/api/v1/agents/{agent.id}/status",
        json={"status": "online", "capacity": 3},
        headers=supervisor,
    )
    assert resp.status == 200, await resp.text()
    await sim.customer(third).send_text("preciso de ajuda")
    await world.told(third, "Passing you to support.")

    async def all_assigned() -> list[ConversationOut]:
        resp = await api.get(
            "/api/v1/conversations", params={"agent": str(agent.id)}, headers=supervisor
        )
        rows = [ConversationOut.model_validate(r) for r in (await resp.json())["items"]]
        return rows if len(rows) == 3 else []

    rows = await eventually(all_assigned, what="three conversations assigned")
    for row in rows:  # list rows name the assignee and the queue
        assert row.assignee is not None
        assert row.assignee.id == agent.id
        assert row.assignee.name  # the user's display name
        assert row.queue is not None
        assert (row.queue.id, row.queue.name) == (queue.id, "Support")
    third_id = next(r.id for r in rows if r.contact.wa_id == third)
    told_third = await api.get(f"/api/v1/conversations/{third_id}/messages", headers=supervisor)
    out = [m.text for m in MessageList.model_validate(await told_third.json()).items]
    assert [t for t in out if t.startswith("You are number")] == []

    # The agent closes the first: the rating question; the customer taps Great, then a 👍:
    # still resolved, in no queue, nobody answers.
    first_id = conversation[first]
    resp = await api.patch(
        f"/api/v1/conversations/{first_id}/status",
        json={"status": "resolved"},
        headers=agent.headers,
    )
    assert resp.status == 200, await resp.text()

    def rating_question() -> list[Any]:
        return [m for m in sim.outbound_messages(to=first) if m.type == "interactive"]

    await sim.wait_for(lambda: bool(rating_question()), 10, "the rating question")
    asked = await _next(
        monitor,
        MessageSent,
        lambda e: e.conversation.id == first_id and e.message.type == "buttons",
    )
    assert asked.message.direction == "out"  # open threads show the question as it is queued
    buttons = rating_question()[0].body["interactive"]["action"]["buttons"]
    # By its rating, not its title: the buttons speak the customer's language, which the
    # analysis of their first message may or may not have remembered by now.
    great = next(b["reply"] for b in buttons if b["reply"]["id"].endswith(":5"))
    await sim.customer(first).reply_button(great["id"], great["title"])
    (rated,) = await monitor.next(SatisfactionReceived, 1)
    assert rated.rating == 5
    await sim.customer(first).react("👍")
    await eventually(
        lambda: _received(monitor, first_id, "reaction"), what="the reaction processed"
    )
    resp = await api.get(f"/api/v1/conversations/{first_id}", headers=supervisor)
    closed = ConversationOut.model_validate(await resp.json())
    assert (closed.status, closed.queue, closed.assignee) == (
        ConversationStatus.RESOLVED,
        None,
        None,
    )
    sent_before = len(sim.outbound_messages(to=first))

    # A real message reopens it into Support, where the monitor sees it (and the agent, who
    # has room, gets it back); the bot stays silent.
    await sim.customer(first).send_text("One more thing: the tracking code?")
    back = await _next(
        monitor,
        QueueItemChanged,
        lambda e: e.item.conversation_id == first_id and e.transition == "entered",
    )
    assert back.item.queue_id == queue.id
    assert back.item.source == "reopen"
    reopened = await _next(
        monitor, ConversationEventAdded, lambda e: e.event.kind == TimelineKind.REOPENED
    )
    assert reopened.event.conversation_id == first_id

    async def thread() -> list[Any]:
        resp = await api.get(f"/api/v1/conversations/{first_id}/messages", headers=supervisor)
        page = MessageList.model_validate(await resp.json())
        kinds = [e.kind for e in reversed(page.events)]
        return [page, kinds] if kinds.count(TimelineKind.ASSIGNED) == 2 else []

    page, kinds = await eventually(thread, what="the reopened conversation assigned again")
    assert kinds == [
        TimelineKind.QUEUED,
        TimelineKind.ASSIGNED,
        TimelineKind.CLOSED,
        TimelineKind.RATED,
        TimelineKind.REOPENED,
        TimelineKind.ASSIGNED,
    ]
    by_kind = {e.kind: e for e in page.events}
    assert by_kind[TimelineKind.CLOSED].actor is not None
    assert by_kind[TimelineKind.CLOSED].actor.id == agent.id
    assert by_kind[TimelineKind.RATED].detail == {"rating": 5}
    assert by_kind[TimelineKind.REOPENED].queue is not None
    assert by_kind[TimelineKind.REOPENED].queue.name == "Support"
    assert by_kind[TimelineKind.QUEUED].queue is not None
    # The thread's own order: what the customer wrote, the hand-over, then the place.
    texts = [m.text for m in reversed(page.items)]
    start = texts.index("Cadê o meu pedido? Já faz uma semana")
    assert texts[start : start + 3] == [
        "Cadê o meu pedido? Já faz uma semana",
        "Passing you to support.",
        "You are number 1 in Support.",
    ]
    assert len(sim.outbound_messages(to=first)) == sent_before  # the bot said nothing more
    await ws.close()


async def _next(monitor: Monitor, wanted: type, match: Callable[[Any], bool]) -> Any:
    """The next event of a type that matches (the others of that type are passed over)."""
    while True:
        (event,) = await monitor.next(wanted, 1)
        if match(event):
            return event


async def _received(monitor: Monitor, conversation_id: uuid.UUID, kind: str) -> bool:
    (event,) = await monitor.next(MessageReceived, 1)
    found: bool = event.conversation.id == conversation_id and event.message.type == kind
    return found
