"""The one statement of its own: imports of a tenant's configuration take turns."""

from __future__ import annotations

from pytake_daemon.db.pool import Connection

# Two imports of one tenant at once would each compare against a tenant the other is changing;
# taking turns (until the transaction ends) makes every diff the truth of what it applies.
# 7340: this lock's key space, beside the flows' 7305 and the queues' 7321.
_LOCK_IMPORTS = "SELECT pg_advisory_xact_lock(hashtextextended(current_tenant_id()::text, 7340))"


async def lock_imports(conn: Connection) -> None:
    """Wait for any other import of this tenant to finish (held until the transaction ends)."""
    await conn.execute(_LOCK_IMPORTS)
