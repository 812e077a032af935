"""Appending to the audit log: what an entry says, and how it joins the tenant's chain."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pytake_daemon.audit import db
from pytake_daemon.audit.chain import canonical_pieces
from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol.audit import ActorType, AuditEntryOut, Outcome

_MAX_TEXT = 500


@dataclass(frozen=True)
class Actor:
    """Who did it: a user (with role), the CLI, the system, or nobody known."""

    type: ActorType
    id: uuid.UUID | None = None
    label: str | None = None
    role: str | None = None

    @classmethod
    def cli(cls, label: str = "pytake cli") -> Actor:
        return cls(ActorType.CLI, label=label, role="owner")


@dataclass(frozen=True)
class Origin:
    """Where the request came from (all optional: the CLI has none of it)."""

    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    method: str | None = None
    route: str | None = None
    status: int | None = None


@dataclass(frozen=True)
class AuditDraft:
    """An entry before it is chained."""

    action: str
    actor: Actor
    outcome: Outcome = Outcome.SUCCESS
    target_type: str | None = None
    target_id: str | None = None
    diff: dict[str, Any] | None = None
    origin: Origin = field(default_factory=Origin)


def _clip(text: str | None) -> str | None:
    return None if text is None else text[:_MAX_TEXT]


def difference(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict[str, Any]:
    """``{field: {"before": old, "after": new}}`` for each field whose value changed.

    Values must already be JSON-ready (e.g. ``model_dump(mode="json")``); a missing side means
    creation or removal. Secrets must be left out by the caller.
    """
    before, after = before or {}, after or {}
    changed: dict[str, Any] = {}
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if old != new:
            changed[key] = {"before": old, "after": new}
    return changed


async def append_entry(conn: Connection, draft: AuditDraft) -> dict[str, Any]:
    """Chain ``draft`` onto its tenant's log in the caller's transaction; returns the row.

    The database holds the tenant's chain lock until the transaction ends, so one tenant's
    appends are serial (other tenants are not affected): append last, just before the commit,
    where other writers of the tenant wait least.
    """
    origin = draft.origin
    entry: dict[str, Any] = {
        "id": uuid.uuid4(),
        "actor_type": draft.actor.type.value,
        "actor_id": draft.actor.id,
        "actor_label": _clip(draft.actor.label),
        "actor_role": draft.actor.role,
        "action": draft.action,
        "target_type": draft.target_type,
        "target_id": _clip(draft.target_id),
        "outcome": draft.outcome.value,
        "ip": origin.ip,
        "user_agent": _clip(origin.user_agent),
        "request_id": origin.request_id,
        "method": origin.method,
        "route": _clip(origin.route),
        "status": origin.status,
        "diff": draft.diff or None,
    }
    # The tenant, the next seq, the time (taken under the lock, so it follows seq) and the
    # hash come from the database, which chains the entry in the same call.
    chained = await db.append_entry(conn, entry, canonical_pieces(entry))
    entry.update(
        tenant_id=chained["tenant_id"],
        seq=chained["seq"],
        at=chained["at"],
        prev_hash=bytes(chained["prev_hash"]),
        hash=bytes(chained["hash"]),
    )
    return entry


def entry_out(row: rows.Row) -> AuditEntryOut:
    return rows.of(
        AuditEntryOut,
        row,
        prev_hash=bytes(row["prev_hash"]).hex(),
        hash=bytes(row["hash"]).hex(),
    )
