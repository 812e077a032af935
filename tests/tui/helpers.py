"""Waiting on app state with a deadline, and recording the messages an app posts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from textual.app import App, ScreenStackError
from textual.message import Message
from textual.notifications import Notify
from textual.pilot import Pilot
from textual.widgets import Button

from pytake_tui.client import DaemonClient
from pytake_tui.stream import ReconnectPolicy

MessageT = TypeVar("MessageT", bound=Message)

FAST = ReconnectPolicy(
    initial_delay=0.01,
    max_delay=0.05,
    stable_after=60.0,
    failures_before_polling=1000,
    poll_interval=0.02,
    polling_retry_interval=0.1,
    open_timeout=5.0,
)


def fast_client(server: str) -> DaemonClient:
    """The real client with a reconnect policy measured in milliseconds."""
    return DaemonClient(server, reconnect=FAST)


def _screen_composed(app: App[Any]) -> bool:
    try:
        return app.screen.is_mounted
    except ScreenStackError:
        return False


async def wait_until(
    pilot: Pilot[Any], predicate: Callable[[], bool], what: str, timeout: float = 10.0
) -> None:
    """Let the app run until ``predicate()`` holds, with the current screen mounted, i.e. with
    every widget it composed (a test that waited for ``isinstance(app.screen, X)`` and then
    queried its children failed under load: the screen was current, its children not yet
    there); fail with ``what`` after ``timeout`` s."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (_screen_composed(pilot.app) and predicate()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause()


async def click_button(pilot: Pilot[Any], selector: str, timeout: float = 10.0) -> None:
    """Click a button as a person would: once laid out, scrolled into view, and no longer
    showing its last press (Textual ignores a click during that 0.2 s: a second save right
    after a refused one was lost, and a test waited for a save that never ran)."""
    await pilot.pause()
    button = pilot.app.screen.query_one(selector, Button)
    button.scroll_visible(animate=False)
    await wait_until(
        pilot, lambda: not button.has_class("-active"), f"{selector} released", timeout
    )
    assert await pilot.click(selector), f"the click on {selector} landed elsewhere"


class MessageLog:
    """A ``message_hook`` for ``run_test`` that keeps every message, to assert on afterwards."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def __call__(self, message: Message) -> None:
        self.messages.append(message)

    def of(self, kind: type[MessageT]) -> list[MessageT]:
        return [m for m in self.messages if isinstance(m, kind)]

    def notifications(self) -> list[str]:
        return [f"{m.notification.title}: {m.notification.message}" for m in self.of(Notify)]
