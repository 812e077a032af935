"""Recording admin actions of the CLI, which runs its SQL directly rather than through the API."""

from __future__ import annotations

import getpass
from typing import Any

from pytake_daemon.audit.entries import Actor, AuditDraft, append_entry
from pytake_daemon.db.pool import Connection


def cli_actor() -> Actor:
    """The operating-system user running the command (the CLI acts as the owner role)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        user = "unknown"
    return Actor.cli(label=f"cli:{user}")


async def record_cli_action(
    conn: Connection,
    action: str,
    *,
    target_type: str | None = None,
    target_id: Any = None,
    diff: dict[str, Any] | None = None,
) -> None:
    """Append a CLI action in the command's transaction (the tenant must be set on ``conn``)."""
    await append_entry(
        conn,
        AuditDraft(
            action=action,
            actor=cli_actor(),
            target_type=target_type,
            target_id=None if target_id is None else str(target_id),
            diff=diff,
        ),
    )
