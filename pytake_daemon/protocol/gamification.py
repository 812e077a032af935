"""Gamification (``/api/v1/gamification``): points from measured work, leaderboards per team
and period, badges, challenges, and the tenant's switch. Rules in docs/gamification.md."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from pytake_daemon.protocol.checks import refusal
from pytake_daemon.protocol.common import WireModel

Day = Annotated[
    date,
    Field(
        ge=date(2000, 1, 1),
        le=date(2100, 12, 31),
        # The document says it too (JSON Schema has no range for a date): years 2000 to 2100.
        json_schema_extra={"pattern": "^(20[0-9][0-9]|2100)-"},
    ),
]
"""A day the boards can turn into instants in any zone (year 1 or 9999 overflow)."""


def _not_blank(value: str) -> str:
    value = value.strip()
    if not value:
        raise refusal("gamification_must_not_be_blank")
    return value


class Period(StrEnum):
    """A local day, a week (Monday to Sunday) or a calendar month in the tenant's time zone."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class Reason(StrEnum):
    """Why a ledger row exists; each names its source row."""

    RESOLVED = "resolved"
    FIRST_RESPONSE = "first_response"
    CSAT = "csat"
    GOAL_REACHED = "goal_reached"


class Badge(StrEnum):
    """``closer``: 10 attendances resolved in a local day; ``five_star_streak``: five 5-star
    ratings in a row within a week; ``on_target_week``: a finished week with at least five
    first replies, every one within its queue's target."""

    CLOSER = "closer"
    FIVE_STAR_STREAK = "five_star_streak"
    ON_TARGET_WEEK = "on_target_week"


class Metric(StrEnum):
    """What a challenge counts over its days: points, attendances resolved, first replies on
    target, or 5-star ratings."""

    POINTS = "points"
    RESOLVED = "resolved"
    FIRST_RESPONSE = "first_response"
    CSAT_5 = "csat_5"


class BoardQuery(WireModel):
    """A period holding ``day`` (default today, in the tenant's zone); a team is a queue (the
    points earned in its attendances) or a department (its agents' points)."""

    period: Period = Period.WEEK
    day: Day | None = None
    queue_id: uuid.UUID | None = None
    department: Annotated[str, Field(min_length=1, max_length=100)] | None = None

    @model_validator(mode="after")
    def _one_team(self) -> BoardQuery:
        if self.queue_id is not None and self.department is not None:
            raise refusal("gamification_give_queue_id_or")
        return self


class BadgeOut(WireModel):
    badge: Badge
    title: str
    period_start: date
    awarded_at: datetime


class BoardRow(WireModel):
    rank: int
    agent_id: uuid.UUID
    name: str
    points: int
    resolved: int
    on_target: int
    five_stars: int
    badges: list[Badge] = Field(default_factory=list)


class Leaderboard(WireModel):
    enabled: bool
    period: Period
    first_day: date
    last_day: date
    tz: str
    team: str = Field(description="'everyone', a queue's name or a department")
    rows: list[BoardRow] = Field(default_factory=list)


class LedgerRow(WireModel):
    """One measured fact and its points, with the row it came from."""

    reason: Reason
    points: int
    at: datetime
    source_table: str
    source_id: str
    explanation: str


class MyPoints(WireModel):
    enabled: bool
    period: Period
    first_day: date
    last_day: date
    points: int = 0
    rank: int | None = None
    of: int = 0
    badges: list[BadgeOut] = Field(default_factory=list)
    latest: list[LedgerRow] = Field(default_factory=list)


class ChallengeCreate(WireModel):
    title: Annotated[str, Field(min_length=1, max_length=120), AfterValidator(_not_blank)]
    metric: Metric
    threshold: int = Field(ge=1, le=1_000_000)
    first_day: Day
    last_day: Day
    queue_id: uuid.UUID | None = None
    department: (
        Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_not_blank)] | None
    ) = None

    @model_validator(mode="after")
    def _days(self) -> ChallengeCreate:
        if self.last_day < self.first_day:
            raise refusal("gamification_last_day_is_before")
        if (self.last_day - self.first_day).days > 366:
            raise refusal("gamification_a_challenge_lasts_at")
        if self.queue_id is not None and self.department is not None:
            raise refusal("gamification_give_queue_id_or")
        return self


class ChallengeProgress(WireModel):
    agent_id: uuid.UUID
    name: str
    value: int
    done: bool


class ChallengeOut(WireModel):
    id: uuid.UUID
    title: str
    metric: Metric
    threshold: int
    first_day: date
    last_day: date
    queue_id: uuid.UUID | None = None
    department: str | None = None
    progress: list[ChallengeProgress] = Field(
        default_factory=list, description="each agent in scope, furthest first"
    )


class ChallengeList(WireModel):
    enabled: bool
    items: list[ChallengeOut] = Field(default_factory=list)


class GamificationSettings(WireModel):
    """The tenant's switch: off, no points are computed and the screens say so."""

    enabled: bool = True
