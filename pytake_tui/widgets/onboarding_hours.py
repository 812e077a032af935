"""Business hours as a person types them: ``mon-fri 09:00-18:00; sat 09:00-13:00``.

A group is days (one, or a range) then one or more spans; groups are separated by ``;``. The
text becomes the protocol's ``{"mon": [["09:00", "18:00"]], ...}`` and back; the times
themselves are judged by the protocol (``WeeklyHours``), so its sentence reaches the form.
"""

from __future__ import annotations

from pytake_daemon.protocol.queues import WEEKDAYS
from pytake_tui.i18n import _


class HoursProblem(ValueError):
    """Text that is not days and spans."""


def _not_days(text: str) -> str:
    return _("{text!r}: days are {days}, or a range mon-fri").format(
        text=text, days=", ".join(WEEKDAYS)
    )


def _days(text: str) -> list[str]:
    if "-" in text:
        first, _sep, last = text.partition("-")
        if first not in WEEKDAYS or last not in WEEKDAYS:
            raise HoursProblem(_not_days(text))
        start, end = WEEKDAYS.index(first), WEEKDAYS.index(last)
        if start > end:
            raise HoursProblem(
                _("{text!r}: a range goes from an earlier day to a later one").format(text=text)
            )
        return list(WEEKDAYS[start : end + 1])
    if text not in WEEKDAYS:
        raise HoursProblem(_not_days(text))
    return [text]


def parse_hours(text: str) -> dict[str, list[list[str]]]:
    """``mon-fri 09:00-18:00; sat 09:00-13:00`` → weekly spans (empty text: always closed)."""
    hours: dict[str, list[list[str]]] = {}
    for group in (g.strip().lower() for g in text.split(";")):
        if not group:
            continue
        days, *spans = group.split()
        if not spans:
            raise HoursProblem(
                _("{group!r}: give the hours after the days, e.g. 09:00-18:00").format(group=group)
            )
        parsed = []
        for span in spans:
            start, sep, end = span.partition("-")
            if not sep:
                raise HoursProblem(
                    _("{span!r}: a span is start-end, e.g. 09:00-18:00").format(span=span)
                )
            parsed.append([start, end])
        for day in _days(days):
            hours.setdefault(day, []).extend(parsed)
    return hours


def format_hours(hours: dict[str, list[tuple[str, str]]] | dict[str, list[list[str]]]) -> str:
    """The weekly spans as text, consecutive days with the same spans as one range."""
    groups: list[tuple[list[str], str]] = []
    for day in WEEKDAYS:
        spans = hours.get(day)
        if not spans:
            continue
        said = " ".join(f"{s[0]}-{s[1]}" for s in spans)
        previous = groups[-1] if groups else None
        follows = previous and WEEKDAYS.index(previous[0][-1]) == WEEKDAYS.index(day) - 1
        if previous and follows and previous[1] == said:
            previous[0].append(day)
        else:
            groups.append(([day], said))
    return "; ".join(
        f"{days[0]}-{days[-1]} {said}" if len(days) > 1 else f"{days[0]} {said}"
        for days, said in groups
    )
