"""The chat console against the fake daemon over HTTP and WebSocket: search, open, send (once),
the 409 toast, templates, live events, typing, downloads and a reconnect."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSCloseCode
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Button, Input

from pytake_daemon.protocol import (
    ConversationOut,
    ConversationStatus,
    EventEnvelope,
    MessageError,
    MessageReceived,
    MessageStatus,
    MessageStatusUpdated,
    TemplateOut,
    TextOut,
)
from pytake_daemon.protocol.notifications import (
    Delivery,
    LinkKind,
    NotificationCategory,
    NotificationCreated,
    NotificationLink,
    NotificationOut,
    NotificationSeverity,
    UnreadCounts,
)
from pytake_tui import PyTakeApp, build_app
from pytake_tui.connection import LinkState
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.screens import ChatScreen
from pytake_tui.screens.settings import SettingsScreen
from pytake_tui.screens.template_picker import TemplatePicker
from pytake_tui.widgets.composer import Composer
from pytake_tui.widgets.conversation_list import ConversationList
from pytake_tui.widgets.conversation_pane import ConversationPane
from pytake_tui.widgets.thread import MessageBubble, ThreadView

from .fake_daemon import FakeDaemon
from .fake_world import FakeWorld, demo_world
from .helpers import MessageLog, fast_client, wait_until
from .identities import ALICE_EMAIL, ALICE_PASSWORD, FAR_FUTURE, FIXED_AT, TENANT_ID, USER_ID


@pytest.fixture
async def inbox() -> AsyncIterator[FakeDaemon]:
    fake = FakeDaemon(world=demo_world())
    await fake.start()
    yield fake
    await fake.close()


def _app(daemon: FakeDaemon, tmp_path: Path) -> PyTakeApp:
    credentials = tmp_path / "config" / "credentials.json"
    CredentialStore(credentials).save(
        SavedSession(
            server=daemon.url, token=daemon.issue_token(), expires_at=FAR_FUTURE, email=ALICE_EMAIL
        )
    )
    return build_app(
        server=daemon.url,
        credentials_path=credentials,
        client_factory=fast_client,
        clock=lambda: daemon.world.now,
        downloads_dir=tmp_path / "downloads",
    )


def _chat(app: PyTakeApp) -> ChatScreen:
    screen = app.screen
    assert isinstance(screen, ChatScreen)
    return screen


def _listed(app: PyTakeApp) -> list[str]:
    chat = app.screen
    if not isinstance(chat, ChatScreen):
        return []
    options = chat.query_one(ConversationList)
    return [str(options.get_option_at_index(i).id) for i in range(options.option_count)]


def _by_name(world: FakeWorld, name: str) -> ConversationOut:
    return next(c for c in world.conversations.values() if c.contact.profile_name == name)


async def _ready(pilot: Pilot[Any], daemon: FakeDaemon) -> ChatScreen:
    app = pilot.app
    assert isinstance(app, PyTakeApp)
    await wait_until(pilot, lambda: len(_listed(app)) == 4, "the list")
    await wait_until(pilot, lambda: app.connection.state is LinkState.CONNECTED, "the stream")
    return _chat(app)


def _envelope(seq: int, event: Any) -> EventEnvelope:
    return EventEnvelope(seq=seq, tenant_id=TENANT_ID, at=FIXED_AT, event=event)


def _message_notice(
    n: int, conversation_id: uuid.UUID, title: str, body: str
) -> NotificationCreated:
    """The daemon's notification of a customer message, for the console ("console" on)."""
    item = NotificationOut(
        id=uuid.UUID(int=0x3000 + n),
        category=NotificationCategory.MESSAGE,
        severity=NotificationSeverity.INFO,
        title=title,
        body=body,
        link=NotificationLink(kind=LinkKind.CONVERSATION, id=conversation_id),
        group_key=f"message:{conversation_id}",
        group_count=1,
        created_at=FIXED_AT,
        read_at=None,
    )
    return NotificationCreated(
        user_id=USER_ID,
        notification=item,
        unread=UnreadCounts(total=n, by_category={}),
        delivery=Delivery(console=True, desktop=False, sound=False),
    )


