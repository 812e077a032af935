"""The leaderboard (every role, ``ctrl+k``): the ranking by points of a team over a day, week
or month of the tenant's time zone, my row marked, my badges and the challenges with my
progress. Points come from the daemon's scoring pass (docs/gamification.md), so the screen
reads them on open, on a change of period or team, on ``r``, and every minute while it is
shown (the board moves as agents close conversations, without a key).

``p`` cycles day / week / month, ``t`` cycles the team (everyone, each queue, each
department), ``b`` and ``n`` go to the previous and next period, ``c`` creates a challenge
and ``m`` manages them: change, end today, remove (supervisors). When the tenant turned
gamification off, the screen says so and shows nothing else.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Static

from pytake_daemon.protocol import Me, Role
from pytake_daemon.protocol.gamification import (
    BoardQuery,
    ChallengeCreate,
    ChallengeList,
    Leaderboard,
    MyPoints,
    Period,
)
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.gamification_view import OFF, where_line
from pytake_tui.i18n import N_, _
from pytake_tui.messages import SessionExpired
from pytake_tui.navigation import SessionContext
from pytake_tui.screens.challenge_dialog import ChallengeDialog
from pytake_tui.screens.challenge_manager import ChallengeManager
from pytake_tui.widgets.challenge_board import ChallengeBoard, MyBadges
from pytake_tui.widgets.footer import Footer
from pytake_tui.widgets.leaderboard_table import LeaderboardTable

_PERIODS = (Period.DAY, Period.WEEK, Period.MONTH)
REFRESH_SECONDS = 60.0
"""Points move with the scoring pass (every 120 s), not with an event: the board reads again
this often while shown, as the dashboard's points panel does."""


@dataclass(frozen=True)
class Team:
    """A choice of the ``t`` key: everyone, a queue or a department."""

    label: str
    queue_id: uuid.UUID | None = None
    department: str | None = None


EVERYONE = Team(N_("everyone"))


