"""Business hours across time zones, daylight saving time and holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pytake_daemon.attendance.hours import is_open, next_opening

WEEKDAYS_9_TO_18 = {d: [("09:00", "18:00")] for d in ("mon", "tue", "wed", "thu", "fri")}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "moment", "expected"),
    [
        # New York: EST (UTC-5) before 10 March 2024, EDT (UTC-4) after.
        ("America/New_York", utc(2024, 3, 8, 13, 59), False),  # Fri 08:59 EST
        ("America/New_York", utc(2024, 3, 8, 14, 0), True),  # Fri 09:00 EST
        ("America/New_York", utc(2024, 3, 11, 13, 0), True),  # Mon 09:00 EDT
        ("America/New_York", utc(2024, 3, 11, 22, 0), False),  # Mon 18:00 EDT: closed
        ("America/New_York", utc(2024, 3, 11, 21, 59), True),
        # São Paulo has had no DST since 2019: always UTC-3.
        ("America/Sao_Paulo", utc(2024, 1, 15, 12, 0), True),  # Mon 09:00
        ("America/Sao_Paulo", utc(2024, 1, 15, 11, 59), False),
        # Kolkata is UTC+5:30; Saturday is closed.
        ("Asia/Kolkata", utc(2024, 6, 3, 3, 30), True),  # Mon 09:00 IST
        ("Asia/Kolkata", utc(2024, 6, 3, 3, 29), False),
        ("Asia/Kolkata", utc(2024, 6, 8, 6, 0), False),  # Sat
        # Tokyo Monday morning is still Sunday in UTC.
        ("Asia/Tokyo", utc(2024, 6, 2, 23, 30), False),  # Mon 08:30 JST
        ("Asia/Tokyo", utc(2024, 6, 3, 0, 0), True),  # Mon 09:00 JST
    ],
)
def test_open_in_local_time(tz: str, moment: datetime, expected: bool) -> None:
    assert is_open(WEEKDAYS_9_TO_18, tz, (), moment) is expected


def test_always_open_and_holidays() -> None:
    assert is_open(None, "UTC", (), utc(2024, 12, 25, 3, 0))
    christmas = {date(2024, 12, 25)}
    assert not is_open(WEEKDAYS_9_TO_18, "Europe/London", christmas, utc(2024, 12, 25, 12))
    assert is_open(WEEKDAYS_9_TO_18, "Europe/London", christmas, utc(2024, 12, 24, 12))
    # The holiday is the local date: 00:30 on the 26th in Auckland is still the 25th in UTC.
    nz_holiday = {date(2024, 12, 26)}
    hours = {"thu": [("00:00", "24:00")]}
    assert not is_open(hours, "Pacific/Auckland", nz_holiday, utc(2024, 12, 25, 11, 30))


def test_next_opening_skips_weekend_and_holiday_across_dst() -> None:
    # Friday 1 November 2024 19:00 EDT; Monday 4 November is a holiday; DST ended on Sunday 3.
    holidays = {date(2024, 11, 4)}
    friday_evening = utc(2024, 11, 1, 23, 0)
    opens = next_opening(WEEKDAYS_9_TO_18, "America/New_York", holidays, friday_evening)
    assert opens == utc(2024, 11, 5, 14, 0)  # Tuesday 09:00 EST (UTC-5 now)
    assert next_opening(WEEKDAYS_9_TO_18, "America/New_York", (), utc(2024, 11, 5, 15)) == utc(
        2024, 11, 5, 15
    )


def test_opening_inside_a_spring_forward_gap_opens_at_the_jump() -> None:
    # 10 March 2024 in New York: clocks jump from 02:00 EST to 03:00 EDT (07:00 UTC).
    hours = {"sun": [("02:30", "05:00")]}
    assert next_opening(hours, "America/New_York", (), utc(2024, 3, 10, 5, 0)) == utc(
        2024, 3, 10, 7, 0
    )
    # In the autumn overlap, 01:30 happens twice; it opens at the first one (EDT).
    hours = {"sun": [("01:30", "03:00")]}
    assert next_opening(hours, "America/New_York", (), utc(2024, 11, 3, 4, 0)) == utc(
        2024, 11, 3, 5, 30
    )


def test_never_open_has_no_next_opening() -> None:
    assert next_opening({}, "UTC", (), utc(2024, 1, 1)) is None
