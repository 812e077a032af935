"""Dates, times, numbers and durations as the reader's language writes them (Babel's CLDR data).

Every helper takes the language in force unless given `language=`; times are shown in the
reader's time zone (`tz`), never the server's.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Literal

from babel import Locale, dates, numbers

from pytake_i18n.languages import get_language


def babel_locale(language: str | None = None) -> Locale:
    """Babel's locale for one of our languages."""
    return Locale.parse(language or get_language())


def format_datetime(
    value: datetime,
    tz: tzinfo | None = None,
    *,
    format: str = "short",
    language: str | None = None,
) -> str:
    """A date and time in `tz`: "12/5/26, 3:45 PM" / "05/12/2026 15:45"."""
    return dates.format_datetime(value, format, tzinfo=tz, locale=babel_locale(language))


def format_date(
    value: date | datetime,
    *,
    format: str = "short",
    language: str | None = None,
) -> str:
    """A date: "12/5/26" / "05/12/2026" (pass `format="medium"` for a month name)."""
    return dates.format_date(value, format, locale=babel_locale(language))


def format_time(
    value: datetime | time,
    tz: tzinfo | None = None,
    *,
    format: str = "short",
    language: str | None = None,
) -> str:
    """A time of day in `tz`: "3:45 PM" / "15:45"."""
    return dates.format_time(value, format, tzinfo=tz, locale=babel_locale(language))


def format_skeleton(
    skeleton: str, value: datetime, tz: tzinfo | None = None, *, language: str | None = None
) -> str:
    """A date/time by CLDR skeleton ("Hm", "MMMd", "Hms"): the locale orders the fields."""
    return dates.format_skeleton(skeleton, value, tzinfo=tz, locale=babel_locale(language))


def format_moment(value: datetime, tz: tzinfo | None = None, *, language: str | None = None) -> str:
    """A compact date and 24-hour time: "1/31/2026 15:45" / "31/01/2026 15:45".

    CLDR has no combined skeleton for it, so the date and the time are formatted apart.
    """
    date_part = format_skeleton("yMd", value, tz, language=language)
    return f"{date_part} {format_skeleton('Hm', value, tz, language=language)}"


def format_number(value: float, *, pattern: str | None = None, language: str | None = None) -> str:
    """A number with the locale's separators: "1,234.5" / "1.234,5" (``pattern="0.0"``: one
    decimal always, "4.0" / "4,0")."""
    return numbers.format_decimal(value, format=pattern, locale=babel_locale(language))


def format_percent(value: float, *, language: str | None = None) -> str:
    """A fraction as a percentage: 0.25 -> "25%" / "25%"."""
    return numbers.format_percent(value, locale=babel_locale(language))


def format_duration(
    seconds: float,
    *,
    format: Literal["narrow", "short", "medium", "long"] = "short",
    threshold: float = 0.85,
    language: str | None = None,
) -> str:
    """A rounded duration: 300 -> "5 min" / "5 min", 7200 -> "2 hr" / "2 h"."""
    return dates.format_timedelta(
        timedelta(seconds=seconds),
        threshold=threshold,
        format=format,
        locale=babel_locale(language),
    )
