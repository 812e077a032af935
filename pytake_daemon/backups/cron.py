"""Cron expressions and presets for the backup and drill schedules (APScheduler's parser)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from pytake_daemon.errors import PyTakeError

# Quiet hours, spread so a drill never competes with the backup it tests. Weekdays by name:
# APScheduler 3 counts 0 as Monday, unlike crontab(5), so numbers would surprise an operator.
PRESETS = {
    "hourly": "0 * * * *",
    "daily": "0 3 * * *",
    "weekly": "30 4 * * sun",
    "monthly": "0 5 1 * *",
}


class CronError(PyTakeError):
    """A schedule that is neither a preset nor a five-field cron expression."""


def expand(expression: str) -> str:
    """The five-field expression of a preset name, or the expression itself."""
    return PRESETS.get(expression.strip().lower(), expression.strip())


def trigger(expression: str) -> CronTrigger:
    """A UTC cron trigger, or a one-line explanation of what is wrong with the expression."""
    crontab = expand(expression)
    if len(crontab.split()) != 5:
        raise CronError(
            f"schedule {expression!r}: use hourly, daily, weekly, monthly or five cron fields "
            "('minute hour day month weekday', e.g. '15 2 * * *')"
        )
    try:
        return CronTrigger.from_crontab(crontab, timezone=UTC)
    except ValueError as exc:
        raise CronError(f"schedule {expression!r}: {exc}") from None


def next_after(expression: str, moment: datetime) -> datetime | None:
    """The first slot strictly after ``moment`` (APScheduler's answer includes ``moment``)."""
    fire: datetime | None = trigger(expression).get_next_fire_time(
        None, moment + timedelta(seconds=1)
    )
    return fire
