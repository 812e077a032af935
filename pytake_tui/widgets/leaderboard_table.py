"""The leaderboard's table: rank, agent, points and the measured work behind them, badges.
The signed-in user's row is marked (▶, bold) and holds the cursor, wherever it ranks."""

from __future__ import annotations

import uuid

from rich.text import Text
from textual.widgets import DataTable

from pytake_daemon.protocol.gamification import Leaderboard
from pytake_tui.gamification_view import badge_names
from pytake_tui.i18n import N_, _

COLUMNS = ("#", N_("Agent"), N_("Points"), N_("Resolved"), N_("On target"), "5★", N_("Badges"))
MINE = "bold yellow"


class LeaderboardTable(DataTable[Text]):
    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns(*(_(c) for c in COLUMNS))

    def show(self, board: Leaderboard, me: uuid.UUID) -> None:
        """Replace the rows with the board's, the cursor on mine (or the first)."""
        self.clear()
        mine_at = 0
        for index, row in enumerate(board.rows):
            is_me = row.agent_id == me
            style = MINE if is_me else ""
            if is_me:
                mine_at = index
            cells = (
                str(row.rank),
                f"▶ {row.name}" if is_me else row.name,
                str(row.points),
                str(row.resolved),
                str(row.on_target),
                str(row.five_stars),
                badge_names(row.badges),
            )
            self.add_row(*(Text(c, style=style) for c in cells), key=str(row.agent_id))
        if board.rows:
            self.move_cursor(row=mine_at)
