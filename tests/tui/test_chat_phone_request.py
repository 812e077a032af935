"""Asking a username customer for their phone number from the chat console (alt+p): the request
goes to the daemon, the message it queued joins the thread, and a refusal is a toast with the
daemon's sentence; so is a send refused because the customer has no phone (131062)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from pytake_daemon.protocol import MessageOut
from pytake_daemon.protocol.outgoing import (
    PhoneRequest,
    RequestContactInfoOut,
    SendMessageRequest,
)
from pytake_daemon.whatsapp.meta_errors import explain
from pytake_tui.client import DaemonError
from pytake_tui.screens import ChatScreen
from pytake_tui.widgets.thread import MessageBubble

from .chat_actions_support import ActionsClient, ActionsWorld, actions_app, actions_world
from .chat_support import open_first
from .helpers import MessageLog, wait_until

NO_TEMPLATE = (
    "More than 24 hours have passed since the customer last wrote, so the phone number can only "
    "be asked with an approved utility template that has a 'Share contact info' button "
    "(REQUEST_CONTACT_INFO) and no variables."
)


def _answering(client: ActionsClient, world: ActionsWorld, refusal: str | None) -> list[Any]:
    """Make ``client.request_phone`` answer as the daemon would; the requests it got."""
    requests: list[tuple[uuid.UUID, PhoneRequest]] = []

    async def request_phone(conversation_id: uuid.UUID, request: PhoneRequest) -> MessageOut:
        requests.append((conversation_id, request))
        if refusal is not None:
            raise DaemonError(409, "Conflict", refusal)
        content = RequestContactInfoOut(body="To continue, please share your phone number.")
        message, _ = world.send(conversation_id, SendMessageRequest(content=content))
        return message

    # A recording stand-in for the one client call under test (the daemon side has its own tests).
    client.request_phone = request_phone  # type: ignore[method-assign]
    return requests


async def test_alt_p_asks_for_the_phone_and_the_request_joins_the_thread(tmp_path: Path) -> None:
    log = MessageLog()
    world = actions_world()
    app, client = actions_app(tmp_path, world)
    requests = _answering(client, world, refusal=None)
    async with app.run_test(message_hook=log) as pilot:
        chat = await open_first(pilot, bubbles=10)
        before = len(chat.query(MessageBubble))
        await pilot.press("alt+p")
        await wait_until(pilot, lambda: len(chat.query(MessageBubble)) == before + 1, "the bubble")
        await wait_until(pilot, lambda: bool(log.notifications()), "the toast")
    ((conversation_id, request),) = requests
    assert conversation_id in world.conversations
    assert request.text is None
    assert request.idempotency_key is not None
    assert [n for n in log.notifications() if "share their phone number" in n]
    (sent,) = world.sent
    assert sent.content.type == "request_contact_info"


async def test_a_refusal_is_a_toast_with_the_daemons_sentence(tmp_path: Path) -> None:
    log = MessageLog()
    world = actions_world()
    app, client = actions_app(tmp_path, world)
    requests = _answering(client, world, refusal=NO_TEMPLATE)
    async with app.run_test(message_hook=log) as pilot:
        chat = await open_first(pilot, bubbles=10)
        before = len(chat.query(MessageBubble))
        await pilot.press("alt+p")
        await wait_until(pilot, lambda: bool(log.notifications()), "the toast")
        assert len(chat.query(MessageBubble)) == before
    assert len(requests) == 1
    assert log.notifications() == [f"Phone not asked: {NO_TEMPLATE}"]
    assert world.sent == []


async def test_alt_p_needs_an_open_conversation(tmp_path: Path) -> None:
    log = MessageLog()
    world = actions_world()
    app, client = actions_app(tmp_path, world)
    requests = _answering(client, world, refusal=None)
    async with app.run_test(message_hook=log) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), "the chat")
        await pilot.press("alt+p")
        await wait_until(pilot, lambda: bool(log.notifications()), "the toast")
    assert log.notifications() == [": Open a conversation first"]
    assert requests == []


async def test_a_send_refused_for_a_username_customer_is_a_toast_with_131062s_sentence(
    tmp_path: Path,
) -> None:
    # An authentication template to a customer without a phone: the daemon refuses it (409)
    # before Meta is called, with the sentence of Meta's 131062.
    log = MessageLog()
    world = actions_world()
    app, client = actions_app(tmp_path, world)
    refused: list[SendMessageRequest] = []

    async def send_message(conversation_id: uuid.UUID, request: SendMessageRequest) -> MessageOut:
        refused.append(request)
        raise DaemonError(409, "Conflict", explain(131062))

    # A stand-in that refuses like the daemon does, so the toast can be checked without a send.
    client.send_message = send_message  # type: ignore[method-assign]
    async with app.run_test(message_hook=log) as pilot:
        chat = await open_first(pilot, bubbles=10)
        before = len(chat.query(MessageBubble))
        await pilot.press(*"your code", "enter")
        await wait_until(pilot, lambda: bool(log.notifications()), "the toast")
        assert len(chat.query(MessageBubble)) == before
    assert len(refused) == 1
    assert log.notifications() == [f"Not sent: {explain(131062)}"]
