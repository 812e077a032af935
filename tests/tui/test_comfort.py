"""The console's comfort (#17): a list that holds still, enter in search, a thread that follows,
ticks that follow every status, the footer's keys, the icon legend, snooze and the toasts —
driven through the app on a scripted tenant whose stream the test feeds (``client.push``)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static
from textual.widgets._toast import Toast

from pytake_daemon.protocol import (
    ConversationOut,
    ConversationStatus,
    MessageReceived,
    MessageSent,
    MessageStatus,
    MessageStatusUpdated,
)
from pytake_tui.screens import ChatScreen
from pytake_tui.screens.help import HelpScreen
from pytake_tui.widgets.composer import Composer
from pytake_tui.widgets.conversation_list import FRESH_MARK, ConversationList
from pytake_tui.widgets.key_footer import KeyFooter
from pytake_tui.widgets.thread import MessageBubble, ThreadView

from .chat_actions_support import ActionsClient, ActionsWorld, actions_app, actions_world
from .helpers import wait_until

MINUTE = timedelta(minutes=1)


def _named(world: ActionsWorld, name: str | None) -> ConversationOut:
    return next(c for c in world.conversations.values() if c.contact.profile_name == name)


def _rows(chat: ChatScreen) -> list[str]:
    options = chat.query_one(ConversationList)
    return [str(options.get_option_at_index(i).id) for i in range(options.option_count)]


def _row_text(chat: ChatScreen, conversation_id: uuid.UUID) -> str:
    options = chat.query_one(ConversationList)
    return str(options.get_option(str(conversation_id)).prompt)


async def _listed(pilot: Pilot[Any]) -> ChatScreen:
    def ready() -> bool:
        screen = pilot.app.screen
        return isinstance(screen, ChatScreen) and len(_rows(screen)) == 4

    await wait_until(pilot, ready, "the list")
    chat = pilot.app.screen
    assert isinstance(chat, ChatScreen)
    return chat


async def _open(pilot: Pilot[Any], chat: ChatScreen, conversation_id: uuid.UUID) -> None:
    await wait_until(
        pilot,
        lambda: chat.pane.open is not None and chat.pane.open.id == conversation_id,
        "the thread",
    )
    await pilot.pause()


def _customer_writes(
    world: ActionsWorld, client: ActionsClient, conversation: ConversationOut, text: str
) -> ConversationOut:
    """A new message from the customer, as the daemon announces it (the newest of all)."""
    world.now += MINUTE
    message = world.add_message(conversation, "in", text, ago=timedelta(0))
    changed = world.update(
        conversation.id,
        last_message_at=world.now,
        last_message_preview=text,
        unread_count=conversation.unread_count + 1,
    )
    client.push(MessageReceived(conversation=changed, message=message))
    return changed


async def test_the_list_holds_still_news_is_marked_and_o_sorts_again(tmp_path: Path) -> None:
    world = actions_world()
    app, client = actions_app(tmp_path, world)
    carla, other = _named(world, "Carla Dias"), _named(world, None)
    async with app.run_test() as pilot:
        chat = await _listed(pilot)
        before = _rows(chat)
        await pilot.press("down")  # the cursor on the second row (the unnamed customer)
        assert before[1] == str(other.id)
        _customer_writes(world, client, carla, "One more thing")
        await wait_until(pilot, lambda: FRESH_MARK in _row_text(chat, carla.id), "the mark")
        assert _rows(chat) == before  # Carla's news did not move any row
        await pilot.press("enter")  # opens the row under the cursor, as seen
        await _open(pilot, chat, other.id)
        chat.sidebar.focus_list()
        await pilot.press("o")
        await wait_until(pilot, lambda: _rows(chat)[1] == str(carla.id), "sorted again")
        assert FRESH_MARK not in _row_text(chat, carla.id)


async def test_enter_in_the_search_opens_the_match(tmp_path: Path) -> None:
    world = actions_world()
    app, _ = actions_app(tmp_path, world)
    bruno = _named(world, "Bruno Lima")
    async with app.run_test() as pilot:
        chat = await _listed(pilot)
        await pilot.press("slash", *"brun", "enter")  # at once: no wait for the debounce
        await _open(pilot, chat, bruno.id)
        assert _rows(chat) == [str(bruno.id)]


async def test_the_thread_follows_new_messages_with_suggestions_open_unless_scrolled_up(
    tmp_path: Path,
) -> None:
    world = actions_world()
    app, client = actions_app(tmp_path, world)
    ana = _named(world, "Ana Souza")
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await _listed(pilot)
        await pilot.press("enter")
        await _open(pilot, chat, ana.id)
        thread = chat.query_one(ThreadView)
        composer = chat.query_one(Composer)
        await pilot.press("ctrl+space")
        await wait_until(pilot, lambda: len(composer.suggestions) == 3, "the suggestions")
        await pilot.pause()
        assert thread.scroll_y == thread.max_scroll_y  # still at the newest, panel open

        _customer_writes(world, client, ana, "Are you there?")
        await wait_until(pilot, lambda: _last_text(thread) == "Are you there?", "new message")
        await pilot.pause()
        assert thread.scroll_y == thread.max_scroll_y > 0

        thread.scroll_to(y=0, animate=False)  # the agent reads back
        await pilot.pause()
        _customer_writes(world, client, ana, "Hello?")
        await wait_until(pilot, lambda: _last_text(thread) == "Hello?", "another")
        await pilot.pause()
        assert thread.scroll_y == 0

        thread.focus()
        await pilot.press("end")  # back at the end: it follows again
        _customer_writes(world, client, ana, "Thanks")
        await wait_until(pilot, lambda: _last_text(thread) == "Thanks", "the third")
        await pilot.pause()
        assert thread.scroll_y == thread.max_scroll_y


def _last_text(thread: ThreadView) -> str:
    bubbles = list(thread.query(MessageBubble))
    return bubbles[-1].message.text if bubbles else ""


async def test_a_reply_ticks_even_when_its_status_came_before_it(tmp_path: Path) -> None:
    world = actions_world()
    app, client = actions_app(tmp_path, world)
    ana = _named(world, "Ana Souza")
    async with app.run_test() as pilot:
        chat = await _listed(pilot)
        await pilot.press("enter")
        await _open(pilot, chat, ana.id)
        reply = world.add_message(ana, "out", "On its way", ago=timedelta(0))
        pending = reply.model_copy(update={"status": MessageStatus.PENDING})
        # The sender's news overtakes the announcement of the reply itself.
        for status in (MessageStatus.SENT, MessageStatus.DELIVERED):
            client.push(
                MessageStatusUpdated(
                    conversation_id=ana.id,
                    message_id=reply.id,
                    wa_message_id=reply.wa_message_id,
                    status=status,
                    error=None,
                )
            )
        client.push(MessageSent(conversation=world.get(ana.id), message=pending))
        thread = chat.query_one(ThreadView)
        await wait_until(pilot, lambda: thread.message(reply.id) is not None, "the reply")
        shown = thread.message(reply.id)
        assert shown is not None
        assert shown.status is MessageStatus.DELIVERED
        bubble = next(b for b in thread.query(MessageBubble) if b.message.id == reply.id)
        assert "✓✓ delivered" in str(bubble.render())


async def test_the_footer_shows_the_keys_of_the_open_conversation(tmp_path: Path) -> None:
    world = actions_world()
    app, _ = actions_app(tmp_path, world)
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await _listed(pilot)
        footer = chat.query_one(KeyFooter)
        keys = dict(footer.items())
        assert "^o" not in keys  # nothing open: the actions would only say so
        assert keys["f6"] == "Insights"
        await pilot.press("enter")
        await _open(pilot, chat, _named(world, "Ana Souza").id)
        keys = dict(footer.items())
        for key, label in (("^o", "Transfer"), ("alt+c", "Close"), ("^n", "Note")):
            assert keys[key] == label
        assert keys["f6"] == "Insights"  # the draft has focus and no longer takes f6
        shown = str(footer.render())
        assert "f6 Insights" in shown
        assert "^o Transfer" in shown
        await pilot.press("f6")
        await wait_until(pilot, lambda: not isinstance(app.screen, ChatScreen), "Insights")


async def test_help_shows_the_icon_legend(tmp_path: Path) -> None:
    app, _ = actions_app(tmp_path, actions_world())
    async with app.run_test(size=(80, 24)) as pilot:
        await _listed(pilot)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        legend = str(app.screen.query_one("#help-legend", Static).render())
        assert "✓✓" in legend
        assert "☾" in legend
        assert FRESH_MARK in legend


async def test_snooze_and_wake_with_alt_s(tmp_path: Path) -> None:
    world = actions_world()
    app, client = actions_app(tmp_path, world)
    ana = _named(world, "Ana Souza")
    async with app.run_test() as pilot:
        chat = await _listed(pilot)
        await pilot.press("enter")
        await _open(pilot, chat, ana.id)
        await pilot.press("alt+s")
        await wait_until(pilot, lambda: world.get(ana.id).status.value == "snoozed", "snoozed")
        title = chat.query_one("#thread-title", Static)
        await wait_until(pilot, lambda: "snoozed" in str(title.render()), "the header")
        await pilot.press("alt+s")
        await wait_until(
            pilot, lambda: world.get(ana.id).status is ConversationStatus.OPEN, "woken"
        )
    statuses = [body for method, path, body in client.calls if path.endswith("/status")]
    assert statuses == [ConversationStatus.SNOOZED, ConversationStatus.OPEN]


async def test_toasts_stack_top_right_and_collapse(tmp_path: Path) -> None:
    world = actions_world()
    app, _ = actions_app(tmp_path, world)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        chat = await _listed(pilot)
        await pilot.press("enter")
        await _open(pilot, chat, _named(world, "Ana Souza").id)
        for n in range(1, 6):
            app.notify(f"news number {n}", title="Customer")
        await wait_until(pilot, lambda: len(chat.query(Toast)) == 3, "three toasts")
        await pilot.pause()
        toasts = [str(t.render()) for t in chat.query(Toast)]
        assert toasts == ["Customer · news number 4", "Customer · news number 5", "+3 more"]
        composer = chat.query_one(Composer).region
        footer = chat.query_one(KeyFooter).region
        for toast in chat.query(Toast):
            assert not toast.region.overlaps(composer)
            assert not toast.region.overlaps(footer)
            assert toast.region.y <= 3  # the header's row and the two under it
        await pilot.press("escape", "question_mark")  # from the list: ? types in the draft
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        await pilot.pause()
        box = app.screen.query_one("#help").region
        for toast in app.screen.query(Toast):
            assert not toast.region.overlaps(box)
