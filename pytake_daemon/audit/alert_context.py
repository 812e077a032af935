"""What the security rules read besides the audit entries: the names an alert says instead of
ids, and the tenant's own business hours for the off-hours rule.

Most entries are recorded with no actor label (``audit_in`` passes none), so an alert built from
the entry alone said "admin 3f2c…-… did token.revoke": a toast nobody can act on. The names are
read here, in the entry's transaction: the actor's e-mail, a target user's e-mail, a token's
name (a session's owner). A row gone (or hidden by row-level security) falls back to the id.

The tenant's hours are the business profile's (``tenant_profiles``, migration 0032, the
onboarding's first step), read by primary key; the audit sits below the tenancy package in the
daemon's layers, so it reads the table itself rather than importing ``tenancy.profile_db``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pytake_daemon.audit.chain import EntryLike
from pytake_daemon.config import AuditSettings
from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.i18n import _
from pytake_daemon.protocol.queues import WEEKDAYS

PROFILE_SAVED = "tenant.profile"

_USER_EMAIL = "SELECT email FROM users WHERE tenant_id = current_tenant_id() AND id = $1"

_ISSUED = """
SELECT t.kind, t.name, u.email
  FROM auth_tokens t
  LEFT JOIN users u ON u.tenant_id = t.tenant_id AND u.id = t.user_id
 WHERE t.tenant_id = current_tenant_id() AND t.id = $1
"""

_HOURS = """
SELECT timezone, business_hours FROM tenant_profiles WHERE tenant_id = current_tenant_id()
"""


def _uuid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


async def actor_name(conn: Connection, entry: EntryLike) -> str:
    """The entry's label, else the acting user's e-mail, else the id."""
    if entry["actor_label"]:
        return str(entry["actor_label"])
    actor_id = entry["actor_id"]
    if actor_id is None:
        return "someone"
    email: str | None = await conn.fetchval(_USER_EMAIL, actor_id)
    return email or str(actor_id)


async def user_email(conn: Connection, user_id: Any) -> str:
    """A user's e-mail, or the id as given when there is no such user."""
    found = _uuid(user_id)
    email: str | None = await conn.fetchval(_USER_EMAIL, found) if found else None
    return email or str(user_id)


async def api_token_name(conn: Connection, entry: EntryLike) -> str | None:
    """The name of the API token the entry is about, None for anything else (or gone)."""
    found = _uuid(entry["target_id"]) if entry["target_type"] == "token" else None
    row = await conn.fetchrow(_ISSUED, found) if found else None
    return str(row["name"]) if row is not None and row["kind"] == "api" else None


async def target_name(conn: Connection, entry: EntryLike) -> str | None:
    """The entry's target in words (a user's e-mail, a token's name), None when it has none
    worth naming (no target, or a kind the rules don't name)."""
    target_id = entry["target_id"]
    if target_id is None:
        return None
    if entry["target_type"] == "user":
        return await user_email(conn, target_id)
    if entry["target_type"] == "token":
        found = _uuid(target_id)
        row = await conn.fetchrow(_ISSUED, found) if found else None
        if row is None:
            return _("the token {id}", id=target_id)
        if row["kind"] == "session":
            return _("a session of {who}", who=row["email"] or row["name"])
        return _("API token “{name}”", name=row["name"])
    return None


@dataclass(frozen=True)
class TenantHours:
    timezone: str
    spans: Mapping[str, Sequence[Sequence[str]]]

    def open_at(self, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.timezone))
        clock = local.strftime("%H:%M")
        # "24:00" sorts after every HH:MM of the day, so it ends a span at midnight.
        return any(
            start <= clock < end for start, end in self.spans.get(WEEKDAYS[local.weekday()], ())
        )


async def tenant_hours(conn: Connection) -> TenantHours | None:
    """The hours the tenant saved in its profile; None when it has none (or none open)."""
    row = await conn.fetchrow(_HOURS)
    if row is None or not any(row["business_hours"].values()):
        return None
    return rows.of(TenantHours, row, spans=row["business_hours"])


def first_hours(entry: EntryLike) -> bool:
    """Whether the entry is the profile save that gives the tenant business hours for the first
    time: there were no hours to be outside of, so it is not off-hours work."""
    if entry["action"] != PROFILE_SAVED:
        return False
    hours = (entry["diff"] or {}).get("business_hours") or {}
    return not hours.get("before") and bool(hours.get("after"))


async def business_time(conn: Connection, at: datetime, settings: AuditSettings) -> bool:
    """Inside the tenant's own business hours when it has saved some; else inside the daemon's
    ``[audit]`` hours (the operator's default for tenants that have not said)."""
    hours = await tenant_hours(conn)
    if hours is not None:
        return hours.open_at(at)
    local = at.astimezone(ZoneInfo(settings.business_timezone))
    return (
        local.weekday() in settings.business_days
        and settings.business_hours_start <= local.hour < settings.business_hours_end
    )
