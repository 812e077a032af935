"""A scripted client with a fixed leaderboard (Lisbon, the week of FIXED_AT), my points and
two challenges, and an app signed in on it with the clock pinned. The board follows from the
query (period, team), so the same query always draws the same screen."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from pytake_daemon.gamification import rules
from pytake_daemon.protocol import Me
from pytake_daemon.protocol.gamification import (
    Badge,
    BadgeOut,
    BoardQuery,
    BoardRow,
    ChallengeCreate,
    ChallengeList,
    ChallengeOut,
    ChallengeProgress,
    Leaderboard,
    LedgerRow,
    Metric,
    MyPoints,
    Period,
    Reason,
)
from pytake_daemon.protocol.queues import QueueList, QueueOut
from pytake_tui import PyTakeApp, build_app
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.screens.leaderboard import LeaderboardScreen

from .fake_daemon import ScriptedClient, hello_envelope
from .fake_world import demo_world
from .helpers import wait_until
from .identities import ALICE_EMAIL, FAR_FUTURE, FIXED_AT, USER_ID

SERVER = "http://pytake.invalid:8420"
TZ = "Europe/Lisbon"
SUPPORT = uuid.UUID("00000000-0000-4000-8000-0000000000c1")
SALES = uuid.UUID("00000000-0000-4000-8000-0000000000c2")
BRUNO = uuid.UUID("00000000-0000-4000-8000-0000000000c3")
CARLA = uuid.UUID("00000000-0000-4000-8000-0000000000c4")
DAVI = uuid.UUID("00000000-0000-4000-8000-0000000000c5")
TODAY = FIXED_AT.date()

# (agent, name, week points, resolved, on target, 5 stars, badges, teams)
_PEOPLE: list[tuple[uuid.UUID, str, int, int, int, int, list[Badge], set[str]]] = [
    (BRUNO, "Bruno Agent", 120, 9, 8, 4, [Badge.CLOSER, Badge.FIVE_STAR_STREAK],
     {"support", "care"}),
    (USER_ID, "Alice Owner", 95, 6, 7, 3, [Badge.ON_TARGET_WEEK], {"support", "care"}),
    (CARLA, "Carla Agent", 95, 7, 4, 2, [], {"sales"}),
    (DAVI, "Davi Agent", 40, 3, 2, 0, [], {"sales", "care"}),
]  # fmt: skip
_SCALE = {Period.DAY: 0.2, Period.WEEK: 1.0, Period.MONTH: 3.0}


def _team(query: BoardQuery) -> tuple[str, str | None]:
    if query.queue_id == SUPPORT:
        return "Support", "support"
    if query.queue_id == SALES:
        return "Sales", "sales"
    if query.department is not None:
        return query.department, query.department
    return "everyone", None


def fixed_board(query: BoardQuery, *, enabled: bool = True) -> Leaderboard:
    span = rules.span_of(query.period, query.day or TODAY, TZ)
    label, key = _team(query)
    k = _SCALE[query.period]
    people = [p for p in _PEOPLE if key is None or key in p[7]]
    people.sort(key=lambda p: (-round(p[2] * k), p[1]))
    ranks = rules.competition_ranks([round(p[2] * k) for p in people])
    rows = [
        BoardRow(rank=rank, agent_id=agent, name=name, points=round(points * k),
                 resolved=round(resolved * k), on_target=round(on_target * k),
                 five_stars=round(stars * k), badges=badges)
        for rank, (agent, name, points, resolved, on_target, stars, badges, _) in zip(
            ranks, people, strict=True
        )
    ]  # fmt: skip
    return Leaderboard(
        enabled=enabled, period=query.period, first_day=span.first_day, last_day=span.last_day,
        tz=TZ, team=label, rows=rows if enabled else [],
    )  # fmt: skip


def fixed_points(period: Period, day: date | None, *, enabled: bool = True) -> MyPoints:
    board = fixed_board(BoardQuery(period=period, day=day), enabled=enabled)
    mine = next((r for r in board.rows if r.agent_id == USER_ID), None)
    return MyPoints(
        enabled=enabled, period=period, first_day=board.first_day, last_day=board.last_day,
        points=mine.points if mine else 0, rank=mine.rank if mine else None, of=len(board.rows),
        badges=[BadgeOut(badge=Badge.ON_TARGET_WEEK, title=rules.badge_title(Badge.ON_TARGET_WEEK),
                         period_start=board.first_day, awarded_at=FIXED_AT)] if mine else [],
        latest=[LedgerRow(reason=Reason.RESOLVED, points=10, at=FIXED_AT,
                          source_table="queue_items", source_id="item-1",
                          explanation=rules.explain("resolved", 10, {}))],
    )  # fmt: skip


def fixed_challenges(*, enabled: bool = True) -> ChallengeList:
    week = rules.span_of(Period.WEEK, TODAY, TZ)
    return ChallengeList(enabled=enabled, items=[
        ChallengeOut(id=uuid.UUID(int=0xC1), title="Ten resolved this week",
                     metric=Metric.RESOLVED, threshold=10, first_day=week.first_day,
                     last_day=week.last_day, progress=[
                         ChallengeProgress(agent_id=BRUNO, name="Bruno Agent", value=12, done=True),
                         ChallengeProgress(agent_id=USER_ID, name="Alice Owner", value=6,
                                           done=False),
                     ]),
        ChallengeOut(id=uuid.UUID(int=0xC2), title="Fast replies", metric=Metric.FIRST_RESPONSE,
                     threshold=20, first_day=week.first_day, last_day=week.last_day,
                     department="care", progress=[
                         ChallengeProgress(agent_id=USER_ID, name="Alice Owner", value=21,
                                           done=True),
                     ]),
    ])  # fmt: skip


def _queue(queue_id: uuid.UUID, name: str, department: str) -> QueueOut:
    return QueueOut(
        id=queue_id, name=name, department=department, waiting=0, assigned=0, open_now=True,
        created_at=FIXED_AT, updated_at=FIXED_AT,
    )  # fmt: skip


class LeaderboardClient(ScriptedClient):
    """ScriptedClient plus the gamification endpoints (and the queues, for the teams); the
    challenges change as the daemon's do (ending one: its last day becomes ``TODAY``, refused
    before it starts and once over)."""

    def __init__(self, server: str, me: Me | None, *, enabled: bool = True) -> None:
        super().__init__(server, [hello_envelope(1)], demo_world(), me)
        self.enabled = enabled
        self.queries: list[BoardQuery] = []
        self.created: list[ChallengeCreate] = []
        self.items = fixed_challenges().items

    async def leaderboard(self, query: BoardQuery) -> Leaderboard:
        self.queries.append(query)
        return fixed_board(query, enabled=self.enabled)

    async def my_points(self, period: Period = Period.WEEK, day: date | None = None) -> MyPoints:
        return fixed_points(period, day, enabled=self.enabled)

    async def challenges(self) -> ChallengeList:
        return ChallengeList(enabled=self.enabled, items=list(self.items))

    def _found(self, challenge_id: uuid.UUID) -> ChallengeOut:
        found = next((c for c in self.items if c.id == challenge_id), None)
        if found is None:
            raise DaemonError(404, "Not Found", "no such challenge")
        return found

    def _replace(self, new: ChallengeOut) -> ChallengeOut:
        self.items = [new if c.id == new.id else c for c in self.items]
        return new

    async def change_challenge(
        self, challenge_id: uuid.UUID, body: ChallengeCreate
    ) -> ChallengeOut:
        old = self._found(challenge_id)
        return self._replace(old.model_copy(update=body.model_dump()))

    async def end_challenge(self, challenge_id: uuid.UUID) -> ChallengeOut:
        old = self._found(challenge_id)
        if old.first_day > TODAY:
            raise DaemonError(409, "Conflict", f"challenge {old.title!r} starts on "
                              f"{old.first_day}: remove it instead")  # fmt: skip
        if old.last_day <= TODAY:
            raise DaemonError(409, "Conflict", f"challenge {old.title!r} ends on "
                              f"{old.last_day} already")  # fmt: skip
        return self._replace(old.model_copy(update={"last_day": TODAY}))

    async def remove_challenge(self, challenge_id: uuid.UUID) -> None:
        self._found(challenge_id)
        self.items = [c for c in self.items if c.id != challenge_id]

    async def create_challenge(self, body: ChallengeCreate) -> ChallengeOut:
        self.created.append(body)
        return ChallengeOut(
            id=uuid.UUID(int=0xC3), title=body.title, metric=body.metric,
            threshold=body.threshold, first_day=body.first_day, last_day=body.last_day,
        )  # fmt: skip

    async def queues(self) -> QueueList:
        return QueueList(
            items=[_queue(SUPPORT, "Support", "care"), _queue(SALES, "Sales", "sales")]
        )


def leaderboard_app(tmp: Path, *, enabled: bool = True, me: Me | None = None) -> PyTakeApp:
    credentials = tmp / "config" / "credentials.json"
    CredentialStore(credentials).save(
        SavedSession(server=SERVER, token="saved", expires_at=FAR_FUTURE, email=ALICE_EMAIL)
    )
    (tmp / "downloads").mkdir(parents=True, exist_ok=True)

    def client(server: str) -> DaemonClient:
        return LeaderboardClient(server, me, enabled=enabled)

    return build_app(
        server=SERVER,
        credentials_path=credentials,
        client_factory=client,
        clock=lambda: FIXED_AT,
        downloads_dir=tmp / "downloads",
    )


async def leaderboard_ready(
    pilot: Pilot[Any], predicate: Any = None, *, key: bool = True
) -> LeaderboardScreen:
    """Sign in, go to the leaderboard (``ctrl+k``, or the palette's action when ``key`` is
    False: the chat's composer keeps ctrl+k for itself), wait until the board (and
    ``predicate(screen)``) is shown."""
    app = pilot.app
    assert isinstance(app, PyTakeApp)
    await wait_until(pilot, lambda: app.client is not None, "the session")
    if not isinstance(app.screen, LeaderboardScreen):
        if key:
            await pilot.press("ctrl+k")
        else:
            await app.run_action("go('leaderboard')")
    return await board_shown(pilot, predicate)


async def board_shown(pilot: Pilot[Any], predicate: Any = None) -> LeaderboardScreen:
    def ready() -> bool:
        screen = pilot.app.screen
        return (
            isinstance(screen, LeaderboardScreen)
            and screen.board is not None
            and screen.board == fixed_board(screen.current_query(), enabled=screen.board.enabled)
            and len(screen.teams) > 1
            and (predicate is None or predicate(screen))
        )

    await wait_until(pilot, ready, "the leaderboard")
    screen = pilot.app.screen
    assert isinstance(screen, LeaderboardScreen)
    await pilot.pause()
    return screen
