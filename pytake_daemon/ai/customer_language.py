"""The language a conversation's customer is written to: the one the AI remembered for the
contact (``ai_contact_language``, migration 0023), else the tenant's default
(``tenant_profiles.language``), else English.

It reads the database, so it lives here in the domain layer and not in ``pytake_daemon.i18n``
(the catalog), which the HTTP layer below the domains imports.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from pytake_daemon.ai import analysis_db
from pytake_daemon.db.pool import Connection
from pytake_daemon.i18n import UNCONFIGURED_TENANT_LANGUAGE, from_contact
from pytake_daemon.tenancy import profile_db
from pytake_i18n import normalize


async def tenant_language(conn: Connection) -> str:
    """The tenant's default language, in the caller's tenant transaction."""
    profile = await profile_db.profile(conn)
    if profile is None:
        return UNCONFIGURED_TENANT_LANGUAGE
    return normalize(profile["language"]) or UNCONFIGURED_TENANT_LANGUAGE


async def customer_languages(
    conn: Connection, conversation_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The language each conversation's customer is written to (two reads for all)."""
    contexts = await analysis_db.language_contexts(conn, conversation_ids)
    tenant = await tenant_language(conn)
    return {
        c: (from_contact(contexts[c].contact_language) if c in contexts else None) or tenant
        for c in conversation_ids
    }


async def customer_language(conn: Connection, conversation_id: uuid.UUID) -> str:
    """The language one conversation's customer is written to."""
    return (await customer_languages(conn, [conversation_id]))[conversation_id]
