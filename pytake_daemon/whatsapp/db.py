"""SQL of ``whatsapp_numbers``, ``templates`` and ``webhook_events``, and the routing lookup.

Tenant-scoped statements name ``current_tenant_id()``: the CLI runs some of them on the owner
connection, which row-level security doesn't scope.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol.whatsapp import MessageTemplateOut, NumberOut

_NUMBER_COLUMNS = (
    "id, phone_number_id, waba_id, display_phone_number, label, throughput_mps, created_at,"
    " quality_event, quality_rating, messaging_limit, quality_at"
)

_INSERT_NUMBER = f"""
INSERT INTO whatsapp_numbers (tenant_id, phone_number_id, waba_id, display_phone_number, label,
                              access_token_enc, app_secret_enc, verify_token_enc, throughput_mps)
VALUES (current_tenant_id(), $1, $2, $3, $4, $5, $6, $7, $8)
RETURNING {_NUMBER_COLUMNS}
"""


async def insert_number(
    conn: Connection,
    *,
    phone_number_id: str,
    waba_id: str,
    display_phone_number: str,
    label: str,
    access_token_enc: bytes,
    app_secret_enc: bytes,
    verify_token_enc: bytes,
    throughput_mps: int,
) -> NumberOut | None:
    """The new number, or None when that phone_number_id is already live (any tenant)."""
    try:
        row = await conn.fetchrow(
            _INSERT_NUMBER,
            phone_number_id,
            waba_id,
            display_phone_number,
            label,
            access_token_enc,
            app_secret_enc,
            verify_token_enc,
            throughput_mps,
        )
    except asyncpg.UniqueViolationError:
        return None
    return rows.one(NumberOut, row)


_LIST_NUMBERS = f"""
SELECT {_NUMBER_COLUMNS} FROM whatsapp_numbers
 WHERE tenant_id = current_tenant_id() AND removed_at IS NULL
 ORDER BY created_at, id
"""


async def list_numbers(conn: Connection) -> list[NumberOut]:
    return rows.many(NumberOut, await conn.fetch(_LIST_NUMBERS))


_GET_NUMBER = f"""
SELECT {_NUMBER_COLUMNS}, access_token_enc, removed_at FROM whatsapp_numbers
 WHERE tenant_id = current_tenant_id() AND id = $1
"""


async def get_number(conn: Connection, number_id: uuid.UUID) -> asyncpg.Record | None:
    """A number with its encrypted access token (removed ones too: history refers to them)."""
    return await conn.fetchrow(_GET_NUMBER, number_id)


_FIND_NUMBER = f"""
SELECT {_NUMBER_COLUMNS} FROM whatsapp_numbers
 WHERE tenant_id = current_tenant_id() AND removed_at IS NULL
   AND (id::text = $1 OR phone_number_id = $1)
"""


async def find_number(conn: Connection, key: str) -> asyncpg.Record | None:
    """A live number by its id or its phone_number_id (what an admin types)."""
    return await conn.fetchrow(_FIND_NUMBER, key)


_REMOVE_NUMBER = """
UPDATE whatsapp_numbers SET removed_at = now()
 WHERE tenant_id = current_tenant_id() AND id = $1 AND removed_at IS NULL
RETURNING id
"""


async def remove_number(conn: Connection, number_id: uuid.UUID) -> bool:
    return await conn.fetchval(_REMOVE_NUMBER, number_id) is not None


_ROTATE_SECRETS = f"""
UPDATE whatsapp_numbers
   SET waba_id = $2, access_token_enc = $3, app_secret_enc = $4, verify_token_enc = $5,
       label = COALESCE($6, label)
 WHERE tenant_id = current_tenant_id() AND id = $1 AND removed_at IS NULL