async def test_search_filters_the_list_and_mine_come_first(
    inbox: FakeDaemon, tmp_path: Path
) -> None:
    app = _app(inbox, tmp_path)
    ana = _by_name(inbox.world, "Ana Souza")
    async with app.run_test() as pilot:
        await _ready(pilot, inbox)
        assert _listed(app)[0] == str(ana.id)  # assigned to me, though not the most recent
        await pilot.press("slash", *"pix")
        await wait_until(pilot, lambda: _listed(app) == [str(ana.id)], "only Ana")
        await pilot.press("ctrl+a", "ctrl+k")  # clear the search (Input's keys)
        await wait_until(pilot, lambda: len(_listed(app)) == 4, "everyone again")
        await pilot.press("tab", "s")  # to the list; status: open
        await wait_until(pilot, lambda: len(_listed(app)) == 3, "the open ones")


async def test_open_marks_read_and_send_goes_once(inbox: FakeDaemon, tmp_path: Path) -> None:
    app = _app(inbox, tmp_path)
    ana = _by_name(inbox.world, "Ana Souza")
    async with app.run_test() as pilot:
        await _ready(pilot, inbox)
        await pilot.press("enter")
        chat = _chat(app)
        await wait_until(pilot, lambda: len(chat.query(MessageBubble)) == 9, "Ana's thread")
        assert inbox.world.read == [ana.id]
        await wait_until(pilot, lambda: app.title == "PyTake (1)", "one unread left")

        await pilot.press(*"Yes, pix works")
        await wait_until(
            pilot, lambda: any(f.typing for f in inbox.typing_frames), "a typing frame"
        )
        # A double press, and a third once the first answer is in: one message, one key.
        await pilot.press("enter", "enter")
        await wait_until(pilot, lambda: len(chat.query(MessageBubble)) == 10, "the new bubble")
        await pilot.press("enter")
        await pilot.pause()
    assert len(inbox.world.sent) == 1
    sent = inbox.world.sent[0]
    assert isinstance(sent.content, TextOut)
    assert sent.content.body == "Yes, pix works"
    assert sent.idempotency_key
    assert inbox.typing_frames[-1].typing is False


async def test_a_failed_send_keeps_the_draft_and_its_key(inbox: FakeDaemon, tmp_path: Path) -> None:
    log = MessageLog()
    app = _app(inbox, tmp_path)
    async with app.run_test(message_hook=log) as pilot:
        chat = await _ready(pilot, inbox)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(chat.query(MessageBubble)) == 9, "Ana's thread")
        inbox.fail_sends_with = 503
        await pilot.press(*"hello", "enter")
        await wait_until(pilot, lambda: "Not sent: try again" in log.notifications(), "toast")
        assert chat.query_one(Composer).draft.text == "hello"
        inbox.fail_sends_with = None
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(inbox.world.sent) == 1, "the retry")
        await wait_until(pilot, lambda: chat.query_one(Composer).draft.text == "", "cleared")
    assert inbox.send_requests == 2


async def test_window_closed_meanwhile_is_a_toast_with_the_daemons_words(
    inbox: FakeDaemon, tmp_path: Path
) -> None:
    log = MessageLog()
    app = _app(inbox, tmp_path)
    ana = _by_name(inbox.world, "Ana Souza")
    async with app.run_test(message_hook=log) as pilot:
        chat = await _ready(pilot, inbox)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(chat.query(MessageBubble)) == 9, "Ana's thread")
        # The daemon's clock passes the end of the window before the console's countdown does.
        inbox.world.update(ana.id, window=ana.window.model_copy(update={"open": False}))
        await pilot.press(*"still there?", "enter")
        await wait_until(pilot, lambda: bool(log.notifications()), "a toast")
    assert log.notifications()[-1].startswith(
        "Not sent: The customer's last message was more than 24 hours ago"
    )
    assert inbox.world.sent == []


async def test_template_picker_sends_the_filled_template(inbox: FakeDaemon, tmp_path: Path) -> None:
    log = MessageLog()
    app = _app(inbox, tmp_path)
    bruno = _by_name(inbox.world, "Bruno Lima")
    async with app.run_test(message_hook=log) as pilot:
        chat = await _ready(pilot, inbox)
        chat.open_conversation(bruno.id)
        await wait_until(pilot, lambda: chat.query_one(Composer).draft.disabled, "closed window")
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: isinstance(app.screen, TemplatePicker), "the picker")
        await wait_until(pilot, lambda: len(app.screen.query("#fields Input")) == 3, "the form")
        await pilot.press("enter", *"Bruno", "enter", "ctrl+s")  # the third one is missing
        await wait_until(pilot, lambda: bool(log.notifications()), "a validation toast")
        assert "Check the template's values" in log.notifications()[0]
        assert isinstance(app.screen, TemplatePicker)
        await pilot.press(*"#987", "enter", *"today", "enter")
        await wait_until(pilot, lambda: len(inbox.world.sent) == 1, "the template sent")
        await wait_until(pilot, lambda: len(chat.query(MessageBubble)) == 1, "its bubble")
    content = inbox.world.sent[0].content
    assert isinstance(content, TemplateOut)
    assert (content.name, content.body_parameters) == ("order_update", ["Bruno", "#987", "today"])


