"""Badges written by the pass (clock pinned, Lisbon): each once per rule and period, the
spring-forward Sunday's hours, the weekly badge judged only once the week is over."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from pytake_daemon.db.pool import Connection, Pool, set_tenant
from pytake_daemon.gamification import scoring, service
from pytake_daemon.keys import DB_POOL, SECRET_BOX
from pytake_daemon.protocol.gamification import Badge, Period
from tests.conftest import ApiClient, MakeTenant
from tests.gamification.seed import NOW, at, writer

MID_SUNDAY = datetime(2026, 3, 29, 12, tzinfo=UTC)


async def _badges(pool: Pool, tenant_id: uuid.UUID) -> list[tuple[str, date]]:
    async with pool.acquire() as conn, conn.transaction():
        await set_tenant(conn, tenant_id)
        rows = await conn.fetch(
            "SELECT badge, period_start FROM gamification_badges ORDER BY period_start, badge"
        )
    return [(r["badge"], r["period_start"]) for r in rows]


async def test_badges_once_per_rule_and_period(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    async with admin_conn.transaction():
        w = await writer(admin_conn, tenant.id, api.app[SECRET_BOX])
        support = await w.queue("Support", 300, "care")
        dora = await w.agent("Dora", ["care"])
        # Saturday 28 (WET): ten resolved, each answered in 10 s; the first five rated 5.
        for n in range(10):
            start = at(28, 9) + timedelta(minutes=30 * n)
            await w.attendance(
                dora, support, start, start + timedelta(minutes=20), reply_after=10,
                rating=5 if n < 5 else None,
            )  # fmt: skip
        # Sunday 29, the 23-hour day: nine by 22:50 UTC, the tenth at 23:30 UTC = Monday.
        for n in range(9):
            start = at(29, 9) + timedelta(minutes=30 * n)
            await w.attendance(dora, support, start, start + timedelta(minutes=20), reply_after=10)
        await w.attendance(dora, support, at(29, 23), at(29, 23, 30), reply_after=10)
    pool = api.app[DB_POOL]

    async with pool.acquire() as conn, conn.transaction():
        await scoring.score_tenant(conn, tenant.id, MID_SUNDAY)
    # The week isn't over at noon on Sunday: no "on target" yet.
    assert await _badges(pool, tenant.id) == [
        ("five_star_streak", date(2026, 3, 23)), ("closer", date(2026, 3, 28)),
    ]  # fmt: skip

    for now in (NOW, NOW + timedelta(minutes=2)):  # twice: still once each
        async with pool.acquire() as conn, conn.transaction():
            await scoring.score_tenant(conn, tenant.id, now)
    assert await _badges(pool, tenant.id) == [
        ("five_star_streak", date(2026, 3, 23)),
        ("on_target_week", date(2026, 3, 23)),
        ("closer", date(2026, 3, 28)),
    ]  # no closer for Sunday: its tenth came at 00:30 WEST on Monday

    async with pool.acquire() as conn, conn.transaction():
        await set_tenant(conn, tenant.id)
        mine = await service.my_points(conn, dora, Period.WEEK, date(2026, 3, 25), NOW)
        day = await service.my_points(conn, dora, Period.DAY, date(2026, 3, 28), NOW)
    # In the order they were awarded (the first two on Sunday noon's pass).
    assert [b.badge for b in mine.badges] == [
        Badge.CLOSER, Badge.FIVE_STAR_STREAK, Badge.ON_TARGET_WEEK,
    ]  # fmt: skip
    # 19 resolved and on target in the week, five rated 5.
    assert (mine.points, mine.rank) == (19 * 15 + 5 * 5, 1)
    assert mine.latest[0].explanation == "+5: first response in 10s, within the 300s target"
    assert [b.badge for b in day.badges] == [Badge.CLOSER]  # a day shows a day's badges
