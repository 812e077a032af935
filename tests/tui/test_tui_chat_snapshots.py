"""Snapshots of the chat console, settings and help at 80x24, with fixed data and clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from pytake_tui import PyTakeApp
from pytake_tui.connection import LinkState
from pytake_tui.screens import HelpScreen, SettingsScreen
from pytake_tui.screens.template_picker import TemplatePicker
from pytake_tui.stream import Disconnected, StreamEvent
from pytake_tui.widgets.thread import MessageBubble

from .chat_support import chat_ready, scripted_app, still_cursors
from .fake_daemon import ScriptedClient
from .fake_world import FakeWorld, demo_world
from .helpers import wait_until

SIZE = (80, 24)


async def _open(pilot: Pilot[Any], row: int, bubbles: int) -> None:
    screen = await chat_ready(pilot, 4)
    for _ in range(row):
        await pilot.press("down")
    await pilot.press("enter")
    await wait_until(
        pilot, lambda: len(screen.query(MessageBubble)) == bubbles, f"{bubbles} bubbles"
    )
    await wait_until(pilot, lambda: _title_counts_unread(pilot), "the unread count")
    await pilot.pause()
    still_cursors(pilot)


def _title_counts_unread(pilot: Pilot[Any]) -> bool:
    """Opening marks read; the title follows after its debounce (read from the same world)."""
    app = pilot.app
    assert isinstance(app, PyTakeApp)
    assert app.client is not None
    assert isinstance(app.client, ScriptedClient)
    unread = app.client.world.stats().unread_messages
    return app.title == (f"PyTake ({unread})" if unread else "PyTake")


def test_chat_list(snap_compare: Any, tmp_path: Path) -> None:
    """The list: mine first (▸), unread counters, a resolved one, filters and search."""

    async def ready(pilot: Pilot[Any]) -> None:
        await chat_ready(pilot, 4)
        still_cursors(pilot)

    assert snap_compare(scripted_app(tmp_path, demo_world()), run_before=ready, terminal_size=SIZE)


def test_chat_empty(snap_compare: Any, tmp_path: Path) -> None:
    """No conversations yet."""

    async def ready(pilot: Pilot[Any]) -> None:
        await chat_ready(pilot, 0)
        still_cursors(pilot)

    assert snap_compare(scripted_app(tmp_path, FakeWorld()), run_before=ready, terminal_size=SIZE)


def test_chat_thread_every_delivery_state(snap_compare: Any, tmp_path: Path) -> None:
    """Ana's thread, scrolled to the newest: pending, sent, failed with Meta's reason, a reply."""

    async def ready(pilot: Pilot[Any]) -> None:
        await _open(pilot, 0, 9)

    assert snap_compare(
        scripted_app(tmp_path, demo_world()), run_before=ready, terminal_size=(100, 40)
    )


def test_chat_thread_top(snap_compare: Any, tmp_path: Path) -> None:
    """The top of Ana's thread: read, delivered with the customer's reaction, an image."""

    async def ready(pilot: Pilot[Any]) -> None:
        await _open(pilot, 0, 9)
        await pilot.press("tab")  # the thread, from the composer
        pilot.app.screen.query_one("#thread").scroll_home(animate=False)
        await pilot.pause()

    assert snap_compare(
        scripted_app(tmp_path, demo_world()), run_before=ready, terminal_size=(100, 40)
    )


def test_chat_window_closed(snap_compare: Any, tmp_path: Path) -> None:
    """Bruno wrote 30 hours ago: the composer is off and points to the template picker."""
    world = demo_world()
    bruno = next(c for c in world.conversations.values() if c.contact.profile_name == "Bruno Lima")
    world.add_message(bruno, "in", "Thanks, bye", ago=timedelta(hours=30))

    async def ready(pilot: Pilot[Any]) -> None:
        await _open(pilot, 2, 1)

    assert snap_compare(scripted_app(tmp_path, world), run_before=ready, terminal_size=SIZE)


def test_template_form(snap_compare: Any, tmp_path: Path) -> None:
    """The picker on order_update with two of three parameters filled and the live preview."""

    async def ready(pilot: Pilot[Any]) -> None:
        await _open(pilot, 2, 0)
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, TemplatePicker), "picker")
        await wait_until(pilot, lambda: len(pilot.app.screen.query(Input)) == 3, "the form")
        await pilot.press("enter")  # choose the highlighted template: focus its first field
        await pilot.press(*"Bruno", "enter", *"#987")
        still_cursors(pilot)
        await pilot.pause()

    assert snap_compare(scripted_app(tmp_path, demo_world()), run_before=ready, terminal_size=SIZE)


def test_settings_profile(snap_compare: Any, tmp_path: Path) -> None:
    """Settings as an owner: profile, appearance, server and admin tabs."""

    async def ready(pilot: Pilot[Any]) -> None:
        await chat_ready(pilot, 4)
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, SettingsScreen), "settings")
        await pilot.pause()

    assert snap_compare(scripted_app(tmp_path, demo_world()), run_before=ready, terminal_size=SIZE)


def test_settings_appearance(snap_compare: Any, tmp_path: Path) -> None:
    """The theme and notification switches."""

    async def ready(pilot: Pilot[Any]) -> None:
        await chat_ready(pilot, 4)
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, SettingsScreen), "settings")
        await pilot.click("#--content-tab-appearance")
        await pilot.pause()

    assert snap_compare(scripted_app(tmp_path, demo_world()), run_before=ready, terminal_size=SIZE)


def test_help_on_chat(snap_compare: Any, tmp_path: Path) -> None:
    """``?`` on the chat list: every key of the screen, the app and the focused list."""

    async def ready(pilot: Pilot[Any]) -> None:
        await chat_ready(pilot, 4)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen), "help")

    assert snap_compare(
        scripted_app(tmp_path, demo_world()), run_before=ready, terminal_size=(80, 40)
    )


class _UnreachableClient(ScriptedClient):
    async def events(self) -> AsyncGenerator[StreamEvent, None]:
        yield Disconnected("cannot reach http://pytake.invalid:8420", retry_in=4.0)
        await asyncio.Event().wait()


def test_chat_disconnected(snap_compare: Any, tmp_path: Path) -> None:
    """The header says the link is down and when it is retried."""
    app = scripted_app(tmp_path, demo_world())
    world = demo_world()
    app._client_factory = lambda server: _UnreachableClient(server, world=world)

    async def ready(pilot: Pilot[Any]) -> None:
        await chat_ready(pilot, 4)
        await wait_until(
            pilot, lambda: app.connection.state is LinkState.DISCONNECTED, "disconnected"
        )
        still_cursors(pilot)

    assert snap_compare(app, run_before=ready, terminal_size=SIZE)
