"""Snapshots of the chat console's actions at 80 columns, with fixed data and clock: an internal
note in the thread, the transfer picker, the reply suggestions above the draft, tags in the list
and the header, and the question before closing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from pytake_tui.screens import ChatScreen
from pytake_tui.screens.chat_actions import ConfirmClose, TransferPicker
from pytake_tui.widgets.composer import Composer
from pytake_tui.widgets.thread import NoteBubble

from .chat_actions_support import actions_app, actions_world
from .chat_support import open_first, still_cursors, thread_settled
from .helpers import wait_until

SIZE = (80, 30)


async def _open_ana(pilot: Pilot[Any]) -> ChatScreen:
    app = pilot.app
    chat = await open_first(pilot, bubbles=10)
    await wait_until(pilot, lambda: len(chat.query(NoteBubble)) == 1, "Bob's note")
    # Opening marks Ana's two messages read; the title's count follows after its debounce.
    await wait_until(pilot, lambda: app.title == "PyTake (1)", "the unread count")
    await pilot.pause()
    still_cursors(pilot)
    return chat


def test_chat_note_in_thread(snap_compare: Any, tmp_path: Path) -> None:
    """Bob's internal note between the messages, and the header's note counter."""
    app, _ = actions_app(tmp_path, actions_world())

    async def ready(pilot: Pilot[Any]) -> None:
        chat = await _open_ana(pilot)
        note = chat.query_one(NoteBubble)
        chat.query_one("#thread").scroll_to_widget(note, animate=False, top=True)
        await pilot.pause()

    assert snap_compare(app, run_before=ready, terminal_size=SIZE)


def test_chat_transfer_picker(snap_compare: Any, tmp_path: Path) -> None:
    """Queues with their waiting count, then the other agents (Carla is full), a note field."""
    app, _ = actions_app(tmp_path, actions_world())

    async def ready(pilot: Pilot[Any]) -> None:
        await _open_ana(pilot)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, TransferPicker), "picker")
        await pilot.press("down")
        await pilot.pause()
        still_cursors(pilot)

    assert snap_compare(app, run_before=ready, terminal_size=SIZE)


def test_chat_suggestions_shown(snap_compare: Any, tmp_path: Path) -> None:
    """An angry customer: apology and cancellation replies above the draft (ctrl+space)."""
    app, _ = actions_app(tmp_path, actions_world())

    async def ready(pilot: Pilot[Any]) -> None:
        chat = await _open_ana(pilot)
        await pilot.press("ctrl+space")
        composer = chat.query_one(Composer)
        await wait_until(pilot, lambda: len(composer.suggestions) == 3, "the suggestions")
        await pilot.pause()
        still_cursors(pilot)

    assert snap_compare(app, run_before=ready, terminal_size=SIZE)


def test_chat_tags(snap_compare: Any, tmp_path: Path) -> None:
    """Tags after the name in the list row and in the header."""
    world = actions_world()
    ana = next(c for c in world.conversations.values() if c.contact.profile_name == "Ana Souza")
    world.set_tags(ana.id, ["vip", "late delivery"])
    app, _ = actions_app(tmp_path, world)

    async def ready(pilot: Pilot[Any]) -> None:
        await _open_ana(pilot)
        await pilot.press("escape")  # back to the list
        await pilot.pause()
        await thread_settled(pilot)
        still_cursors(pilot)

    assert snap_compare(app, run_before=ready, terminal_size=SIZE)


def test_chat_close_confirmation(snap_compare: Any, tmp_path: Path) -> None:
    """alt+c: closing asks first and says the customer will be asked for a rating."""
    app, _ = actions_app(tmp_path, actions_world())

    async def ready(pilot: Pilot[Any]) -> None:
        await _open_ana(pilot)
        await pilot.press("alt+c")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmClose), "question")
        await pilot.pause()

    assert snap_compare(app, run_before=ready, terminal_size=SIZE)
