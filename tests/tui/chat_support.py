"""Building a signed-in app on a fake inbox, for the chat snapshots and pilot tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from pytake_daemon.protocol import EventEnvelope, Me
from pytake_tui import PyTakeApp, build_app
from pytake_tui.client import DaemonClient
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.screens import ChatScreen
from pytake_tui.widgets.conversation_list import ConversationList
from pytake_tui.widgets.thread import MessageBubble, ThreadView

from .fake_daemon import ScriptedClient, hello_envelope
from .fake_world import FakeWorld
from .helpers import wait_until
from .identities import ALICE_EMAIL, FAR_FUTURE, FIXED_AT

SERVER = "http://pytake.invalid:8420"


def scripted_app(
    tmp: Path,
    world: FakeWorld,
    *,
    envelopes: list[EventEnvelope] | None = None,
    me: Me | None = None,
) -> PyTakeApp:
    """An app resumed from a saved session on ``world``, with the clock at ``FIXED_AT``."""
    credentials = tmp / "config" / "credentials.json"
    CredentialStore(credentials).save(
        SavedSession(server=SERVER, token="saved", expires_at=FAR_FUTURE, email=ALICE_EMAIL)
    )
    stream = envelopes or [hello_envelope(1)]

    def client(server: str) -> DaemonClient:
        return ScriptedClient(server, stream, world, me)

    return build_app(
        server=SERVER,
        credentials_path=credentials,
        client_factory=client,
        clock=lambda: FIXED_AT,
        downloads_dir=tmp / "downloads",
    )


def still_cursors(pilot: Pilot[Any]) -> None:
    """No blinking cursor in a snapshot."""
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    for area in pilot.app.screen.query(TextArea):
        area.cursor_blink = False
        # TextArea caches its lines under a key that leaves a steady (not blinking) cursor
        # out: a blink tick that hid the cursor just before this left the line cached without
        # it, and the snapshot lacked the draft's cursor (seen under load). Cleared, the line
        # is drawn again from the current state (reproduced in tests/tui/test_still_cursors.py).
        area.notify_style_update()
        area.refresh()


async def chat_ready(pilot: Pilot[Any], rows: int) -> ChatScreen:
    """Wait for the chat screen with ``rows`` conversations listed."""

    def listed() -> bool:
        screen = pilot.app.screen
        return (
            isinstance(screen, ChatScreen)
            and screen.query_one(ConversationList).option_count == rows
        )

    await wait_until(pilot, listed, f"{rows} conversations listed")
    screen = pilot.app.screen
    assert isinstance(screen, ChatScreen)
    return screen


async def open_first(pilot: Pilot[Any], *, rows: int = 4, bubbles: int | None = None) -> ChatScreen:
    """Wait for ``rows`` conversations listed, open the first (enter) and wait for its thread:
    ``bubbles`` messages shown, or (None) the conversation read into the pane."""
    chat = await chat_ready(pilot, rows)
    await pilot.press("enter")
    if bubbles is None:
        await wait_until(pilot, lambda: chat.pane.open is not None, "the first conversation")
    else:
        await wait_until(
            pilot,
            lambda: chat.pane.open is not None and len(chat.query(MessageBubble)) == bubbles,
            f"the first conversation's {bubbles} messages",
        )
    return chat


async def thread_settled(pilot: Pilot[Any]) -> None:
    """Wait for the open thread to rest at its newest message, then repaint its scrollbar.

    While the thread is anchored, Textual's compositor moves it to the end on every layout and
    sets the scrollbar's position without repainting it (``_reactive_position``), so the thumb
    on screen can be the one painted for an earlier layout (the thread before its header grew
    to two lines). Whether something else repaints it before a snapshot is taken depends on
    timing: the snapshot's scrollbar flickered. Repainted once the scroll has settled, the
    thumb is the current state's, whatever the timing."""
    thread = pilot.app.screen.query_one(ThreadView)
    await wait_until(
        pilot,
        lambda: thread.is_anchored and thread.scroll_y == thread.max_scroll_y,
        "the thread at its newest message",
    )
    thread.vertical_scrollbar.refresh()
    await pilot.pause()


async def unread_settled(pilot: Pilot[Any]) -> None:
    """Wait for the title's unread count to be read again after opening a conversation (it is
    debounced: opening one schedules the read half a second later, and a snapshot taken before
    it shows the count from before the conversation was read)."""
    app = pilot.app
    assert isinstance(app, PyTakeApp)

    def settled() -> bool:
        counting = [w for w in app.workers if w.group == "unread" and not w.is_finished]
        return app._unread_timer is None and not counting

    await wait_until(pilot, settled, "the unread count read again")
    await pilot.pause()


__all__ = [
    "FIXED_AT",
    "SERVER",
    "chat_ready",
    "open_first",
    "scripted_app",
    "still_cursors",
    "thread_settled",
    "unread_settled",
]
