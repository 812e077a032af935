"""The queue form's text fields, read and written: weekly hours as one line
(``mon-fri 09:00-12:00 13:00-18:00; sat 09:00-13:00``), holidays and skills as lists.

Only the shape is read here; the times, dates and limits are checked by the protocol's
``QueueSettings`` (before sending) and by the daemon, each problem under its field.
"""

from __future__ import annotations

from typing import Any

from pytake_daemon.protocol.queues import WEEKDAYS, QueueOut, QueueSettings
from pytake_tui.i18n import _

Hours = dict[str, list[tuple[str, str]]]


class HoursFormatError(ValueError):
    """The hours line can't be read (not the times themselves: the protocol checks those)."""


def _days(token: str) -> list[str]:
    first, _sep, last = token.partition("-")
    if first not in WEEKDAYS or (last and last not in WEEKDAYS):
        raise HoursFormatError(
            _("{token!r} is not a weekday or a range like mon-fri").format(token=token)
        )
    if not last:
        return [first]
    start, end = WEEKDAYS.index(first), WEEKDAYS.index(last)
    if end < start:
        raise HoursFormatError(_("{token}: a range goes forward, like mon-fri").format(token=token))
    return list(WEEKDAYS[start : end + 1])


def parse_hours(text: str) -> Hours | None:
    """``mon-fri 09:00-18:00; sat 09:00-13:00`` → spans per weekday; blank → None (always open)."""
    if not text.strip():
        return None
    hours: Hours = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        words = part.lower().split()
        days = _days(words[0])
        spans: list[tuple[str, str]] = []
        for span in words[1:]:
            start, sep, end = span.partition("-")
            if not sep:
                raise HoursFormatError(_("{span!r}: a span is HH:MM-HH:MM").format(span=span))
            spans.append((start, end))
        if not spans:
            raise HoursFormatError(
                _("{day}: give its hours, like {day} 09:00-18:00").format(day=words[0])
            )
        for day in days:
            hours.setdefault(day, []).extend(spans)
    return hours


def format_hours(hours: Hours | None) -> str:
    """The hours as one line, consecutive days with the same spans grouped (``mon-fri``)."""
    if not hours:
        return ""
    groups: list[tuple[list[str], list[tuple[str, str]]]] = []
    for day in WEEKDAYS:
        spans = [(start, end) for start, end in hours.get(day, [])]
        if not spans:
            continue
        if (
            groups
            and groups[-1][1] == spans
            and WEEKDAYS.index(groups[-1][0][-1]) + 1 == (WEEKDAYS.index(day))
        ):
            groups[-1][0].append(day)
        else:
            groups.append(([day], spans))
    parts = []
    for days, spans in groups:
        name = days[0] if len(days) == 1 else f"{days[0]}-{days[-1]}"
        parts.append(" ".join([name, *(f"{a}-{b}" for a, b in spans)]))
    return "; ".join(parts)


def split_list(text: str) -> list[str]:
    """``a, b ,c`` → ``["a", "b", "c"]`` (blanks dropped)."""
    return [item.strip() for item in text.split(",") if item.strip()]


TEXT_FIELDS = (
    "name",
    "description",
    "department",
    "timezone",
    "welcome_message",
    "position_message",
    "out_of_hours_message",
    "timeout_message",
    "full_message",
)
NUMBER_FIELDS = (
    "max_size",
    "max_wait_minutes",
    "position_update_seconds",
    "first_response_target_seconds",
)
CHOICE_FIELDS = (
    "policy",
    "timeout_action",
    "timeout_queue_id",
    "overflow_action",
    "overflow_queue_id",
    "out_of_hours_action",
    "out_of_hours_queue_id",
)


def form_values(queue: QueueOut | None) -> dict[str, Any]:
    """What the form shows for a queue (or a new one's defaults), as field name → text/value."""
    settings = (
        QueueSettings.model_validate(queue.model_dump(include=set(QueueSettings.model_fields)))
        if queue is not None
        else QueueSettings.model_construct(**_defaults())
    )
    values: dict[str, Any] = {name: getattr(settings, name) for name in CHOICE_FIELDS}
    values.update({name: getattr(settings, name) or "" for name in TEXT_FIELDS})
    values.update({name: str(getattr(settings, name)) for name in NUMBER_FIELDS})
    values["required_skills"] = ", ".join(settings.required_skills)
    values["holidays"] = ", ".join(d.isoformat() for d in settings.holidays)
    values["business_hours"] = format_hours(settings.business_hours)
    values["active"] = settings.active
    values["timeout_flow_id"] = settings.timeout_flow_id
    return values


def _defaults() -> dict[str, Any]:
    return {
        name: field.get_default(call_default_factory=True) if name != "name" else ""
        for name, field in QueueSettings.model_fields.items()
    }


def settings_document(values: dict[str, Any]) -> dict[str, Any]:
    """The form's values as the body ``QueueSettings`` reads (raises HoursFormatError)."""
    body: dict[str, Any] = {name: values[name] for name in (*TEXT_FIELDS, *CHOICE_FIELDS)}
    body.update({name: values[name].strip() for name in NUMBER_FIELDS})
    body["department"] = values["department"].strip() or None
    body["required_skills"] = split_list(values["required_skills"])
    body["holidays"] = split_list(values["holidays"])
    body["business_hours"] = parse_hours(values["business_hours"])
    body["active"] = values["active"]
    body["timeout_flow_id"] = values.get("timeout_flow_id")
    return body