async def test_live_events_toast_update_the_thread_and_ring_when_asked(
    inbox: FakeDaemon, tmp_path: Path
) -> None:
    log = MessageLog()
    app = _app(inbox, tmp_path)
    world = inbox.world
    ana = _by_name(world, "Ana Souza")
    unknown = next(c for c in world.conversations.values() if c.contact.profile_name is None)
    app.preferences = app.preferences.model_copy(update={"bell_new_messages": True})
    rings: list[None] = []
    app.bell = lambda: rings.append(None)  # type: ignore[method-assign]
    async with app.run_test(message_hook=log) as pilot:
        chat = await _ready(pilot, inbox)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(chat.query(MessageBubble)) == 9, "Ana's thread")

        # A customer writes in another conversation: a toast (with the bell), and the list
        # moves it up.
        newer = world.update(
            unknown.id, unread_count=2, last_message_at=FIXED_AT, last_message_preview="Hello?"
        )
        message = world.add_message(newer, "in", "Hello?", ago=timedelta(0))
        await inbox.send(_envelope(11, MessageReceived(conversation=newer, message=message)))
        # The toast is the daemon's notification of it (its delivery carries the user's quiet
        # hours and switches); this terminal adds the bell its settings ask for.
        notice = _message_notice(1, unknown.id, "+447700900123: new message", "Hello?")
        await inbox.send(_envelope(12, notice))
        await wait_until(pilot, lambda: bool(log.notifications()), "a toast")
        assert log.notifications() == ["+447700900123: new message: Hello?"]
        assert len(rings) == 1
        await wait_until(pilot, lambda: _listed(app)[1] == str(unknown.id), "moved up")
        # One about the conversation being read: no toast (the failure below comes next).
        await inbox.send(_envelope(13, _message_notice(2, ana.id, "Ana Souza: new message", "hi")))

        # Ana's pending message is delivered, then one of ours fails: updated in place.
        pending = next(m for m in world.messages[ana.id] if m.status is MessageStatus.PENDING)
        error = MessageError(code=131047, title="Re-engagement message", explanation="Too late.")
        delivered = MessageStatusUpdated(
            conversation_id=ana.id,
            message_id=pending.id,
            wa_message_id=pending.wa_message_id,
            status=MessageStatus.DELIVERED,
            error=None,
        )
        await inbox.send(_envelope(14, delivered))
        thread = chat.query_one(ThreadView)

        def status() -> MessageStatus | None:
            shown = thread.message(pending.id)
            return shown.status if shown is not None else None

        await wait_until(pilot, lambda: status() is MessageStatus.DELIVERED, "delivered")
        failed = MessageStatusUpdated(
            conversation_id=ana.id,
            message_id=pending.id,
            wa_message_id=pending.wa_message_id,
            status=MessageStatus.FAILED,
            error=error,
        )
        # Failed ranks below delivered: a late failure never hides a delivery.
        await inbox.send(_envelope(15, failed))
        await wait_until(pilot, lambda: len(log.notifications()) == 2, "the failure toast")
        assert log.notifications()[1] == "Message not delivered: Too late."
        assert len(rings) == 1
        assert status() is MessageStatus.DELIVERED


async def test_download_saves_the_medium(inbox: FakeDaemon, tmp_path: Path) -> None:
    log = MessageLog()
    app = _app(inbox, tmp_path)
    async with app.run_test(message_hook=log) as pilot:
        chat = await _ready(pilot, inbox)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(chat.query(MessageBubble)) == 9, "Ana's thread")
        chat.query_one(ThreadView).focus()
        await pilot.press(*"kkkkkk", "d")  # from the newest up to the image
        await wait_until(pilot, lambda: bool(log.notifications()), "a toast")
    (saved,) = (tmp_path / "downloads").iterdir()
    assert saved.suffix == ".jpg"
    assert saved.read_bytes() == b"\xff\xd8\xff fake jpeg"
    assert log.notifications() == [f"Downloaded: saved to {saved}"]


