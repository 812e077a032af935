"""A screen that reads its data again when live events say it changed.

However many events arrive, it reads at most once per :data:`REFRESH_SECONDS`; while another
screen is shown it only notes that it is stale and reads once when shown again.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.timer import Timer

REFRESH_SECONDS = 1.0
"""Events that arrive within this long of each other cost one request."""


class RefreshingScreen(Screen[None]):
    """Call :meth:`_schedule_refresh` on each event that matters; implement :meth:`_reload`."""

    _refresh_timer: Timer | None = None
    _stale = False

    def _reload(self) -> None:
        raise NotImplementedError

    def _schedule_refresh(self) -> None:
        if not self.is_current:
            self._stale = True  # read once when shown again, not for every event meanwhile
            return
        if self._refresh_timer is None:
            self._refresh_timer = self.set_timer(REFRESH_SECONDS, self._refresh_now)

    def _refresh_now(self) -> None:
        self._refresh_timer = None
        self._reload()

    def on_screen_resume(self) -> None:
        if self._stale:
            self._stale = False
            self._reload()