RETURNING {_NUMBER_COLUMNS}
"""


async def rotate_secrets(
    conn: Connection,
    number_id: uuid.UUID,
    *,
    waba_id: str,
    access_token_enc: bytes,
    app_secret_enc: bytes,
    verify_token_enc: bytes,
    label: str | None = None,
) -> asyncpg.Record | None:
    """Replace a live number's token and secrets (the onboarding's number step, rotation);
    a ``label`` given renames it too, ``None`` keeps the one it has."""
    return await conn.fetchrow(
        _ROTATE_SECRETS,
        number_id,
        waba_id,
        access_token_enc,
        app_secret_enc,
        verify_token_enc,
        label,
    )


_ROUTES = "SELECT * FROM whatsapp_routes()"


async def routes(conn: Connection) -> list[asyncpg.Record]:
    """Every live number of every tenant, with encrypted app secret and verify token."""
    return await conn.fetch(_ROUTES)


# ---- secrets key rotation (``pytake secrets rekey``, owner role: every tenant's numbers) ------

SECRET_COLUMNS = ("access_token_enc", "app_secret_enc", "verify_token_enc")

# Removed numbers too: their secrets are under the old key as well. Locked until the rekey's
# transaction ends, so a concurrent change can't be overwritten with an older value.
_NUMBER_SECRETS = """
SELECT id, tenant_id, phone_number_id, access_token_enc, app_secret_enc, verify_token_enc
  FROM whatsapp_numbers
 WHERE $1::uuid IS NULL OR tenant_id = $1
 ORDER BY id
   FOR UPDATE
"""

_REWRAP_SECRETS = """
UPDATE whatsapp_numbers
   SET access_token_enc = $2, app_secret_enc = $3, verify_token_enc = $4
 WHERE id = $1
"""


async def number_secrets(conn: Connection, tenant_id: uuid.UUID | None) -> list[asyncpg.Record]:
    """Every number's encrypted secrets (one tenant's with ``tenant_id``), locked."""
    return await conn.fetch(_NUMBER_SECRETS, tenant_id)


async def rewrap_number_secrets(
    conn: Connection, number_id: uuid.UUID, access: bytes, app: bytes, verify: bytes
) -> None:
    await conn.execute(_REWRAP_SECRETS, number_id, access, app, verify)


# ---- templates --------------------------------------------------------------------------------

_TEMPLATE_COLUMNS = (
    "id, waba_id, meta_id, name, language, status, category, parameter_format, components, "
    "reason, synced_at, updated_at"
)

_LIST_TEMPLATES = f"""
SELECT {_TEMPLATE_COLUMNS} FROM templates
 WHERE tenant_id = current_tenant_id()
   AND ($1::text IS NULL OR status = upper($1))
   AND ($2::text IS NULL OR category = upper($2))
   AND ($3::text IS NULL OR language = $3)
   AND ($4::text IS NULL OR strpos(name, lower($4)) > 0)
   AND ($5::text IS NULL OR waba_id = $5)
 ORDER BY name, language
"""


async def list_templates(
    conn: Connection,
    *,
    status: str | None = None,
    category: str | None = None,
    language: str | None = None,
    name: str | None = None,
    waba_id: str | None = None,
) -> list[MessageTemplateOut]:
    found = await conn.fetch(_LIST_TEMPLATES, status, category, language, name, waba_id)
    return rows.many(MessageTemplateOut, found)


_GET_TEMPLATE = f"""
SELECT {_TEMPLATE_COLUMNS} FROM templates
 WHERE tenant_id = current_tenant_id() AND waba_id = $1 AND name = $2 AND language = $3
"""


async def get_template(
    conn: Connection, waba_id: str, name: str, language: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(_GET_TEMPLATE, waba_id, name, language)


_TEMPLATE_BY_ID = f"""
SELECT {_TEMPLATE_COLUMNS} FROM templates WHERE tenant_id = current_tenant_id() AND id = $1
"""


async def get_template_by_id(conn: Connection, template_id: uuid.UUID) -> MessageTemplateOut | None:
    return rows.one(MessageTemplateOut, await conn.fetchrow(_TEMPLATE_BY_ID, template_id))


_UPSERT_TEMPLATE = f"""
INSERT INTO templates (tenant_id, waba_id, meta_id, name, language, status, category,
                       parameter_format, components, reason, synced_at)
VALUES (current_tenant_id(), $1, $2, $3, $4, $5, $6, $7, $8, $9,
        CASE WHEN $10::boolean THEN now() END)
ON CONFLICT (tenant_id, waba_id, name, language) DO UPDATE
   SET meta_id = EXCLUDED.meta_id, status = EXCLUDED.status, category = EXCLUDED.category,
       parameter_format = EXCLUDED.parameter_format, components = EXCLUDED.components,
       reason = coalesce(EXCLUDED.reason, templates.reason),
       synced_at = coalesce(EXCLUDED.synced_at, templates.synced_at), updated_at = now()
