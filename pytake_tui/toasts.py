"""Toasts as the console shows them: one line each, stacked in the top-right corner under the
header, at most :data:`SHOWN` at once and the rest collapsed into ``+N more``.

Textual's toasts sit in the bottom-right corner, three lines each, over the composer and the
tables, and a burst of news piled them up the screen. Here the corner is the header's row and
the two under it: a screen's title line and the first line of its content, never the composer,
a table or the help box (:class:`~pytake_tui.screens.help.HelpScreen` starts below them).
The :class:`~textual.notifications.Notify` messages keep their title and text as given, so
whatever records them (the tests' ``message_hook``) sees them whole.
"""

from __future__ import annotations

from textual.app import App
from textual.markup import escape
from textual.notifications import Notification, Notify

from pytake_tui.i18n import _

SHOWN = 2
"""The newest toasts shown in full; older ones still on screen count into ``+N more``."""


def one_line(notification: Notification) -> Notification:
    """The notification with its title in front of its message, on one line."""
    message = " ".join(notification.message.split())
    if notification.title:
        title = notification.title if not notification.markup else escape(notification.title)
        message = f"{title} · {message}"
    return Notification(
        message,
        "",
        notification.severity,
        notification.timeout,
        markup=notification.markup,
    )


class ToastStack(App[None]):
    """Shows each notification as one line and collapses the surplus (a base of the app)."""

    _summary: Notification | None = None
    _collapsed = 0

    def _on_notify(self, event: Notify) -> None:
        # Instead of Textual's handler (further up the MRO), which would add it as given.
        event.prevent_default()
        self._notifications.add(one_line(event.notification))
        shown = [n for n in self._notifications if n is not self._summary]
        surplus = shown[: max(0, len(shown) - SHOWN)]
        for old in surplus:
            del self._notifications[old]
        if surplus:
            self._collapsed += len(surplus)
            if self._summary is not None:
                del self._notifications[self._summary]
            self._summary = Notification(
                _("+{count} more").format(count=self._collapsed),
                "",
                "information",
                self.NOTIFICATION_TIMEOUT,
            )
            self._notifications.add(self._summary)
        self._refresh_notifications()

    def _unnotify(self, notification: Notification, refresh: bool = True) -> None:
        if notification is self._summary:
            self._summary, self._collapsed = None, 0
        super()._unnotify(notification, refresh=refresh)
