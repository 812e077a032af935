"""Condition nodes: rules on variables (text compared without case or accents, numbers with a
comma or a point) and business hours in a time zone."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pytake_daemon.flows.text import fold
from pytake_daemon.protocol.flows import Condition, ConditionOperator, ConditionRule


def condition_holds(
    node: Condition, values: dict[str, Any], text: Callable[[str], str], now: datetime
) -> bool:
    """A condition node's rules (all or any) and, if set, its business hours at ``now``."""
    results = [_rule(rule, values.get(rule.variable), text(rule.value)) for rule in node.rules]
    matched = (all(results) if node.match == "all" else any(results)) if results else True
    if node.business_hours is not None:
        matched = matched and _open(
            node.business_hours.timezone,
            node.business_hours.days,
            node.business_hours.start,
            node.business_hours.end,
            now,
        )
    return matched


def _rule(rule: ConditionRule, actual: Any, expected: str) -> bool:
    op = rule.operator
    if op == ConditionOperator.EXISTS:
        return actual not in (None, "")
    if op == ConditionOperator.NOT_EXISTS:
        return actual in (None, "")
    text = "" if actual is None else str(actual)
    if op == ConditionOperator.EQUALS:
        return fold(text) == fold(expected)
    if op == ConditionOperator.NOT_EQUALS:
        return fold(text) != fold(expected)
    if op == ConditionOperator.CONTAINS:
        return fold(expected) in fold(text)
    if op == ConditionOperator.REGEX:
        return re.search(expected, text) is not None
    try:
        left, right = float(text.replace(",", ".")), float(expected.replace(",", "."))
    except ValueError:
        return False
    return left > right if op == ConditionOperator.GREATER else left < right


def _open(timezone: str, days: list[int], start: str, end: str, now: datetime) -> bool:
    try:
        local = now.astimezone(ZoneInfo(timezone))
    except ZoneInfoNotFoundError:
        return False
    opens = clock_time.fromisoformat(start)
    closes = clock_time(23, 59, 59) if end == "24:00" else clock_time.fromisoformat(end)
    return local.weekday() in days and opens <= local.time().replace(tzinfo=None) < closes
