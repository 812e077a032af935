"""A security alert's kind in words, for a person (a notification's body): the wire and the
database keep the enum's value (``brute_force_user``), which no reader should have to decode."""

from __future__ import annotations

from pytake_daemon.i18n import N_, gettext
from pytake_daemon.protocol.audit import AlertKind

_NAMES = {
    AlertKind.BRUTE_FORCE_USER: N_("Repeated failed logins for one account"),
    AlertKind.BRUTE_FORCE_IP: N_("Repeated failed logins from one address"),
    AlertKind.NEW_IP: N_("Login from a new address"),
    AlertKind.UNUSUAL_HOUR: N_("Login at an unusual hour"),
    AlertKind.OFF_HOURS_ADMIN: N_("Administration outside business hours"),
    AlertKind.MASS_EXPORT: N_("Mass export"),
    AlertKind.MASS_DELETION: N_("Mass deletion"),
    AlertKind.ROLE_ESCALATION: N_("Role escalation"),
    AlertKind.TOKEN_CREATED: N_("API token created"),
}


def kind_name(kind: AlertKind, *, language: str | None = None) -> str:
    """``kind`` in ``language`` (else the language in force)."""
    return gettext(_NAMES[kind], language=language)
