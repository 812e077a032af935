"""Snapshots of the contact profile panel beside Ana's thread (fixed profile and clock): a wide
terminal (160x48) with the list, thread and panel, and 80x24 where the panel takes the list's
place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from pytake_tui.widgets.contact_profile import ContactProfilePanel

from .chat_support import open_first, thread_settled, unread_settled
from .contact_profile_support import profile_app
from .helpers import wait_until


async def _profile_shown(pilot: Pilot[Any]) -> None:
    chat = await open_first(pilot)
    await pilot.press("alt+i")
    await wait_until(pilot, lambda: bool(chat.query(ContactProfilePanel)), "the panel")
    panel = chat.query_one(ContactProfilePanel)
    await wait_until(pilot, lambda: panel.profile is not None, "the profile read")
    # The panel's own scrollbar (80x24, where it scrolls) is repainted below, once at its top.
    await wait_until(pilot, lambda: panel.scroll_y == 0, "the panel at its top")
    await unread_settled(pilot)  # the title's count: 3 before Ana's two were read, then 1
    # Last: the thread's scrollbar thumb flickered in loaded runs, and once more (three workers
    # on two cores) when it was repainted before the wait for the unread count: repainted last.
    await thread_settled(pilot)
    if panel.show_vertical_scrollbar:
        panel.vertical_scrollbar.refresh()
    await pilot.pause()


def test_contact_profile_wide(snap_compare: Any, tmp_path: Path) -> None:
    """Name (and WhatsApp's), phone, tags, attributes, notes, attendances, mood sparkline."""
    app, _, _ = profile_app(tmp_path)
    assert snap_compare(app, run_before=_profile_shown, terminal_size=(160, 48))


def test_contact_profile_narrow(snap_compare: Any, tmp_path: Path) -> None:
    """80x24: the panel in the list's place, scrolled to its top."""
    app, _, _ = profile_app(tmp_path)
    assert snap_compare(app, run_before=_profile_shown, terminal_size=(80, 24))
