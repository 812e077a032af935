"""Snapshots of the console's comfort (#17) at 80x24 and 160x48: stacked toasts, a list that
marks news in place, the chat's footer with the open conversation's keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets._toast import Toast

from pytake_tui.widgets.conversation_list import FRESH_MARK, ConversationList

from .chat_actions_support import actions_app, actions_world
from .chat_support import still_cursors
from .helpers import wait_until
from .test_comfort import _customer_writes, _listed, _named, _open


async def _counted(pilot: Pilot[Any], app: App[Any], unread: int) -> None:
    """The title's unread count is read again after news (debounced): wait for it."""
    title = f"PyTake ({unread})" if unread else "PyTake"
    await wait_until(pilot, lambda: app.title == title, title)
    await pilot.pause()


SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


@pytest.mark.parametrize("size", SIZES)
def test_toasts_stacked(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    """Four toasts: the two newest in the top-right corner, '+2 more' under them."""
    world = actions_world()
    app, _ = actions_app(tmp_path, world)

    async def ready(pilot: Pilot[Any]) -> None:
        chat = await _listed(pilot)
        await pilot.press("enter")
        await _open(pilot, chat, _named(world, "Ana Souza").id)
        app.notify("Ana Souza: Can I pay by pix?", title="New message")
        app.notify("+447700900123: Is the shop open?", title="New message")
        app.notify("Bruno Lima is yours now", title="Assigned")
        app.notify("Not sent — outside the 24-hour window", title="Bruno Lima", severity="error")
        await wait_until(pilot, lambda: len(chat.query(Toast)) == 3, "the stack")
        await _counted(pilot, app, world.stats().unread_messages)
        still_cursors(pilot)

    assert snap_compare(app, run_before=ready, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_list_marks_news_in_place(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    """Carla wrote: her row keeps its place, marked ✱; the cursor stays on its row."""
    world = actions_world()
    app, client = actions_app(tmp_path, world)
    carla = _named(world, "Carla Dias")

    async def ready(pilot: Pilot[Any]) -> None:
        chat = await _listed(pilot)
        await pilot.press("down")
        _customer_writes(world, client, carla, "One more thing")
        options = chat.query_one(ConversationList)
        await wait_until(
            pilot, lambda: FRESH_MARK in str(options.get_option(str(carla.id)).prompt), "mark"
        )
        await _counted(pilot, app, world.stats().unread_messages)
        still_cursors(pilot)

    assert snap_compare(app, run_before=ready, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_chat_footer_with_a_conversation_open(
    snap_compare: Any, tmp_path: Path, size: tuple[int, int]
) -> None:
    """The footer lists the open conversation's keys and every destination, wrapped."""
    world = actions_world()
    app, _ = actions_app(tmp_path, world)

    async def ready(pilot: Pilot[Any]) -> None:
        chat = await _listed(pilot)
        await pilot.press("enter")
        await _open(pilot, chat, _named(world, "Ana Souza").id)
        await _counted(pilot, app, world.stats().unread_messages)
        still_cursors(pilot)

    assert snap_compare(app, run_before=ready, terminal_size=size)
