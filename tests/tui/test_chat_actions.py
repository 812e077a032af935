"""The chat console's actions against a scripted daemon: internal notes (written here and by
another console), tags, transfer (picker, note, a 409), close with its confirmation, canned
responses with their variables filled, and reply suggestions inserted with one key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from pytake_daemon.protocol import ConversationOut, ConversationStatus, Role
from pytake_daemon.protocol.conversations import TransferRequest
from pytake_daemon.protocol.events import ConversationUpdated, NoteAdded
from pytake_tui.replies import fill, one_line, parse_tags, tags_label, variables
from pytake_tui.screens import ChatScreen
from pytake_tui.screens.chat_actions import (
    CannedPicker,
    ConfirmClose,
    NoteEditor,
    TagEditor,
    TransferPicker,
)
from pytake_tui.widgets.composer import Composer
from pytake_tui.widgets.conversation_list import ConversationList
from pytake_tui.widgets.thread import MessageBubble, NoteBubble

from .chat_actions_support import (
    BILLING_ID,
    CARLA_AGENT_ID,
    ActionsClient,
    ActionsWorld,
    actions_app,
    actions_world,
)
from .chat_support import open_first
from .fake_daemon import alice
from .fake_world import BOB_ID
from .helpers import MessageLog, wait_until

AGENT_ALICE = alice().model_copy(update={"role": Role.AGENT})
"""Transfer as an agent does it (``…/transfer``); a supervisor's moves are issue 17's tests."""


def _ana(world: ActionsWorld) -> ConversationOut:
    return next(c for c in world.conversations.values() if c.contact.profile_name == "Ana Souza")


async def _open_ana(pilot: Pilot[Any]) -> ChatScreen:
    """Wait for the list, open Ana (first: assigned to me) and wait for her thread."""
    chat = await open_first(pilot, bubbles=10)
    await wait_until(pilot, lambda: len(chat.query(NoteBubble)) == 1, "Bob's note")
    return chat


def _title(chat: ChatScreen) -> str:
    return str(chat.query_one("#thread-title", Static).render())


def _calls(client: ActionsClient, method: str, tail: str) -> list[Any]:
    return [body for m, path, body in client.calls if m == method and path.endswith(tail)]


async def test_opening_loads_the_notes_between_the_messages(tmp_path: Path) -> None:
    world = actions_world()
    app, client = actions_app(tmp_path, world)
    ana = _ana(world)
    async with app.run_test() as pilot:
        chat = await _open_ana(pilot)
        assert ("GET", f"/api/v1/conversations/{ana.id}/notes", None) in client.calls
        assert "✎ 1 note" in _title(chat)
        # Written 8 minutes ago: after the 10-minute message, before the 6-minute one.
        rows = list(chat.query("#thread BubbleRow"))
        note_at = next(i for i, row in enumerate(rows) if row.has_class("-note"))
        before = rows[note_at - 1].query_one(MessageBubble).message
        after = rows[note_at + 1].query_one(MessageBubble).message
        assert before.text == "Here is the tracking link."
        assert after.text == "Anything else?"
        # Conversations without notes cost no call.
        await pilot.press("escape", "down", "enter")
        await wait_until(pilot, lambda: not chat.query(NoteBubble), "the other thread")
    assert len(_calls(client, "GET", "/notes")) == 1


async def test_a_note_is_posted_shown_as_internal_and_never_sent(tmp_path: Path) -> None:
    world = actions_world()
    app, client = actions_app(tmp_path, world)
    ana = _ana(world)
    async with app.run_test() as pilot:
        chat = await _open_ana(pilot)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: isinstance(app.screen, NoteEditor), "the note editor")
        await pilot.press("ctrl+s")  # blank: refused here, nothing posted
        assert isinstance(app.screen, NoteEditor)
        await pilot.press(*"Customer is angry", "enter", *"refund approved", "ctrl+s")
        await wait_until(pilot, lambda: len(chat.query(NoteBubble)) == 2, "the new note")
        await wait_until(pilot, lambda: "✎ 2 notes" in _title(chat), "the counter")
        await pilot.pause()
        assert len(chat.query(NoteBubble)) == 2  # its NoteAdded event didn't add it twice
        newest = list(chat.query(NoteBubble))[-1]
        assert newest.note.body == "Customer is angry\nrefund approved"
        assert "internal note · Alice Example" in str(newest.render())
    assert _calls(client, "POST", f"{ana.id}/notes") == ["Customer is angry\nrefund approved"]
    assert world.sent == []  # a note is no message


async def test_another_consoles_note_and_tags_show_up(tmp_path: Path) -> None:
    world = actions_world()
    app, client = actions_app(tmp_path, world)
    ana = _ana(world)
    async with app.run_test() as pilot:
        chat = await _open_ana(pilot)
        conversation, note = world.add_note(
            ana.id, "I called her: shipping today", author=(BOB_ID, "Bob Agent"), ago=timedelta(0)
        )
        client.push(NoteAdded(conversation=conversation, note=note))
        await wait_until(pilot, lambda: len(chat.query(NoteBubble)) == 2, "Bob's new note")
        client.push(ConversationUpdated(conversation=world.set_tags(ana.id, ["VIP", "late"])))
        await wait_until(pilot, lambda: "#late #vip" in _title(chat), "the tags in the header")
        row = chat.query_one(ConversationList).get_option_at_index(0)
        assert "#late #vip" in str(row.prompt)


async def test_tags_are_edited_as_one_line(tmp_path: Path) -> None:
    world = actions_world()
    app, client = actions_app(tmp_path, world)
    ana = _ana(world)
    world.set_tags(ana.id, ["vip"])
    async with app.run_test() as pilot:
        chat = await _open_ana(pilot)
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: isinstance(app.screen, TagEditor), "the tag editor")
        assert app.screen.query_one("#tags", Input).value == "vip"
        await pilot.press("end", *", Late delivery,", "enter")
        await wait_until(pilot, lambda: "#late-delivery #vip" in _title(chat), "the new tags")
    assert _calls(client, "PUT", f"{ana.id}/tags") == [["vip", "Late delivery"]]


async def test_transfer_to_a_queue_with_a_note(tmp_path: Path) -> None:
    log = MessageLog()
    world = actions_world()
    app, client = actions_app(tmp_path, world, AGENT_ALICE)
    ana = _ana(world)
    async with app.run_test(message_hook=log) as pilot:
        chat = await _open_ana(pilot)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, TransferPicker), "the picker")
        targets = app.screen.query_one("#targets", OptionList)
        ids = [targets.get_option_at_index(i).id for i in range(targets.option_count)]
        # Queues, then the other agents (not me); Carla is full and can't be picked.
        assert ids[1:3] == [f"q:{q.id}" for q in world.queues]
        assert f"a:{BOB_ID}" in ids
        assert f"a:{world.agents[0].id}" not in ids
        carla = targets.get_option(f"a:{CARLA_AGENT_ID}")
        assert carla.disabled
        await pilot.press("down", "tab", *"wants a refund", "enter")  # Sales → Billing
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), "back in the chat")
        await wait_until(
            pilot,
            lambda: "Transferred: Ana Souza transferred to Billing" in log.notifications(),
            "the toast",
        )
        await wait_until(pilot, lambda: len(chat.query(NoteBubble)) == 2, "the handover note")
    (request,) = _calls(client, "POST", f"{ana.id}/transfer")
    assert request == TransferRequest(queue_id=BILLING_ID, note="wants a refund")


async def test_transfer_refused_is_a_toast_with_the_daemons_words(tmp_path: Path) -> None:
    log = MessageLog()
    world = actions_world()
    world.full_agents.add(BOB_ID)
    app, client = actions_app(tmp_path, world, AGENT_ALICE)
    ana = _ana(world)
    async with app.run_test(message_hook=log) as pilot:
        await _open_ana(pilot)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, TransferPicker), "the picker")
        targets = app.screen.query_one("#targets", OptionList)
        targets.highlighted = targets.get_option_index(f"a:{BOB_ID}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(log.notifications()), "the toast")
    assert log.notifications() == ["Not transferred: Conflict: the agent is at capacity (3 of 3)"]
    assert _calls(client, "POST", f"{ana.id}/transfer") == [TransferRequest(agent_id=BOB_ID)]
    assert world.conversations[ana.id].assigned_user_id == ana.assigned_user_id


async def test_close_asks_first_and_says_the_customer_rates(tmp_path: Path) -> None:
    log = MessageLog()
    world = actions_world()
    app, client = actions_app(tmp_path, world)
    ana = _ana(world)
    async with app.run_test(message_hook=log) as pilot:
        chat = await _open_ana(pilot)
        await pilot.press("alt+c")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmClose), "the question")
        assert "rate the attendance" in str(app.screen.query_one("#close-rating", Static).render())
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), "kept open")
        assert _calls(client, "PATCH", "/status") == []
        await pilot.press("alt+c")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmClose), "asked again")
        await pilot.press("y")
        await wait_until(pilot, lambda: "· resolved" in _title(chat), "resolved")
    assert _calls(client, "PATCH", f"{ana.id}/status") == [ConversationStatus.RESOLVED]
    assert "Closed: Ana Souza: closed — the customer will be asked for a rating" in (
        log.notifications()
    )


async def test_canned_response_goes_into_the_draft_filled(tmp_path: Path) -> None:
    world = actions_world()
    app, client = actions_app(tmp_path, world)
    async with app.run_test() as pilot:
        chat = await _open_ana(pilot)
        await pilot.press(*"Hello! ")
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: isinstance(app.screen, CannedPicker), "the picker")
        preview = app.screen.query_one("#canned-preview", Static)
        await wait_until(pilot, lambda: "Hi Ana, I'm Alice Example" in str(preview.render()), "")
        await pilot.press("down", "down", "enter")  # Order number
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), "back")
        draft = chat.query_one(Composer).draft
        assert draft.text == "Hello! Could you send me the order number, Ana Souza?"
        assert draft.has_focus
    assert ("GET", "/api/v1/ai/replies", None) in client.calls
    assert world.sent == []  # inserted, not sent: the agent reads it first


async def test_suggestion_key_shows_three_and_alt_inserts_one(tmp_path: Path) -> None:
    world = actions_world()
    app, client = actions_app(tmp_path, world)
    ana = _ana(world)
    async with app.run_test() as pilot:
        chat = await _open_ana(pilot)
        composer = chat.query_one(Composer)
        await pilot.press("alt+1")  # nothing shown yet: nothing inserted
        assert composer.draft.text == ""
        await pilot.press("ctrl+space")
        await wait_until(pilot, lambda: len(composer.suggestions) == 3, "three suggestions")
        panel = str(chat.query_one("#suggestions", Static).render())
        assert "Suggestions for complaint · alt+1..3 inserts" in panel
        assert "alt+1 Apology: Ana, I'm really sorry" in panel
        await pilot.press("alt+2")
        assert composer.draft.text.startswith("Ana, I'm sorry it didn't work out.")
        assert composer.draft.has_focus
        # Another conversation: its own (none), the panel goes with the old one.
        await pilot.press("escape", "down", "enter")
        await wait_until(pilot, lambda: not composer.suggestions, "cleared")
        assert not chat.query_one("#suggestions", Static).display
    assert _calls(client, "GET", f"{ana.id}/suggestions") == [None]
    assert world.sent == []


async def test_actions_need_an_open_conversation(tmp_path: Path) -> None:
    log = MessageLog()
    app, client = actions_app(tmp_path, actions_world())
    async with app.run_test(message_hook=log) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), "the chat")
        for key in ("ctrl+o", "ctrl+n", "ctrl+l", "ctrl+b", "ctrl+space", "alt+c"):
            await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)
    assert log.notifications().count(": Open a conversation first") == 6
    assert [c for c in client.calls if c[0] != "GET" or "notes" in c[1]] == []


async def test_close_reads_who_attends_it_now(tmp_path: Path) -> None:
    """Distribution assigns without a conversation event: the dialog asks the daemon first."""
    world = actions_world()
    app, client = actions_app(tmp_path, world)
    unknown = next(c for c in world.conversations.values() if c.contact.profile_name is None)
    async with app.run_test() as pilot:
        await _open_ana(pilot)
        chat = app.screen
        assert isinstance(chat, ChatScreen)
        chat.open_conversation(unknown.id)
        await wait_until(pilot, lambda: "+447700900123" in _title(chat), "the other thread")
        world.update(unknown.id, assigned_user_id=BOB_ID)  # assigned meanwhile, silently
        await pilot.press("alt+c")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmClose), "the question")
        assert "rate the attendance" in str(app.screen.query_one("#close-rating", Static).render())
        await pilot.press("escape")
    assert _calls(client, "PATCH", "/status") == []


def test_canned_variables_tags_and_one_line() -> None:
    """The console's own rules (no Textual): the daemon's four variables, tags as one line."""
    ana = _ana(actions_world())
    values = variables(ana, "Alice Example")
    assert values == {
        "customer_name": "Ana Souza",
        "first_name": "Ana",
        "agent_name": "Alice Example",
        "phone": "+5511999990001",
    }
    text, missing = fill("Hi {{ first_name }}, order {{order}} for {{customer_name}}", values)
    assert (text, missing) == ("Hi Ana, order {{order}} for Ana Souza", ["order"])
    nameless = ana.model_copy(
        update={"contact": ana.contact.model_copy(update={"profile_name": None})}
    )
    assert fill("Hi {{first_name}}", variables(nameless, "A")) == (
        "Hi {{first_name}}",
        ["first_name"],
    )
    assert parse_tags(" vip,, late   delivery ,") == ["vip", "late delivery"]
    assert tags_label(["late delivery", "vip"]) == "#late-delivery #vip"
    assert one_line("a\n b  c", 10) == "a b c"
    assert one_line("abcdefghijkl", 5) == "abcd…"
