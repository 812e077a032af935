"""How backups read on screen — health, ages, sizes, the verified column — without Textual.

Kept apart from the widgets so the wording is tested directly, and so a snapshot change means a
layout change rather than a change of words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from pytake_daemon.protocol.backups import (
    AlertReason,
    BackupHealth,
    BackupManifest,
    BackupRunOut,
)
from pytake_i18n import format_number
from pytake_tui.i18n import N_, _, ngettext, pgettext


class Level(Enum):
    """How worried the summary line is; the widgets colour by it."""

    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Summary:
    """The compact widget's line: the latest backup and the latest drill."""

    level: Level
    backup: str
    drill: str


def age(seconds: float) -> str:
    """``just now``, ``12m``, ``3h 12m``, ``2d 4h``: precise where it matters, short anyway."""
    minutes = max(0, int(seconds // 60))
    if minutes < 1:
        return _("just now")
    if minutes < 60:
        return _("{minutes}m ago").format(minutes=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("{hours}h {minutes:02d}m ago").format(hours=hours, minutes=minutes)
    days, hours = divmod(hours, 24)
    return _("{days}d {hours}h ago").format(days=days, hours=hours)


def size(n: int | None) -> str:
    """``1.2 MiB``; ``—`` when unknown."""
    if n is None:
        return "—"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{n} B" if unit == "B" else f"{format_number(value, pattern='0.0')} {unit}"
        value /= 1024
    raise AssertionError("unreachable: GiB ends the loop")


def duration(seconds: float | None) -> str:
    """``4.1 s``, ``2m 05s``; ``—`` when unknown."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{format_number(seconds, pattern='0.0')} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m {rest:02d}s"


def when(at: datetime) -> str:
    """A run's time in the terminal's zone: ``2025-03-14 03:00``."""
    return at.astimezone().strftime("%Y-%m-%d %H:%M")


def key_id(recipients: list[str]) -> str:
    """The first recipient (the key that encrypted it), shortened: ``age1qyq…x7k2``."""
    if not recipients:
        return "—"
    key = recipients[0]
    label = key if len(key) <= 14 else f"{key[:7]}…{key[-4:]}"
    more = f" +{len(recipients) - 1}" if len(recipients) > 1 else ""
    return label + more


def scope(manifest: BackupManifest) -> str:
    """``full`` or ``tenant acme``."""
    if manifest.scope == "full":
        return pgettext("backup scope", "full")
    return _("tenant {name}").format(name=manifest.tenant_slug or manifest.tenant_id)


def summarize(health: BackupHealth, now: datetime) -> Summary:
    """The widget's line: is the latest full backup (the installation's, which the schedule
    makes) good and recent, and did the drill pass."""
    ago = (
        age((now - health.last_success_at).total_seconds())
        if health.last_success_at is not None
        else None
    )
    failed = health.failures_since_success
    runs = ngettext("{n} run failed", "{n} runs failed", failed).format(n=failed)
    if health.overdue:
        level = Level.ERROR
        backup = "⚠ " + (
            _("overdue: last good {ago}").format(ago=ago) if ago else _("overdue: no backup yet")
        )
        backup += f" · {runs}" if failed else ""
    elif failed:
        level = Level.WARNING
        backup = "✗ " + (
            _("{runs} since the last good backup ({ago})").format(runs=runs, ago=ago)
            if ago
            else _("{runs}, no backup yet").format(runs=runs)
        )
    elif ago is None:
        level = Level.WARNING
        backup = "⚠ " + _("no backup yet")
        if health.tenant_last_success_at is not None:
            # The console's ``b`` backs up the tenant; the schedule's full backup is another
            # thing. Saying only "no backup yet" after a tenant backup read as if it had failed.
            tenant_ago = age((now - health.tenant_last_success_at).total_seconds())
            backup = "⚠ " + _("no full backup yet · this tenant's backup {ago}").format(
                ago=tenant_ago
            )
    else:
        level = Level.OK
        backup = "✓ " + _("last full backup {ago} ({size}, {took})").format(
            ago=ago,
            size=size(health.last_success_size_bytes),
            took=duration(health.last_duration_seconds),
        )
    if health.last_drill_status == "failed" and level is Level.OK:
        level = Level.WARNING
    return Summary(level, backup, _drill(health, now))


def _drill(health: BackupHealth, now: datetime) -> str:
    if health.last_drill_at is None or health.last_drill_status is None:
        return _("no drill yet")
    ago = age((now - health.last_drill_at).total_seconds())
    match health.last_drill_status:
        case "succeeded":
            return _("drill ✓ {ago}").format(ago=ago)
        case "failed":
            return _("drill ✗ {ago}").format(ago=ago)
        case "running":
            return _("drill running")
        case "skipped":
            return _("drill skipped {ago}").format(ago=ago)


def failure_line(health: BackupHealth) -> str:
    """The last failure and its reason (the detail under the summary)."""
    if health.last_failure_at is None:
        return _("no failures recorded")
    reason = health.last_failure_reason or _("no reason recorded")
    return _("last failure {when}: {reason}").format(
        when=when(health.last_failure_at), reason=reason
    )


def schedule_line(health: BackupHealth) -> str:
    """``schedule 0 3 * * * · next 2025-03-15 03:00`` or that it is off."""
    if not health.schedule_enabled:
        return _("schedule off (pytake backup schedule set --enable)")
    cron = _schedule_preset(health.backup_cron)
    if health.next_due_at is None:
        return _("schedule {cron}").format(cron=cron)
    return _("schedule {cron} · next {when}").format(cron=cron, when=when(health.next_due_at))


def _schedule_preset(cron: str) -> str:
    """A preset (``backups/cron.py``) in words; a cron expression as written."""
    return {
        "hourly": pgettext("backup schedule", "hourly"),
        "daily": pgettext("backup schedule", "daily"),
        "weekly": pgettext("backup schedule", "weekly"),
        "monthly": pgettext("backup schedule", "monthly"),
    }.get(cron, cron)


def drill_line(health: BackupHealth) -> str:
    """The last drill's result in full: when, and what it found."""
    if health.last_drill_at is None or health.last_drill_status is None:
        return _("drill: none yet (pytake backup drill, or schedule one)")
    # The drill's own detail is the daemon's (a restore's figures), shown as it came.
    detail = f" — {health.last_drill_detail}" if health.last_drill_detail else ""
    line = _("drill {status} {when}").format(
        status=run_status(health.last_drill_status), when=when(health.last_drill_at)
    )
    return line + detail


def run_status(status: str) -> str:
    """A backup, verify or drill run's status in words; an unknown one as it came."""
    return {
        "succeeded": pgettext("backup run", "succeeded"),
        "failed": pgettext("backup run", "failed"),
        "running": pgettext("backup run", "running"),
        "skipped": pgettext("backup run", "skipped"),
    }.get(status, status)


@dataclass(frozen=True)
class Verification:
    """The latest verify (or drill, which restores it) of one backup."""

    status: str
    at: datetime

    @property
    def label(self) -> str:
        match self.status:
            case "succeeded":
                return f"✓ {self.at.astimezone():%m-%d %H:%M}"
            case "failed":
                return f"✗ {self.at.astimezone():%m-%d %H:%M}"
            case "running":
                return f"… {run_status('running')}"
            case _:
                return "—"


def verifications(runs: list[BackupRunOut]) -> dict[str, Verification]:
    """Per backup id, its latest verify or drill run (``runs`` come latest first)."""
    found: dict[str, Verification] = {}
    for run in runs:
        if run.kind in ("verify", "drill") and run.backup_id and run.backup_id not in found:
            found[run.backup_id] = Verification(run.status, run.finished_at or run.started_at)
    return found


ALERT_TITLES: dict[AlertReason, str] = {
    "backup_failed": N_("Backup failed"),
    "backup_overdue": N_("Backup overdue"),
    "drill_failed": N_("Restore drill failed"),
}
"""Msgids: translated where shown."""
