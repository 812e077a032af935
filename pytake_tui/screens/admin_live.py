"""Admin pages that follow the live stream: when another admin (or the CLI, or Meta) changes
what a page lists, the daemon's event for it makes the page read its list again, at most once
a second and only while it is shown (``RefreshingScreen``); a resync after a gap reads it too.
``ctrl+r`` still reads it at once.

Which events matter is the page's :attr:`LivePage.LIVE_EVENTS`: users and tokens
(``user_changed``, ``token_revoked``), queues (``queue_changed``), templates
(``template_changed``, ``template_status_changed``), invitations (``invitation_changed``,
``user_changed``), agents (``agent_status_changed``, ``user_changed``), numbers
(``number_changed``, ``number_quality_changed``), outbound webhooks
(``webhook_endpoint_changed``).
"""

from __future__ import annotations

from typing import ClassVar

from pytake_tui.messages import EventReceived, ResyncNeeded
from pytake_tui.screens.refreshing import RefreshingScreen


class LivePage(RefreshingScreen):
    """An admin page with an ``action_reload``; reads again on :attr:`LIVE_EVENTS`."""

    LIVE_EVENTS: ClassVar[tuple[type, ...]] = ()
    """The event types (``pytake_daemon.protocol``) that change what the page lists."""

    live_reloads = 0
    """How many reads the stream caused (tests wait on it)."""

    def _reload(self) -> None:
        self.live_reloads += 1
        self.call_later(self.run_action, "reload")

    def on_event_received(self, message: EventReceived) -> None:
        if isinstance(message.envelope.event, self.LIVE_EVENTS):
            self._schedule_refresh()

    def on_resync_needed(self, message: ResyncNeeded) -> None:
        self._schedule_refresh()
