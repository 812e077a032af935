"""The agent dashboard's points panel: my points this week, my rank among everyone and my
badges, from ``GET /api/v1/gamification/me``.

Hidden until the daemon answers (a daemon without gamification, or not reachable now, costs
nothing and shows nothing); read again every :data:`REFRESH_SECONDS`, since the points move
with the daemon's scoring pass, not with an event.
"""

from __future__ import annotations

from textual import events, work
from textual.widgets import Static

from pytake_daemon.protocol.gamification import MyPoints
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.gamification_view import points_line

REFRESH_SECONDS = 60.0


class PointsPanel(Static):
    DEFAULT_CSS = """
    PointsPanel {
        display: none;
        height: auto;
        padding: 0 1;
        background: $accent 15%;
        color: $text;
    }
    """

    def __init__(self, client: DaemonClient, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._client = client
        self.mine: MyPoints | None = None

    def on_mount(self) -> None:
        self.reload()
        self.set_interval(REFRESH_SECONDS, self.reload)

    @work(exclusive=True, exit_on_error=False, group="points-panel")
    async def reload(self) -> None:
        try:
            mine = await self._client.my_points()
        except DaemonError:
            return  # no gamification on that daemon, or not reachable now: stay as shown
        self.show_points(mine)

    def show_points(self, mine: MyPoints) -> None:
        self.mine = mine
        self.display = True
        self.update(points_line(mine))

    async def on_click(self, event: events.Click) -> None:
        await self.app.run_action("go('leaderboard')")
