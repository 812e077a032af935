"""The rules as plain functions, against values worked out by hand: periods in a zone (both
DST changes), badges, ranks, and the sentence that explains a point."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pytake_daemon.gamification import rules
from pytake_daemon.gamification.rules import Fact
from pytake_daemon.protocol.gamification import Badge, Period

T = datetime(2026, 3, 24, 10, tzinfo=UTC)


def _facts(reason: str, *points: int) -> list[Fact]:
    return [Fact(reason, p, T + timedelta(minutes=n)) for n, p in enumerate(points)]


def _ratings(*stars: int) -> list[Fact]:
    return [
        Fact("csat", rules.csat_points(s), T + timedelta(minutes=n), rating=s)
        for n, s in enumerate(stars)
    ]


def test_points_per_fact() -> None:
    assert (rules.RESOLVED_POINTS, rules.ON_TARGET_POINTS, rules.GOAL_POINTS) == (10, 5, 20)
    assert [rules.csat_points(s) for s in (1, 2, 3, 4, 5)] == [0, 0, 0, 2, 5]


def test_periods_in_lisbon_across_both_dst_changes() -> None:
    spring = rules.span_of(Period.DAY, date(2026, 3, 29), "Europe/Lisbon")
    assert (spring.start, spring.end) == (
        datetime(2026, 3, 29, tzinfo=UTC), datetime(2026, 3, 29, 23, tzinfo=UTC),
    )  # fmt: skip
    autumn = rules.span_of(Period.DAY, date(2026, 10, 25), "Europe/Lisbon")
    assert autumn.end - autumn.start == timedelta(hours=25)
    week = rules.span_of(Period.WEEK, date(2026, 3, 29), "Europe/Lisbon")
    assert (week.first_day, week.last_day) == (date(2026, 3, 23), date(2026, 3, 29))
    assert week.end - week.start == timedelta(days=7, hours=-1)
    month = rules.span_of(Period.MONTH, date(2026, 2, 14), "America/Sao_Paulo")
    assert (month.first_day, month.last_day) == (date(2026, 2, 1), date(2026, 2, 28))
    assert month.start == datetime(2026, 2, 1, 3, tzinfo=UTC)
    december = rules.span_of(Period.MONTH, date(2026, 12, 31), "UTC")
    assert december.last_day == date(2026, 12, 31)


def test_spans_touched_by_a_window() -> None:
    start = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)  # Saturday 23:30 WET
    end = datetime(2026, 3, 30, 0, 10, tzinfo=UTC)  # Monday 01:10 WEST
    days = rules.spans_touched(Period.DAY, start, end, "Europe/Lisbon")
    assert [d.first_day.day for d in days] == [28, 29, 30]
    weeks = rules.spans_touched(Period.WEEK, start, end, "Europe/Lisbon")
    assert [w.first_day for w in weeks] == [date(2026, 3, 23), date(2026, 3, 30)]


def test_closer_needs_ten_resolved_in_the_day() -> None:
    assert not rules.closer(_facts("resolved", *[10] * 9) + _facts("csat", 5))
    assert rules.closer(_facts("resolved", *[10] * 10))


def test_five_star_streak_is_five_in_a_row() -> None:
    assert rules.five_star_streak(_ratings(5, 5, 5, 5, 5))
    assert not rules.five_star_streak(_ratings(5, 5, 4, 5, 5, 5))
    assert rules.five_star_streak(_ratings(3, 5, 5, 5, 5, 5, 1))


def test_on_target_week_waits_for_the_week_and_allows_no_miss() -> None:
    five = _facts("first_response", 5, 5, 5, 5, 5)
    assert rules.on_target_week(five, finished=True)
    assert not rules.on_target_week(five, finished=False)
    assert not rules.on_target_week(five[:4], finished=True)
    assert not rules.on_target_week([*five, *_facts("first_response", 0)], finished=True)


def test_badges_by_period() -> None:
    assert rules.badges_earned(Period.DAY, _facts("resolved", *[10] * 10), finished=False) == [
        Badge.CLOSER
    ]
    week = _ratings(5, 5, 5, 5, 5) + _facts("first_response", 5, 5, 5, 5, 5)
    assert rules.badges_earned(Period.WEEK, week, finished=True) == [
        Badge.FIVE_STAR_STREAK, Badge.ON_TARGET_WEEK,
    ]  # fmt: skip


def test_competition_ranks() -> None:
    assert rules.competition_ranks([100, 80, 80, 50]) == [1, 2, 2, 4]
    assert rules.competition_ranks([0, 0]) == [1, 1]
    assert rules.competition_ranks([]) == []


def test_every_point_is_explained() -> None:
    assert rules.explain("first_response", 0, {"seconds": 90, "target": 60}) == (
        "+0: first response in 90s, past the 60s target"
    )
    assert rules.explain("csat", 5, {"rating": 5}) == "+5: rated 5 of 5"
    goal = rules.explain("goal_reached", 20, {"title": "10 a day"})
    assert goal == "+20: goal reached (10 a day)"
    assert rules.explain("resolved", 10, {}) == "+10: attendance resolved with your reply"


def test_every_point_is_explained_in_portuguese() -> None:
    def pt(reason: str, points: int, detail: dict[str, object]) -> str:
        return rules.explain(reason, points, detail, language="pt_BR")

    assert pt("resolved", 10, {}) == "+10: atendimento resolvido com a sua resposta"
    assert pt("first_response", 5, {"seconds": 12.5, "target": 300}) == (
        "+5: primeira resposta em 12,5s, dentro da meta de 300s"
    )
    assert pt("first_response", 0, {"seconds": 90, "target": 60}) == (
        "+0: primeira resposta em 90s, acima da meta de 60s"
    )
    assert pt("csat", 5, {"rating": 5}) == "+5: avaliado com 5 de 5"
    assert pt("goal_reached", 20, {}) == "+20: meta atingida (uma meta)"
