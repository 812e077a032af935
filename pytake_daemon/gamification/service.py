"""Reading the ledger (leaderboards, my points, challenge progress) and the supervisor's and
admin's changes (challenges, the tenant's switch). Reads never compute points: the pass
(scoring.py) does, so a leaderboard costs one indexed range of the ledger."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import asyncpg

from pytake_daemon.attendance import goal_titles
from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import Conflict, NotFound, UnprocessableEntity
from pytake_daemon.gamification import db, rules
from pytake_daemon.protocol import ProblemField
from pytake_daemon.protocol.agents import GoalKind
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
)

LATEST_ROWS = 20
"""Ledger rows "my points" explains."""
NO_CHALLENGE = "no such challenge"
_SHORTER = {Period.DAY: {Period.DAY}, Period.WEEK: {Period.DAY, Period.WEEK}}


def _invalid(field: str, message: str, where: str = "body") -> UnprocessableEntity:
    """A 422 naming the field (``body.`` or ``query.``)."""
    return UnprocessableEntity(
        f"invalid {field}: {message}",
        errors=[ProblemField(loc=f"{where}.{field}", msg=message, type="value_error")],
    )


async def span_for(conn: Connection, period: Period, day: date | None, now: datetime) -> rules.Span:
    tz = await db.timezone_of(conn)
    return rules.span_of(period, day or rules.local_day(now, tz), tz)


def _shown(badge: str, period: Period) -> bool:
    """A board shows the badges of its own period and of shorter ones (a month: all)."""
    allowed = _SHORTER.get(period)
    return allowed is None or rules.BADGE_PERIODS[Badge(badge)] in allowed


async def _badges_by_agent(conn: Connection, span: rules.Span) -> dict[uuid.UUID, list[Badge]]:
    found: dict[uuid.UUID, list[Badge]] = {}
    for row in await db.badges(conn, span.first_day, span.last_day):
        if _shown(row["badge"], span.period):
            found.setdefault(row["agent_id"], []).append(Badge(row["badge"]))
    return found


async def leaderboard(conn: Connection, query: BoardQuery, now: datetime) -> Leaderboard:
    """The team's ranking over the period; empty and ``enabled: false`` when turned off."""
    span = await span_for(conn, query.period, query.day, now)
    team = "everyone"
    if query.queue_id is not None:
        name = await db.queue_name(conn, query.queue_id)
        if name is None:
            raise _invalid("queue_id", "no such queue", "query")
        team = name
    elif query.department is not None:
        team = query.department
    board = Leaderboard(
        enabled=await db.enabled(conn),
        period=query.period,
        first_day=span.first_day,
        last_day=span.last_day,
        tz=await db.timezone_of(conn),
        team=team,
    )
    if not board.enabled:
        return board
    team_rows = await db.team(conn, span.start, span.end, query.queue_id, query.department)
    badges = await _badges_by_agent(conn, span)
    ranks = rules.competition_ranks([r["points"] for r in team_rows])
    return board.model_copy(
        update={
            "rows": [
                rows.of(BoardRow, r, rank=rank, badges=badges.get(r["agent_id"], []))
                for rank, r in zip(ranks, team_rows, strict=True)
            ]
        }
    )


async def my_points(
    conn: Connection, agent_id: uuid.UUID, period: Period, day: date | None, now: datetime
) -> MyPoints:
    """An agent's points, rank among everyone, badges of the period and the latest ledger
    rows with why each has its points."""
    board = await leaderboard(conn, BoardQuery(period=period, day=day), now)
    mine = MyPoints(
        enabled=board.enabled, period=period, first_day=board.first_day, last_day=board.last_day
    )
    if not board.enabled:
        return mine
    span = await span_for(conn, period, day, now)
    row = next((r for r in board.rows if r.agent_id == agent_id), None)
    badges = [
        rows.of(BadgeOut, b, title=rules.badge_title(Badge(b["badge"])))
        for b in await db.badges(conn, span.first_day, span.last_day)
        if b["agent_id"] == agent_id and _shown(b["badge"], period)
    ]
    latest = [
        rows.of(LedgerRow, r, explanation=rules.explain(r["reason"], r["points"], _worded_goal(r)))
        for r in await db.latest(conn, agent_id, span.start, span.end, LATEST_ROWS)
    ]
    return mine.model_copy(
        update={
            "points": row.points if row else 0,
            "rank": row.rank if row else None,
            "of": len(board.rows),
            "badges": badges,
            "latest": latest,
        }
    )


_METRIC_COLUMN = {
    Metric.POINTS: "points",
    Metric.RESOLVED: "resolved",
    Metric.FIRST_RESPONSE: "on_target",
    Metric.CSAT_5: "five_stars",
}


