"""A conversation's life in the console (issue 17), on the fake daemon: the sentence of each
system line, a ``conversation_event_added`` appended to the open thread as it happens (once,
however often it arrives), and ``conversation_updated`` moving the header and the row."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from textual.widgets import Static

from pytake_daemon.protocol.conversations import TimelineKind
from pytake_daemon.protocol.events import ConversationEventAdded, ConversationUpdated
from pytake_tui.screens import ChatScreen
from pytake_tui.widgets.conversation_list import ConversationList
from pytake_tui.widgets.system_line import SystemLine, system_text
from pytake_tui.widgets.thread import BubbleRow, ThreadView

from .chat_actions_support import actions_app
from .helpers import wait_until
from .system_lines_support import BOB, CARLA, SALES, SUPPORT, life_world


def test_each_kind_says_what_happened_in_one_line() -> None:
    world = life_world()
    ana = next(iter(world.events))
    cases: list[tuple[TimelineKind, dict[str, Any]]] = [
        (TimelineKind.TRANSFERRED, {"queue": SALES}),
        (TimelineKind.TRANSFERRED, {"actor": CARLA, "agent": BOB, "queue": SUPPORT}),
        (TimelineKind.TIMED_OUT, {"queue": SALES}),
        (TimelineKind.CLOSED, {"detail": {"reason": "wait timeout"}}),
        (TimelineKind.REOPENED, {}),
        (TimelineKind.ASSIGNED, {"agent": BOB, "queue": SALES}),
    ]
    said = [
        system_text(world.add_event(ana, kind, ago=timedelta(0), **refs)) for kind, refs in cases
    ]
    assert said == [
        "── transferred to Sales · 09:26 ──",
        "── Carla Reis transferred it to Bob Agent · 09:26 ──",
        "── timed out waiting in Sales · 09:26 ──",
        "── closed (wait timeout) · 09:26 ──",
        "── reopened · 09:26 ──",
        "── assigned to Bob Agent from Sales · 09:26 ──",
    ]


async def test_live_lines_and_assignments_follow_the_open_conversation(tmp_path: Path) -> None:
    world = life_world()
    app, client = actions_app(tmp_path, world)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), "the chat")
        chat = app.screen
        assert isinstance(chat, ChatScreen)
        rows = chat.query_one(ConversationList)
        await wait_until(pilot, lambda: rows.option_count == 4, "the list")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(chat.query(SystemLine)) == 7, "Ana's lines")
        opened = chat.pane.open
        assert opened is not None
        assert not chat.footer_hides("take")  # Alice is an owner: alt+t is in the footer

        # Bob takes it in another console: the line comes last, once however often it arrives.
        ana = opened.id
        line = world.add_event(ana, TimelineKind.ASSIGNED, ago=timedelta(0), actor=BOB, agent=BOB)
        client.push(ConversationEventAdded(event=line))
        client.push(ConversationEventAdded(event=line))
        client.push(ConversationUpdated(conversation=world.update(ana, assignee=BOB)))
        header = chat.query_one("#thread-title", Static)
        await wait_until(pilot, lambda: "→ Bob Agent · Support" in str(header.render()), "Bob")
        shown = list(chat.query(SystemLine))
        assert len(shown) == 8
        last_row = chat.query_one(ThreadView).children[-1]
        assert isinstance(last_row, BubbleRow)
        assert last_row.query_one(SystemLine) is shown[-1]
        assert str(shown[-1].render()) == "── Bob Agent took it · 09:26 ──"
        prompt = str(rows.get_option_at_index(rows.get_option_index(str(ana))).prompt)
        assert "→ Bob Agent · Support" in prompt
