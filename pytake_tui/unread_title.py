"""The unread message count in the header and the terminal's window title: ``PyTake (3)``, and
the notification bell beside it: ``PyTake (3) 🔔 2``.

A base class of :class:`~pytake_tui.app.PyTakeApp`; it reads ``GET
/api/v1/conversations/stats`` at most every :data:`UNREAD_DEBOUNCE_SECONDS` while events arrive.
The bell reads ``GET /api/v1/notifications/unread`` once per session (and after a resync), then
follows the counts the ``notification_created`` / ``notifications_read`` events carry; the first
also brings a toast, the terminal bell and a desktop notification as the daemon's ``delivery``
(the user's preferences at that instant) says: through ``notify-send`` in a desktop session (in
a worker: the UI never waits for it; a failure falls back to the escape sequence), else OSC 777
/ OSC 9 (:mod:`pytake_tui.desktop_notice`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from textual import work
from textual.app import App
from textual.timer import Timer

from pytake_daemon.protocol.events import ServerEvent
from pytake_daemon.protocol.notifications import (
    LinkKind,
    NotificationCategory,
    NotificationCreated,
    NotificationOut,
    NotificationSeverity,
    NotificationsRead,
)
from pytake_i18n import format_number
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.desktop_notice import DESKTOP_SEVERITIES, DesktopNotices, desktop_sequence
from pytake_tui.notifications import Notifier
from pytake_tui.preferences import Preferences

UNREAD_DEBOUNCE_SECONDS = 0.5


class UnreadTitle(App[None]):
    """Keeps the title's unread count."""

    client: DaemonClient | None
    _unread_timer: Timer | None = None
    _unread_messages = 0
    _bell = 0
    desktop_sink: Callable[[str], None] | None = None
    """Where desktop notifications' escape sequences go; None: the terminal, when there is one
    (tests set it, so nothing reaches the terminal running them)."""
    desktop_notices = DesktopNotices()
    """notify-send or the escape sequence, by the environment (tests inject theirs)."""
    notifier: Notifier | None
    preferences: Preferences

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

    @work(exclusive=True, exit_on_error=False, group="bell")
    async def _count_bell(self) -> None:
        client = self.client
        if client is None:
            return
        try:
            counts = await client.notification_unread()
        except DaemonError:
            return  # the bell keeps the last count; the next event brings the new one
        if client is self.client:
            self._bell = counts.total
            self._show_unread(self._unread_messages)

    def _follow_notifications(self, event: ServerEvent) -> None:
        if not isinstance(event, NotificationCreated | NotificationsRead):
            return
        self._bell = event.unread.total
        self._show_unread(self._unread_messages)
        if isinstance(event, NotificationsRead):
            return
        item, delivery = event.notification, event.delivery
        if delivery.console and self._toast_here(item):
            urgent = item.severity is NotificationSeverity.URGENT
            severity: Literal["error", "information"] = "error" if urgent else "information"
            self.notify(item.body or item.title, title=item.title, severity=severity)
            if item.category is NotificationCategory.MESSAGE and self.preferences.bell_new_messages:
                self.bell()  # this terminal's own wish (settings), beside the daemon's sound
        if delivery.sound:
            self.bell()
        if delivery.desktop and item.severity in DESKTOP_SEVERITIES:
            program = self.desktop_notices.notify_send()
            if program is None:
                self._write_desktop_sequence(item.title, item.body)
            else:
                urgent = item.severity is NotificationSeverity.URGENT
                self._notify_send(program, item.title, item.body, urgent)

    def _toast_here(self, item: NotificationOut) -> bool:
        """The daemon said "console" (quiet hours, do-not-disturb and the category's switch
        already applied); this terminal leaves out customer messages when its settings say so,
        and those of the conversation the agent is reading."""
        if item.category is not NotificationCategory.MESSAGE:
            return True
        if not self.preferences.toast_new_messages:
            return False
        reading = self.notifier.open_conversation if self.notifier is not None else None
        link = item.link
        return not (link is not None and link.kind is LinkKind.CONVERSATION and link.id == reading)

    @work(exit_on_error=False, group="desktop")
    async def _notify_send(self, program: str, title: str, body: str, urgent: bool) -> None:
        if not await self.desktop_notices.send(program, title, body, urgent=urgent):
            self._write_desktop_sequence(title, body)  # the terminal may still show it

    def _write_desktop_sequence(self, title: str, body: str) -> None:
        sequence = desktop_sequence(title, body)
        if self.desktop_sink is not None:
            self.desktop_sink(sequence)
        elif not self.is_headless and self._driver is not None:
            self._driver.write(sequence)

    def show_title(self) -> None:
        """Write the title again (the language changed: its numbers are the reader's)."""
        self._show_unread(self._unread_messages)

    def _show_unread(self, unread: int) -> None:
        self._unread_messages = unread
        bell = f" 🔔 {format_number(self._bell)}" if self._bell and self.client is not None else ""
        title = (f"PyTake ({format_number(unread)})" if unread else "PyTake") + bell
        self.title = title
        if not self.is_headless and self._driver is not None:
            # OSC 2 sets the terminal's window/tab title (Textual only draws its own header).
            self._driver.write(f"\x1b]2;{title}\x07")
