"""Preferences per user, the tenant's defaults, retention and SMTP settings (migration 0025):
all read by primary key (notification_preferences_pkey, notification_settings_pkey)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection


@dataclass(frozen=True, slots=True)
class TenantSettingsRow:
    defaults: dict[str, Any]
    retention_days: int
    smtp_host: str | None
    smtp_port: int | None
    smtp_security: str | None
    smtp_username: str | None
    smtp_password_enc: bytes | None
    smtp_from: str | None


_SETTINGS = """
SELECT defaults, retention_days, smtp_host, smtp_port, smtp_security, smtp_username,
       smtp_password_enc, smtp_from
  FROM notification_settings WHERE tenant_id = current_tenant_id()
"""


async def tenant_settings(conn: Connection) -> TenantSettingsRow:
    row = await conn.fetchrow(_SETTINGS)
    if row is None:
        return TenantSettingsRow({}, 90, None, None, None, None, None, None)
    return rows.of(TenantSettingsRow, row)


_PUT_DEFAULTS = """
INSERT INTO notification_settings (tenant_id, defaults, retention_days)
VALUES (current_tenant_id(), $1, $2)
ON CONFLICT (tenant_id) DO UPDATE SET defaults = excluded.defaults,
    retention_days = excluded.retention_days, updated_at = now()
"""


async def put_defaults(conn: Connection, defaults: dict[str, Any], retention_days: int) -> None:
    await conn.execute(_PUT_DEFAULTS, defaults, retention_days)


# A password left out keeps the stored one (it is never shown, so a form can't send it back).
_PUT_SMTP = """
INSERT INTO notification_settings (tenant_id, smtp_host, smtp_port, smtp_security,
                                   smtp_username, smtp_password_enc, smtp_from)
VALUES (current_tenant_id(), $1, $2, $3, $4, $5, $6)
ON CONFLICT (tenant_id) DO UPDATE SET smtp_host = excluded.smtp_host,
    smtp_port = excluded.smtp_port, smtp_security = excluded.smtp_security,
    smtp_username = excluded.smtp_username,
    smtp_password_enc = coalesce(excluded.smtp_password_enc,
                                 notification_settings.smtp_password_enc),
    smtp_from = excluded.smtp_from, updated_at = now()
"""


async def put_smtp(
    conn: Connection,
    *,
    host: str,
    port: int,
    security: str,
    username: str | None,
    password_enc: bytes | None,
    from_address: str,
) -> None:
    await conn.execute(_PUT_SMTP, host, port, security, username, password_enc, from_address)


_USER_PREFS = """
SELECT user_id, preferences, last_digest_at FROM notification_preferences
 WHERE tenant_id = current_tenant_id() AND user_id = ANY($1::uuid[])
"""


async def user_preferences(
    conn: Connection, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any] | None]:
    """The users' own documents (``None``: they follow the tenant's defaults)."""
    found = await conn.fetch(_USER_PREFS, list(user_ids))
    return {r["user_id"]: r["preferences"] for r in found}


async def last_digests(
    conn: Connection, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, datetime | None]:
    found = await conn.fetch(_USER_PREFS, list(user_ids))
    return {r["user_id"]: r["last_digest_at"] for r in found}


_PUT_USER_PREFS = """
INSERT INTO notification_preferences (tenant_id, user_id, preferences)
VALUES (current_tenant_id(), $1, $2)
ON CONFLICT (tenant_id, user_id) DO UPDATE SET preferences = excluded.preferences,
    updated_at = now()
"""


async def put_user_preferences(
    conn: Connection, user_id: uuid.UUID, preferences: dict[str, Any] | None
) -> None:
    await conn.execute(_PUT_USER_PREFS, user_id, preferences)


_DIGEST_SENT = """
INSERT INTO notification_preferences (tenant_id, user_id, last_digest_at)
VALUES (current_tenant_id(), $1, $2)
ON CONFLICT (tenant_id, user_id) DO UPDATE SET last_digest_at = excluded.last_digest_at
"""


async def digest_sent(conn: Connection, user_id: uuid.UUID, at: datetime) -> None:
    await conn.execute(_DIGEST_SENT, user_id, at)