class LeaderboardScreen(Screen[None]):
    CSS_PATH = "leaderboard.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    BINDINGS = [
        Binding("p", "period", N_("Period")),
        Binding("t", "team", N_("Team")),
        Binding("b", "shift(-1)", N_("Previous")),
        Binding("n", "shift(1)", N_("Next")),
        Binding("r", "reload", N_("Reload")),
        Binding("c", "new_challenge", N_("New challenge")),
        Binding("m", "manage_challenges", N_("Challenges")),
    ]

    class Loaded(Message):
        def __init__(self, board: Leaderboard, mine: MyPoints, challenges: ChallengeList) -> None:
            super().__init__()
            self.board, self.mine, self.challenges = board, mine, challenges

    class TeamsLoaded(Message):
        def __init__(self, teams: list[Team]) -> None:
            super().__init__()
            self.teams = teams

    def __init__(
        self, *, client: DaemonClient, me: Me, refresh_seconds: float = REFRESH_SECONDS
    ) -> None:
        super().__init__()
        self._client = client
        self._me = me
        self._refresh_seconds = refresh_seconds
        self.period = Period.WEEK
        self.day: date | None = None
        """A day of the period shown; None: today in the tenant's zone (the daemon's)."""
        self.teams: list[Team] = [EVERYONE]
        self.team = EVERYONE
        self.board: Leaderboard | None = None
        self.mine: MyPoints | None = None
        self.challenges: ChallengeList | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="leaderboard"):
            yield Static("…", id="board-where")
            yield Static(_(OFF), id="board-off")
            with Horizontal(id="board-body"):
                yield LeaderboardTable(id="board-table")
                with VerticalScroll(id="board-side"):
                    yield Static(_("My badges"), classes="board-heading")
                    yield MyBadges("…", id="my-badges")
                    yield Static(_("Challenges"), classes="board-heading")
                    yield ChallengeBoard("…", id="challenges")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#board-off").display = False
        self._load_teams()
        self.reload()
        self.set_interval(self._refresh_seconds, self._refresh)

    def _refresh(self) -> None:
        if self.is_current:  # under a dialog or another screen: read when it matters
            self.reload()

    def current_query(self) -> BoardQuery:
        """What the screen asks for now."""
        return BoardQuery(
            period=self.period,
            day=self.day,
            queue_id=self.team.queue_id,
            department=self.team.department,
        )

    # Reading

    def reload(self) -> None:
        self._load(self.current_query())

    @work(exclusive=True, exit_on_error=False, group="leaderboard")
    async def _load(self, query: BoardQuery) -> None:
        try:
            board, mine, challenges = await asyncio.gather(
                self._client.leaderboard(query),
                self._client.my_points(query.period, query.day),
                self._client.challenges(),
            )
        except DaemonError as error:
            if error.unauthorized:
                self.post_message(SessionExpired(_("your session has ended")))
            else:
                self.notify(
                    error.message, title=_("Could not read the leaderboard"), severity="error"
                )
            return
        self.post_message(self.Loaded(board, mine, challenges))

    @work(exclusive=True, exit_on_error=False, group="leaderboard-teams")
    async def _load_teams(self) -> None:
        try:
            queues = await self._client.queues()
        except DaemonError:
            return  # the board still works for everyone
        departments = sorted({q.department for q in queues.items if q.department})
        teams = [EVERYONE]
        teams += [Team(_("queue {name}").format(name=q.name), queue_id=q.id) for q in queues.items]
        teams += [Team(_("department {name}").format(name=d), department=d) for d in departments]
        self.post_message(self.TeamsLoaded(teams))

    def on_leaderboard_screen_teams_loaded(self, message: TeamsLoaded) -> None:
        self.teams = message.teams

    def on_leaderboard_screen_loaded(self, message: Loaded) -> None:
        board = message.board
        self.board, self.mine, self.challenges = board, message.mine, message.challenges
        self.query_one("#board-where", Static).update(where_line(board))
        self.query_one("#board-off").display = not board.enabled
        self.query_one("#board-body").display = board.enabled
        if not board.enabled:
            return
        self.query_one(LeaderboardTable).show(board, self._me.user_id)
        self.query_one(MyBadges).show(message.mine.badges)
        self.query_one(ChallengeBoard).show(message.challenges.items, self._me.user_id)

    # Actions

    def action_period(self) -> None:
        """Cycle day, week, month (around the day shown)."""
        self.period = _PERIODS[(_PERIODS.index(self.period) + 1) % len(_PERIODS)]
        self.reload()

    def action_team(self) -> None:
        """Cycle everyone, each queue, each department."""
        index = self.teams.index(self.team) if self.team in self.teams else -1
        self.team = self.teams[(index + 1) % len(self.teams)]
        self.reload()

    def action_shift(self, step: int) -> None:
        """The previous (-1) or next (1) period."""
        if self.board is None:
            return
        if step < 0:
            self.day = self.board.first_day - timedelta(days=1)
        else:
            self.day = self.board.last_day + timedelta(days=1)
        self.reload()

    def action_reload(self) -> None:
        """Read the board again."""
        self.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("new_challenge", "manage_challenges"):
            return self._me.role.at_least(Role.SUPERVISOR)
        return True

    def action_new_challenge(self) -> None:
        """Create a challenge for the period shown (supervisors)."""
        if self.board is not None:  # its days are the dialog's defaults
            dialog = ChallengeDialog(self.board.first_day, self.board.last_day)
            self.app.push_screen(dialog, self._challenge_chosen)

    def action_manage_challenges(self) -> None:
        """Change, end or remove challenges (supervisors); the board follows what changed."""

        def closed(changed: bool | None) -> None:
            if changed:
                self.reload()

        self.app.push_screen(ChallengeManager(client=self._client), closed)

    def _challenge_chosen(self, body: ChallengeCreate | None) -> None:
        if body is not None:
            self._create(body)

    @work(exclusive=True, exit_on_error=False, group="new-challenge")
    async def _create(self, body: ChallengeCreate) -> None:
        try:
            await self._client.create_challenge(body)
        except DaemonError as error:
            self.notify(error.message, title=_("Challenge not created"), severity="error")
            return
        self.notify(body.title, title=_("Challenge created"))
        self.reload()


def build_leaderboard(context: SessionContext) -> Screen[None]:
    return LeaderboardScreen(client=context.client, me=context.me)