async def challenge_out(conn: Connection, row: asyncpg.Record) -> ChallengeOut:
    """A challenge with each agent's progress over its days (tenant's zone), furthest first."""
    tz = await db.timezone_of(conn)
    start = rules.local_midnight(row["first_day"], tz)
    end = rules.span_of(Period.DAY, row["last_day"], tz).end
    metric = Metric(row["metric"])
    column = _METRIC_COLUMN[metric]
    figures = await db.team(conn, start, end, row["queue_id"], row["department"])
    progress = sorted(
        (
            rows.of(ChallengeProgress, f, value=f[column], done=f[column] >= row["threshold"])
            for f in figures
        ),
        key=lambda p: (-p.value, p.name.casefold()),
    )
    return rows.of(ChallengeOut, row, progress=progress)


async def list_challenges(conn: Connection, now: datetime) -> ChallengeList:
    """Challenges not over yet (or over within the last month), with progress."""
    tz = await db.timezone_of(conn)
    today = rules.local_day(now, tz)
    since = today.replace(day=1) if today.day > 1 else today
    enabled = await db.enabled(conn)
    found = await db.challenges(conn, since)
    return ChallengeList(enabled=enabled, items=[await challenge_out(conn, r) for r in found])


async def _check_queue(conn: Connection, body: ChallengeCreate) -> None:
    if body.queue_id is not None and await db.queue_name(conn, body.queue_id) is None:
        raise _invalid("queue_id", "no such queue")


def _values(body: ChallengeCreate) -> tuple[Any, ...]:
    return (
        body.title.strip(),
        body.metric.value,
        body.threshold,
        body.first_day,
        body.last_day,
        body.queue_id,
        body.department,
    )


async def create_challenge(
    conn: Connection, body: ChallengeCreate, by_user: uuid.UUID
) -> asyncpg.Record:
    await _check_queue(conn, body)
    return await db.insert_challenge(conn, (*_values(body), by_user))


async def change_challenge(
    conn: Connection, challenge_id: uuid.UUID, body: ChallengeCreate
) -> tuple[asyncpg.Record, asyncpg.Record]:
    """The challenge before and after (a PUT: every field given)."""
    before = await db.challenge(conn, challenge_id)
    if before is None:
        raise NotFound(NO_CHALLENGE)
    await _check_queue(conn, body)
    after = await db.update_challenge(conn, challenge_id, _values(body))
    assert after is not None  # same transaction as the read above
    return before, after


async def end_challenge(
    conn: Connection, challenge_id: uuid.UUID, now: datetime
) -> tuple[asyncpg.Record, asyncpg.Record]:
    """End a running challenge today (the tenant's zone): today's work still counts, none after.

    One not started yet has nothing to end (409: remove it); one over already neither."""
    before = await db.challenge(conn, challenge_id)
    if before is None:
        raise NotFound(NO_CHALLENGE)
    today = rules.local_day(now, await db.timezone_of(conn))
    if before["first_day"] > today:
        raise Conflict(
            f"challenge {before['title']!r} starts on {before['first_day']}: remove it instead"
        )
    if before["last_day"] <= today:
        raise Conflict(f"challenge {before['title']!r} ends on {before['last_day']} already")
    values = (
        before["title"],
        before["metric"],
        before["threshold"],
        before["first_day"],
        today,
        before["queue_id"],
        before["department"],
    )
    after = await db.update_challenge(conn, challenge_id, values)
    assert after is not None  # same transaction as the read above
    return before, after


async def remove_challenge(conn: Connection, challenge_id: uuid.UUID) -> asyncpg.Record:
    row = await db.delete_challenge(conn, challenge_id)
    if row is None:
        raise NotFound(NO_CHALLENGE)
    return row


def audit_fields(row: asyncpg.Record) -> dict[str, Any]:
    """What the audit records of a challenge (JSON-ready)."""
    return {
        "title": row["title"],
        "metric": row["metric"],
        "threshold": row["threshold"],
        "first_day": row["first_day"].isoformat(),
        "last_day": row["last_day"].isoformat(),
        "queue_id": None if row["queue_id"] is None else str(row["queue_id"]),
        "department": row["department"],
    }


async def set_enabled(conn: Connection, enabled: bool, by_user: uuid.UUID, now: datetime) -> bool:
    """Turn the tenant's gamification on or off; returns the previous value. Turned on again,
    the pass starts from now: the time it was off earns nothing."""
    before = await db.enabled(conn)
    await db.set_enabled(conn, enabled, by_user, now)
    if enabled and not before:
        await conn.execute(db.MARK_RUN, now)
    return before


def _worded_goal(row: asyncpg.Record) -> dict[str, object]:
    """A ledger row's detail; a reached goal still defined is worded in the request's language
    (the ledger stored its English title)."""
    detail: dict[str, object] = dict(row["detail"] or {})
    if row["goal_kind"] is not None:
        detail["title"] = goal_titles.title(
            GoalKind(row["goal_kind"]), row["goal_target"], row["goal_period"]
        )
    return detail
