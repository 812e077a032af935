"""What the connectivity checks read: live numbers and SMTP settings.

On the owner's connection (``pytake doctor``) every tenant's; inside a tenant transaction (the
admin API) row-level security leaves that tenant's. Both are a few rows per tenant: the numbers
by ``whatsapp_numbers`` (tiny), the SMTP settings by ``notification_settings_pkey``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection


@dataclass(frozen=True)
class NumberTarget:
    tenant: str
    phone_number_id: str
    waba_id: str
    display_phone_number: str | None
    access_token_enc: bytes
    app_secret_enc: bytes
    verify_token_enc: bytes


@dataclass(frozen=True)
class SmtpTarget:
    tenant: str
    host: str
    port: int
    security: str
    username: str | None
    password_enc: bytes | None


_NUMBERS = """
SELECT t.slug AS tenant, n.phone_number_id, n.waba_id, n.display_phone_number,
       n.access_token_enc, n.app_secret_enc, n.verify_token_enc
  FROM whatsapp_numbers n JOIN tenants t ON t.id = n.tenant_id
 WHERE n.removed_at IS NULL
 ORDER BY t.slug, n.phone_number_id
"""

_SMTP = """
SELECT t.slug AS tenant, s.smtp_host AS host, s.smtp_port AS port,
       coalesce(s.smtp_security, 'starttls') AS security, s.smtp_username AS username,
       s.smtp_password_enc AS password_enc
  FROM notification_settings s JOIN tenants t ON t.id = s.tenant_id
 WHERE s.smtp_host IS NOT NULL AND s.smtp_port IS NOT NULL
 ORDER BY t.slug
"""


async def live_numbers(conn: Connection) -> list[NumberTarget]:
    return rows.many(NumberTarget, await conn.fetch(_NUMBERS))


async def smtp_settings(conn: Connection) -> list[SmtpTarget]:
    return rows.many(SmtpTarget, await conn.fetch(_SMTP))
