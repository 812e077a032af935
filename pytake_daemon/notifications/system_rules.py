"""System notices from WhatsApp's account events: a number's quality dropped (or recovered), a
template rejected, paused or disabled; and a System screen figure past its threshold
(pytake_daemon/system/alerts.py). Admins and owners get them: they run the numbers and the
templates; agents and supervisors can do nothing about either.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from pytake_daemon.notifications.audience import Audience
from pytake_daemon.notifications.intent import Intent
from pytake_daemon.protocol.notifications import NotificationCategory as Cat
from pytake_daemon.protocol.notifications import NotificationSeverity as Sev
from pytake_daemon.protocol.whatsapp import NumberQualityChanged, TemplateStatusChanged

# What each event means for the business, in one sentence (Meta's quality-rating guide).
_QUALITY_MEANING = {
    "FLAGGED": "Meta flagged its quality as low: unless it recovers within 7 days, "
    "its messaging limit will be lowered.",
    "DOWNGRADE": "Meta lowered its messaging limit after low quality.",
    "UNFLAGGED": "Meta lifted the quality flag.",
    "UPGRADE": "Meta raised its messaging limit.",
    "THROUGHPUT_UPGRADE": "Meta raised its throughput.",
}
# Severity of a template status: a disabled template fails every send that names it.
_TEMPLATE_SEVERITY = {"REJECTED": Sev.WARNING, "PAUSED": Sev.WARNING, "DISABLED": Sev.URGENT}
_TEMPLATE_VERB = {"REJECTED": "rejected", "PAUSED": "paused", "DISABLED": "disabled"}


def _number_name(change: NumberQualityChanged) -> str:
    label = f" ({change.label})" if change.label else ""
    return f"{change.display_phone_number or 'a number'}{label}"


def number_quality(event: NumberQualityChanged, audience: Audience) -> Iterator[Intent]:
    """A drop warns (urgent once it costs: limit lowered, DOWNGRADE, RED); a rise informs."""
    if event.trend == "unchanged":
        return
    name = _number_name(event)
    if event.trend == "dropped":
        urgent = event.limit_lowered or event.event == "DOWNGRADE" or event.quality_rating == "RED"
        severity = Sev.URGENT if urgent else Sev.WARNING
        title = f"Number quality dropped: {name}"
    else:
        severity = Sev.INFO
        title = f"Number quality improved: {name}"
    parts = [_QUALITY_MEANING.get(event.event, f"Meta reported {event.event}.")]
    if event.quality_rating:
        parts.append(f"Quality rating: {event.quality_rating}.")
    if event.messaging_limit:
        was = (
            f" (was {event.previous_limit})"
            if event.previous_limit and event.previous_limit != event.messaging_limit
            else ""
        )
        parts.append(f"Messaging limit: {event.messaging_limit}{was}.")
    for admin in audience.admins():
        yield Intent(admin.id, Cat.SYSTEM, severity, title[:200], " ".join(parts)[:500])


def template_status(event: TemplateStatusChanged, audience: Audience) -> Iterator[Intent]:
    """REJECTED, PAUSED, DISABLED: naming the template, its language and Meta's reason."""
    severity = _TEMPLATE_SEVERITY.get(event.status)
    if severity is None:
        return
    language = f" ({event.language})" if event.language else ""
    title = f"Template {_TEMPLATE_VERB[event.status]}: {event.name}{language}"
    reason = event.reason if event.reason and event.reason != "NONE" else "none given"
    body = f"Meta's reason: {reason}."
    if event.status != "REJECTED":
        body += " Sends that use it fail until Meta enables it again."
    for admin in audience.admins():
        yield Intent(admin.id, Cat.SYSTEM, severity, title[:200], body[:500])


class FigureCrossing(Protocol):
    """A System figure that changed level (pytake_daemon/system/alerts.py's Crossing)."""

    @property
    def key(self) -> str: ...
    @property
    def where(self) -> str: ...
    @property
    def value(self) -> float: ...
    @property
    def after(self) -> int: ...
    @property
    def threshold(self) -> float: ...


# The System screen's names for the figures that alert (pytake_tui/system_view.py).
_FIGURE_NAMES = {
    "host.cpu": "Host CPU",
    "host.memory": "Host memory",
    "host.disk": "Disk (state dir)",
    "daemon.jobs": "Jobs queued",
    "daemon.job_age": "Oldest job",
    "daemon.outbox": "Outbox queued",
    "daemon.pool": "DB pool in use",
    "daemon.rss": "Process memory",
    "pg.connections": "PostgreSQL connections",
    "pg.longest": "Longest PostgreSQL transaction",
    "pg.replication": "Replication lag",
    "redis.ping": "Redis ping",
    "lag.flow": "Flow lag (oldest waiting)",
    "lag.outbox": "Outbox lag (overdue)",
}
_PERCENT = {"host.cpu", "host.memory", "host.disk", "daemon.pool", "pg.connections"}
_SECONDS = {"daemon.job_age", "pg.longest", "pg.replication", "lag.flow", "lag.outbox"}


def figure_name(key: str) -> str:
    if key.startswith("pg.dead."):
        return f"Dead rows in {key.removeprefix('pg.dead.')}"
    return _FIGURE_NAMES.get(key, key)


def figure_value(key: str, value: float) -> str:
    """The value as the System screen writes it, in short."""
    if key in _PERCENT or key.startswith("pg.dead."):
        return f"{value:.1f} %"
    if key in _SECONDS:
        return f"{value:.0f} s" if value >= 10 else f"{value:.1f} s"
    if key == "redis.ping":
        return f"{value:.1f} ms"
    if key == "daemon.rss":
        return f"{value / 1024**2:,.0f} MiB"
    return f"{value:,.0f}"


def figure_alert(crossing: FigureCrossing, audience: Audience) -> Iterator[Intent]:
    """A System figure past its warning (a warning) or error threshold (urgent), or back below
    (info); for admins and owners, who see the System screen. A row per crossing (not grouped:
    a recovery must not take on its rise's urgency); hysteresis keeps them few."""
    name = figure_name(crossing.key)
    where = f" on {crossing.where}" if crossing.where else ""
    value = figure_value(crossing.key, crossing.value)
    if crossing.after == 0:
        severity, title = Sev.INFO, f"{name} back to normal{where}"
        body = f"{name} is at {value} again."
    else:
        error = crossing.after == 2
        severity = Sev.URGENT if error else Sev.WARNING
        line = "error" if error else "warning"
        title = f"{name} at {value}{where}"
        body = (
            f"Past its {line} threshold of {figure_value(crossing.key, crossing.threshold)}. "
            "Admin → System shows it live."
        )
    for admin in audience.admins():
        yield Intent(admin.id, Cat.SYSTEM, severity, title[:200], body[:500])