RETURNING {_TEMPLATE_COLUMNS}, (xmax = 0) AS created
"""


async def upsert_template(
    conn: Connection,
    *,
    waba_id: str,
    meta_id: str | None,
    name: str,
    language: str,
    status: str,
    category: str,
    parameter_format: str,
    components: Sequence[dict[str, Any]],
    reason: str | None,
    synced: bool,
) -> asyncpg.Record:
    row = await conn.fetchrow(
        _UPSERT_TEMPLATE,
        waba_id,
        meta_id,
        name,
        language,
        status,
        category,
        parameter_format,
        list(components),
        reason,
        synced,
    )
    assert row is not None
    return row


# templates_meta_id_idx; the old status is read under the row lock, so of two writers applying
# one change only the first sees it as a change.
_DELETE_TEMPLATE = """
DELETE FROM templates
 WHERE tenant_id = current_tenant_id() AND waba_id = $1 AND name = $2 AND language = $3
"""


async def delete_template(conn: Connection, waba_id: str, name: str, language: str) -> None:
    """Forget the local copy (configuration import); Meta's own is untouched."""
    await conn.execute(_DELETE_TEMPLATE, waba_id, name, language)


_TEMPLATE_STATUS = """
WITH old AS (
    SELECT id, status, reason FROM templates
     WHERE tenant_id = current_tenant_id() AND meta_id = $1
       FOR UPDATE
)
UPDATE templates t SET status = $2, reason = $3, updated_at = now()
  FROM old
 WHERE t.id = old.id
RETURNING t.id, t.name, t.language, old.status AS previous_status, old.reason AS previous_reason
"""


async def set_template_status(
    conn: Connection, meta_id: str, status: str, reason: str | None
) -> asyncpg.Record | None:
    """Apply a ``message_template_status_update``: the template with its previous status, or
    None when the template isn't known yet."""
    return await conn.fetchrow(_TEMPLATE_STATUS, meta_id, status, reason)


# Meta names the number by its display digits only: the tenant's live numbers of that WABA
# (whatsapp_numbers_tenant_idx; a tenant has a handful) whose display number has those digits,
# or, when none has, the WABA's only live number if it was added without a display number (it
# learns it). A state older than the stored one (a late redelivery) changes nothing.
_NUMBER_QUALITY = r"""
WITH candidates AS (
    SELECT id, display_phone_number,
           regexp_replace(display_phone_number, '\D', '', 'g') = $2 AS exact
      FROM whatsapp_numbers
     WHERE tenant_id = current_tenant_id() AND removed_at IS NULL AND waba_id = $1
), chosen AS (
    SELECT id FROM candidates WHERE exact
    UNION
    SELECT id FROM candidates
     WHERE display_phone_number = '' AND (SELECT count(*) FROM candidates) = 1
       AND NOT EXISTS (SELECT 1 FROM candidates WHERE exact)
), old AS (
    SELECT n.id, n.quality_event, n.quality_rating, n.messaging_limit, n.quality_at
      FROM whatsapp_numbers n JOIN chosen c ON c.id = n.id
       FOR UPDATE OF n
)
UPDATE whatsapp_numbers n
   SET quality_event = $3,
       quality_rating = coalesce($4, n.quality_rating),
       messaging_limit = coalesce($5, n.messaging_limit),
       quality_at = $6,
       display_phone_number = CASE WHEN n.display_phone_number = '' THEN '+' || $2
                                   ELSE n.display_phone_number END
  FROM old
 WHERE n.id = old.id AND (old.quality_at IS NULL OR old.quality_at <= $6)
RETURNING n.id, n.display_phone_number, n.label, n.quality_event, n.quality_rating,
          n.messaging_limit, old.quality_event AS previous_event,
          old.quality_rating AS previous_rating, old.messaging_limit AS previous_limit
"""


async def set_number_quality(
    conn: Connection,
    *,
    waba_id: str,
    digits: str,
    event: str,
    rating: str | None,
    limit: str | None,
    at: datetime,
) -> list[asyncpg.Record]:
    """Record a ``phone_number_quality_update`` on the number(s) it names: each with its
    previous state; empty when no live number matches or the update is older than the stored."""
    return await conn.fetch(_NUMBER_QUALITY, waba_id, digits, event, rating, limit, at)
