"""The unread message count in the header and the terminal's window title: ``PyTake (3)``.

A base class of :class:`~pytake_tui.app.PyTakeApp`; it reads ``GET
/api/v1/conversations/stats`` at most every :data:`UNREAD_DEBOUNCE_SECONDS` while events arrive.
"""

from __future__ import annotations

from textual import work
from textual.app import App
from textual.timer import Timer

from pytake_tui.client import DaemonClient, DaemonError

UNREAD_DEBOUNCE_SECONDS = 0.5


class UnreadTitle(App[None]):
    """Keeps the title's unread count."""

    client: DaemonClient | None
    _unread_timer: Timer | None = None

    def _schedule_unread_count(self) -> None:
        # A burst of events costs one stats request, not one each.
        if self._unread_timer is None:
            self._unread_timer = self.set_timer(UNREAD_DEBOUNCE_SECONDS, self._count_unread)

    @work(exclusive=True, exit_on_error=False, group="unread")
    async def _count_unread(self) -> None:
        self._unread_timer = None
        client = self.client
        if client is None:
            return
        try:
            stats = await client.conversation_stats()
        except DaemonError:
            return  # the title keeps the last count; the stream's state says what is wrong
        if client is self.client:
            self._show_unread(stats.unread_messages)

    def _show_unread(self, unread: int) -> None:
        title = f"PyTake ({unread})" if unread else "PyTake"
        self.title = title
        if not self.is_headless and self._driver is not None:
            # OSC 2 sets the terminal's window/tab title (Textual only draws its own header).
            self._driver.write(f"\x1b]2;{title}\x07")
