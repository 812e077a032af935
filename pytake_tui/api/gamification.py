"""The leaderboard's and the dashboard's points panel's calls: the leaderboard, my points,
challenges (supervisors change them) and the tenant's switch (admins)."""

from __future__ import annotations

import uuid
from datetime import date

from pytake_daemon.protocol.gamification import (
    BoardQuery,
    ChallengeCreate,
    ChallengeList,
    ChallengeOut,
    GamificationSettings,
    Leaderboard,
    MyPoints,
    Period,
)
from pytake_tui.api.transport import API_PREFIX, Endpoints

_BASE = f"{API_PREFIX}/gamification"


class GamificationEndpoints(Endpoints):
    """``/gamification/…``."""

    async def leaderboard(self, query: BoardQuery) -> Leaderboard:
        """The ranking of a team over a period (the tenant's time zone)."""
        params = query.model_dump(mode="json", exclude_none=True)
        return await self._transport.get(Leaderboard, f"{_BASE}/leaderboard", params=params)

    async def my_points(self, period: Period = Period.WEEK, day: date | None = None) -> MyPoints:
        """My points, rank and badges over a period, with why I have each point."""
        query = BoardQuery(period=period, day=day)
        params = query.model_dump(mode="json", exclude_none=True)
        return await self._transport.get(MyPoints, f"{_BASE}/me", params=params)

    async def challenges(self) -> ChallengeList:
        """Challenges not over yet, with everyone's progress."""
        return await self._transport.get(ChallengeList, f"{_BASE}/challenges")

    async def create_challenge(self, body: ChallengeCreate) -> ChallengeOut:
        return await self._transport.call(ChallengeOut, "POST", f"{_BASE}/challenges", body)

    async def change_challenge(
        self, challenge_id: uuid.UUID, body: ChallengeCreate
    ) -> ChallengeOut:
        return await self._transport.call(
            ChallengeOut, "PUT", f"{_BASE}/challenges/{challenge_id}", body
        )

    async def end_challenge(self, challenge_id: uuid.UUID) -> ChallengeOut:
        """End a running challenge today, the tenant's zone (409 before it starts or after)."""
        return await self._transport.call(
            ChallengeOut, "POST", f"{_BASE}/challenges/{challenge_id}/end"
        )

    async def remove_challenge(self, challenge_id: uuid.UUID) -> None:
        await self._transport.send("DELETE", f"{_BASE}/challenges/{challenge_id}")

    async def gamification_settings(self) -> GamificationSettings:
        return await self._transport.get(GamificationSettings, f"{_BASE}/settings")

    async def set_gamification(self, enabled: bool) -> GamificationSettings:
        """Turn the tenant's gamification on or off (admins)."""
        body = GamificationSettings(enabled=enabled)
        return await self._transport.call(GamificationSettings, "PUT", f"{_BASE}/settings", body)