async def test_resolve_and_reopen(inbox: FakeDaemon, tmp_path: Path) -> None:
    app = _app(inbox, tmp_path)
    ana = _by_name(inbox.world, "Ana Souza")
    async with app.run_test() as pilot:
        chat = await _ready(pilot, inbox)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(chat.query(MessageBubble)) == 9, "Ana's thread")
        await pilot.press("ctrl+r")
        await wait_until(
            pilot,
            lambda: inbox.world.conversations[ana.id].status is ConversationStatus.RESOLVED,
            "resolved",
        )
        await pilot.press("ctrl+r")
        await wait_until(
            pilot,
            lambda: inbox.world.conversations[ana.id].status is ConversationStatus.OPEN,
            "reopened",
        )


async def test_a_conversation_asked_for_before_the_pane_has_children_opens_once_it_has(
    inbox: FakeDaemon, tmp_path: Path
) -> None:
    # Insights, reports and notifications switch to the chat and open a conversation at once;
    # shown for the first time, the chat's pane may not have composed yet (CI once failed here).
    app = _app(inbox, tmp_path)
    ana = _by_name(inbox.world, "Ana Souza")
    async with app.run_test() as pilot:
        await _ready(pilot, inbox)
        assert app.client is not None
        pane = ConversationPane(client=app.client, me=USER_ID, clock=lambda: FIXED_AT, names={})
        pane.open_conversation(ana.id)
        await app.push_screen(Screen())
        await app.screen.mount(pane)
        await wait_until(pilot, lambda: pane.open is not None, "the conversation read")
        assert pane.open is not None
        assert pane.open.id == ana.id
        assert pane.composer.display
        await wait_until(pilot, lambda: len(pane.query(MessageBubble)) == 9, "Ana's thread")


async def test_reconnect_resyncs_what_was_missed(inbox: FakeDaemon, tmp_path: Path) -> None:
    app = _app(inbox, tmp_path)
    async with app.run_test() as pilot:
        await _ready(pilot, inbox)
        await inbox.drop_sockets(WSCloseCode.GOING_AWAY)
        # While the console is away a new customer writes; no event will ever tell it.
        newcomer = inbox.world.add_conversation(9, "Dora", "5511999990009", preview="oi")
        await wait_until(pilot, lambda: inbox.ws_accepted == 2, "the reconnection")
        await wait_until(pilot, lambda: str(newcomer.id) in _listed(app), "the resync")


async def test_settings_changes_the_password_and_says_why_when_it_cannot(
    inbox: FakeDaemon, tmp_path: Path
) -> None:
    log = MessageLog()
    app = _app(inbox, tmp_path)
    async with app.run_test(message_hook=log) as pilot:
        await _ready(pilot, inbox)
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen), "settings")
        screen = app.screen

        def fill(current: str, new: str, again: str) -> None:
            screen.query_one("#current-password", Input).value = current
            screen.query_one("#new-password", Input).value = new
            screen.query_one("#confirm-password", Input).value = again

        def press() -> None:
            # The button may sit below the fold at 80x24: press it as a tap would.
            screen.query_one("#change-password", Button).press()

        fill(ALICE_PASSWORD, "a-new-passphrase", "a-different-one")
        press()
        await wait_until(pilot, lambda: bool(log.notifications()), "a local check")
        assert "differ" in log.notifications()[-1]

        fill("not-it", "a-new-passphrase", "a-new-passphrase")
        press()
        await wait_until(
            pilot,
            lambda: (
                len(log.notifications()) > 1 and "Password not changed" in log.notifications()[-1]
            ),
            f"the daemon's refusal (toasts: {log.notifications()})",
        )
        assert "current password is not correct" in log.notifications()[-1]

        fill(ALICE_PASSWORD, "a-new-passphrase", "a-new-passphrase")
        press()
        await wait_until(pilot, lambda: inbox.password_changes == ["a-new-passphrase"], "sent")
        await wait_until(
            pilot, lambda: screen.query_one("#new-password", Input).value == "", "form cleared"
        )
    assert "Password changed" in log.notifications()[-1]
