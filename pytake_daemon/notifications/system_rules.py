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
    "FLAGGED": N_(
        "Meta flagged its quality as low: unless it recovers within 7 days, its messaging limit "
        "will be lowered."
    ),
    "DOWNGRADE": N_("Meta lowered its messaging limit after low quality."),
    "UNFLAGGED": N_("Meta lifted the quality flag."),
    "UPGRADE": N_("Meta raised its messaging limit."),
    "THROUGHPUT_UPGRADE": N_("Meta raised its throughput."),
}
# Severity of a template status: a disabled template fails every send that names it.
_TEMPLATE_SEVERITY = {"REJECTED": Sev.WARNING, "PAUSED": Sev.WARNING, "DISABLED": Sev.URGENT}
_TEMPLATE_TITLE = {
    "REJECTED": N_("Template rejected: {name}"),
    "PAUSED": N_("Template paused: {name}"),
    "DISABLED": N_("Template disabled: {name}"),
}


def _number_name(change: NumberQualityChanged, language: str) -> str:
    label = f" ({change.label})" if change.label else ""
    number = change.display_phone_number or gettext("a number", language=language)
    return f"{number}{label}"


def number_quality(event: NumberQualityChanged, audience: Audience) -> Iterator[Intent]:
    """A drop warns (urgent once it costs: limit lowered, DOWNGRADE, RED); a rise informs; each
    admin reads it in their own language (Meta's codes, FLAGGED or RED, stay as Meta says them)."""
    if event.trend == "unchanged":
        return
    if event.trend == "dropped":
        urgent = event.limit_lowered or event.event == "DOWNGRADE" or event.quality_rating == "RED"
        severity = Sev.URGENT if urgent else Sev.WARNING
    else:
        severity = Sev.INFO
    for admin in audience.admins():
        title, body = _quality_sentences(event, admin.language)
        yield Intent(admin.id, Cat.SYSTEM, severity, title[:200], body[:500])


def _quality_sentences(event: NumberQualityChanged, language: str) -> tuple[str, str]:
    def say(msgid: str, **fields: object) -> str:
        return gettext(msgid, language=language).format(**fields)

    name = _number_name(event, language)
    if event.trend == "dropped":
        title = say(N_("Number quality dropped: {name}"), name=name)
    else:
        title = say(N_("Number quality improved: {name}"), name=name)
    meaning = _QUALITY_MEANING.get(event.event)
    parts = [say(meaning) if meaning else say(N_("Meta reported {event}."), event=event.event)]
    if event.quality_rating:
        parts.append(say(N_("Quality rating: {rating}."), rating=event.quality_rating))
    if event.messaging_limit:
        if event.previous_limit and event.previous_limit != event.messaging_limit:
            parts.append(
                say(
                    N_("Messaging limit: {limit} (was {previous})."),
                    limit=event.messaging_limit,
                    previous=event.previous_limit,
                )
            )
        else:
            parts.append(say(N_("Messaging limit: {limit}."), limit=event.messaging_limit))
    return title, " ".join(parts)


def template_status(event: TemplateStatusChanged, audience: Audience) -> Iterator[Intent]:
    """REJECTED, PAUSED, DISABLED: naming the template, its language and Meta's reason, in each
    admin's language."""
    severity = _TEMPLATE_SEVERITY.get(event.status)
    if severity is None:
        return
    for admin in audience.admins():
        lang = admin.language
        # The template's language is a qualifier that reads the same after any title.
        suffix = f" ({event.language})" if event.language else ""
        title = gettext(_TEMPLATE_TITLE[event.status], language=lang).format(name=event.name)
        given = event.reason and event.reason != "NONE"
        reason = event.reason if given else gettext("none given", language=lang)
        body = gettext("Meta's reason: {reason}.", language=lang).format(reason=reason)
        if event.status != "REJECTED":
            body += " " + gettext(
                "Sends that use it fail until Meta enables it again.", language=lang
            )
        yield Intent(admin.id, Cat.SYSTEM, severity, (title + suffix)[:200], body[:500])


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
