"""``/shortcut`` in the chat's composer, against a scripted daemon with the daemon's reply rules
(``canned_replies_support.py``): the list follows what is typed, tab or enter inserts the reply
filled for the conversation (nothing is sent), escape dismisses it, and a message that starts
with ``/`` is still sent as typed; ctrl+b's empty picker names where replies are added."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from pytake_tui.replies import typed_shortcut
from pytake_tui.screens.chat_actions import CannedPicker
from pytake_tui.widgets.composer import Composer

from .canned_replies_support import RepliesWorld, replies_app
from .chat_support import open_first
from .fake_world import FakeWorld, demo_world
from .helpers import wait_until


async def _open_ana(pilot: Pilot[Any]) -> Composer:
    chat = await open_first(pilot)
    composer = chat.query_one(Composer)
    assert composer.draft.has_focus
    return composer


def _shown(composer: Composer) -> bool:
    return composer.query_one("#shortcuts").display


def _listed(composer: Composer) -> list[str]:
    return [m.shortcut for m in composer.shortcuts]


def test_only_a_draft_that_is_a_shortcut_completes() -> None:
    assert typed_shortcut("/") == ""
    assert typed_shortcut("/order-late") == "order-late"
    for message in ("/order now", "hi /order", "/Order", "/order\n", "//"):
        assert typed_shortcut(message) is None


async def test_slash_lists_tab_and_enter_insert_escape_dismisses(tmp_path: Path) -> None:
    replies = RepliesWorld()
    inbox: FakeWorld = demo_world()
    app = replies_app(tmp_path, replies, world=inbox)
    async with app.run_test(size=(100, 30)) as pilot:
        composer = await _open_ana(pilot)

        # A lone '/' lists every reply with a shortcut the agent may use, their own first.
        await pilot.press("slash")
        await wait_until(pilot, lambda: len(composer.shortcuts) == 3, "the replies listed")
        assert _listed(composer) == ["bye", "order", "order-late"]
        assert _shown(composer)

        # Typing narrows the list at once, then the daemon answers for the new prefix.
        await pilot.press("o")
        assert _listed(composer) == ["order", "order-late"]
        await pilot.press("r")
        await wait_until(
            pilot, lambda: ("GET", "replies", "or") in replies.calls, "the lookup for /or"
        )
        await pilot.press("down", "tab")
        assert composer.draft.text == "Seu pedido atrasou; já estamos vendo."
        assert not _shown(composer)
        assert composer.draft.has_focus

        # Enter takes the highlighted (first) one, its variables filled for Ana.
        composer.draft.text = ""
        await pilot.press(*"/order")
        await wait_until(pilot, lambda: _listed(composer) == ["order", "order-late"], "/order")
        await pilot.press("enter")
        assert composer.draft.text == "Qual o número do pedido, Ana?"
        assert inbox.sent == []  # inserted, not sent: the agent reads it first

        # Escape dismisses the list; enter then sends the text as typed, slash and all.
        composer.draft.text = ""
        await pilot.press(*"/bye")
        await wait_until(pilot, lambda: _listed(composer) == ["bye"], "/bye")
        await pilot.press("escape")
        assert not _shown(composer)
        assert composer.draft.text == "/bye"
        await pilot.press("e")  # still dismissed while the draft stays a shortcut
        await pilot.pause()
        assert not _shown(composer)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(inbox.sent) == 1, "the message sent")
        assert inbox.sent[0].content.model_dump()["body"] == "/byee"

        # No match: nothing listed, enter sends.
        await wait_until(pilot, lambda: composer.draft.text == "", "the draft cleared")
        await pilot.press(*"/zz")
        await wait_until(
            pilot, lambda: ("GET", "replies", "zz") in replies.calls, "the lookup for /zz"
        )
        await pilot.pause()
        assert not _shown(composer)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(inbox.sent) == 2, "the second message sent")

        # With no reply at all, ctrl+b's picker says where replies are added.
        replies.replies.clear()
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, CannedPicker), "the picker")
        hint = str(pilot.app.screen.query_one("#canned-preview", Static).render())
        assert "Replies screen (f12)" in hint
        assert "`pytake replies add`" in hint
