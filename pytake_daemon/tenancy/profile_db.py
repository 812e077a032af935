"""SQL of a tenant's business profile (``tenant_profiles``, migration 0032): name, segment,
time zone, default language and hours. The onboarding wizard fills it; the customer-language
rule (``ai/customer_language.py``) and the configuration transfer read it, so it sits with the
tenant, below the domains, instead of in the onboarding package above them.

Every statement runs in the caller's tenant transaction (row-level security); the profile is
read by primary key (``tenant_profiles_pkey``).
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from pytake_daemon.db.pool import Connection

_PROFILE = """
SELECT business_name, segment, timezone, language, business_hours, updated_at, updated_by
  FROM tenant_profiles WHERE tenant_id = current_tenant_id()
"""


async def profile(conn: Connection) -> asyncpg.Record | None:
    return await conn.fetchrow(_PROFILE)


_SAVE_PROFILE = """
INSERT INTO tenant_profiles AS p
       (tenant_id, business_name, segment, timezone, language, business_hours, updated_by,
        updated_at)
VALUES (current_tenant_id(), $1, $2, $3, $4, $5, $6, now())
ON CONFLICT (tenant_id) DO UPDATE
   SET business_name = EXCLUDED.business_name, segment = EXCLUDED.segment,
       timezone = EXCLUDED.timezone, language = EXCLUDED.language,
       business_hours = EXCLUDED.business_hours, updated_by = EXCLUDED.updated_by,
       updated_at = now()
RETURNING business_name, segment, timezone, language, business_hours, updated_at, updated_by
"""


async def save_profile(
    conn: Connection,
    *,
    business_name: str,
    segment: str,
    timezone: str,
    language: str,
    business_hours: dict[str, Any],
    by: uuid.UUID | None,
) -> asyncpg.Record:
    row = await conn.fetchrow(
        _SAVE_PROFILE,
        business_name,
        segment,
        timezone,
        language,
        business_hours,
        by,
    )
    assert row is not None
    return row
