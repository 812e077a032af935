"""System notices from WhatsApp's account events: a number's quality dropped (or recovered), a
template rejected, paused or disabled; and a System screen figure past its threshold
(pytake_daemon/system/alerts.py). Admins and owners get them: they run the numbers and the
templates; agents and supervisors can do nothing about either.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from pytake_daemon.i18n import gettext
from pytake_daemon.notifications.audience import Audience
from pytake_daemon.notifications.intent import Intent
from pytake_daemon.protocol.notifications import NotificationCategory as Cat
from pytake_daemon.protocol.notifications import NotificationSeverity as Sev
from pytake_daemon.protocol.whatsapp import NumberQualityChanged, TemplateStatusChanged
from pytake_i18n import DEFAULT_LANGUAGE, N_, format_number

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


# The System screen's names for the figures that alert (pytake_tui/system_view.py); the
# daemon's catalog says them again in each admin's language.
_FIGURE_NAMES = {
    "host.cpu": N_("Host CPU"),
    "host.memory": N_("Host memory"),
    "host.disk": N_("Disk (state dir)"),
    "daemon.jobs": N_("Jobs queued"),
    "daemon.job_age": N_("Oldest job"),
    "daemon.outbox": N_("Outbox queued"),
    "daemon.pool": N_("DB pool in use"),
    "daemon.rss": N_("Process memory"),
    "pg.connections": N_("PostgreSQL connections"),
    "pg.longest": N_("Longest PostgreSQL transaction"),
    "pg.replication": N_("Replication lag"),
    "redis.ping": N_("Redis ping"),
    "lag.flow": N_("Flow lag (oldest waiting)"),
    "lag.outbox": N_("Outbox lag (overdue)"),
}
_PERCENT = {"host.cpu", "host.memory", "host.disk", "daemon.pool", "pg.connections"}
_SECONDS = {"daemon.job_age", "pg.longest", "pg.replication", "lag.flow", "lag.outbox"}


def figure_name(key: str, language: str = DEFAULT_LANGUAGE) -> str:
    if key.startswith("pg.dead."):
        table = key.removeprefix("pg.dead.")
        return gettext("Dead rows in {table}", language=language).format(table=table)
    name = _FIGURE_NAMES.get(key)
    return key if name is None else gettext(name, language=language)


def figure_value(key: str, value: float, language: str = DEFAULT_LANGUAGE) -> str:
    """The value as the System screen writes it, in short, with the reader's decimal mark."""

    def number(amount: float, pattern: str) -> str:
        return format_number(amount, pattern=pattern, language=language)

    if key in _PERCENT or key.startswith("pg.dead."):
        return f"{number(value, '0.0')} %"
    if key in _SECONDS:
        return f"{number(value, '0')} s" if value >= 10 else f"{number(value, '0.0')} s"
    if key == "redis.ping":
        return f"{number(value, '0.0')} ms"
    if key == "daemon.rss":
        return f"{number(value / 1024**2, '#,##0')} MiB"
    return number(value, "#,##0")


def figure_alert(crossing: FigureCrossing, audience: Audience) -> Iterator[Intent]:
    """A System figure past its warning (a warning) or error threshold (urgent), or back below
    (info); for admins and owners, who see the System screen, each in their own language. A row
    per crossing (not grouped: a recovery must not take on its rise's urgency); hysteresis keeps
    them few."""
    for admin in audience.admins():
        severity, title, body = _figure_sentences(crossing, admin.language)
        yield Intent(admin.id, Cat.SYSTEM, severity, title[:200], body[:500])


def _figure_sentences(crossing: FigureCrossing, language: str) -> tuple[Sev, str, str]:
    """Severity, title and body of a crossing, worded in ``language``."""
    values = {
        "name": figure_name(crossing.key, language),
        "value": figure_value(crossing.key, crossing.value, language),
        "where": crossing.where,
        "threshold": figure_value(crossing.key, crossing.threshold, language),
    }

    def say(msgid: str) -> str:
        return gettext(msgid, language=language).format(**values)

    if crossing.after == 0:
        title = say(
            N_("{name} back to normal on {where}")
            if crossing.where
            else N_("{name} back to normal")
        )
        return Sev.INFO, title, say(N_("{name} is at {value} again."))
    title = say(N_("{name} at {value} on {where}") if crossing.where else N_("{name} at {value}"))
    if crossing.after == 2:
        body = say(N_("Past its error threshold of {threshold}. Admin → System shows it live."))
        return Sev.URGENT, title, body
    body = say(N_("Past its warning threshold of {threshold}. Admin → System shows it live."))
    return Sev.WARNING, title, body
