"""The simulator's change signal: what every wait (``wait_for_*``) sleeps on instead of polling."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class Changes:
    """A broadcast "something changed" signal that synchronous code can fire.

    Each notification completes the current event and starts a new one, so a waiter that
    captured the event before checking its condition can't miss a change.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_until(
        self,
        condition: Callable[[], bool],
        timeout: float,  # noqa: ASYNC109 - a default deadline, named in the error
        what: str,
    ) -> None:
        try:
            async with asyncio.timeout(timeout):
                while True:
                    event = self._event
                    if condition():
                        return
                    await event.wait()
        except TimeoutError:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}") from None
