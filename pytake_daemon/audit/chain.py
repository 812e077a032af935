"""The per-tenant hash chain: canonical form of an entry, its hash, and verification.

``hash = SHA-256(prev_hash || canonical)``, where ``canonical`` is the entry's chained fields as
JSON with sorted keys, no spaces, UTF-8, timestamps as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` and UUIDs
in lower-case hex with dashes. The first entry's ``prev_hash`` is 32 zero bytes. docs/audit.md
repeats this so an auditor can check an export without PyTake.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

GENESIS = bytes(32)


class EntryLike(Protocol):
    """A stored entry: an asyncpg record, a dict, or a parsed export line."""

    def __getitem__(self, key: str, /) -> Any: ...


# Every column the hash covers, i.e. all but prev_hash and hash themselves.
CHAINED_FIELDS = (
    "tenant_id",
    "seq",
    "id",
    "at",
    "actor_type",
    "actor_id",
    "actor_label",
    "actor_role",
    "action",
    "target_type",
    "target_id",
    "outcome",
    "ip",
    "user_agent",
    "request_id",
    "method",
    "route",
    "status",
    "diff",
)


def format_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def plain(value: Any) -> Any:
    """A value as the canonical JSON holds it."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return format_time(value)
    return value


def _json(fields: dict[str, Any]) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(entry: EntryLike) -> bytes:
    """The bytes the hash covers: the chained fields of ``entry`` in canonical JSON."""
    return _json({name: plain(entry[name]) for name in CHAINED_FIELDS}).encode()


# The fields the database fills in when it chains an entry (under the tenant's lock), in the
# canonical form's key order.
LATE_FIELDS = ("at", "seq", "tenant_id")


def canonical_pieces(entry: EntryLike) -> list[bytes]:
    """The canonical form of ``entry`` without its :data:`LATE_FIELDS`' values, in four pieces
    around them: ``p[0] + at + p[1] + seq + p[2] + tenant_id + p[3]`` is :func:`canonical` of
    the entry once it has them (``at`` as :func:`format_time` writes it, ``seq`` in decimal, the
    tenant's UUID as text; migration 0051 joins them so)."""
    marks = {name: f"late-{name}-{uuid.uuid4().hex}" for name in LATE_FIELDS}
    fields = {name: marks[name] if name in marks else plain(entry[name]) for name in CHAINED_FIELDS}
    rest = _json(fields)
    pieces: list[bytes] = []
    # "at" and "tenant_id" are JSON strings (their quotes stay in the pieces); seq is a number.
    for cut in (marks["at"], f'"{marks["seq"]}"', marks["tenant_id"]):
        before, found, rest = rest.partition(cut)
        if not found or cut in rest:
            raise ValueError(f"the canonical form has no single place for {cut}")
        pieces.append(before.encode())
    pieces.append(rest.encode())
    return pieces


def entry_hash(prev_hash: bytes, entry: EntryLike) -> bytes:
    return hashlib.sha256(prev_hash + canonical(entry)).digest()


@dataclass(frozen=True)
class ChainBreak:
    """The first entry at which the chain stops being what was written."""

    seq: int
    entry_id: str
    reason: str

    def __str__(self) -> str:
        return f"entry seq {self.seq} (id {self.entry_id}): {self.reason}"


@dataclass(frozen=True)
class ChainReport:
    checked: int
    last_seq: int
    last_hash: bytes
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify_chain(
    entries: Iterable[EntryLike], *, start_seq: int = 0, start_hash: bytes = GENESIS
) -> ChainReport:
    """Walk entries in stored order; the first one that doesn't follow its predecessor is named.

    ``start_seq``/``start_hash`` are where the chain resumes after archived entries (0 and the
    genesis hash for a chain kept whole). A modified entry fails its hash; a deleted one leaves a
    gap in ``seq``; an inserted or reordered one breaks ``seq`` or the ``prev_hash`` link.
    """
    expected_seq, prev = start_seq + 1, start_hash
    checked = 0
    for entry in entries:
        seq, entry_id = int(entry["seq"]), str(entry["id"])
        if seq != expected_seq:
            reason = (
                f"expected seq {expected_seq}: entries {expected_seq}..{seq - 1} are missing"
                if seq > expected_seq
                else f"expected seq {expected_seq}: entry is out of order or duplicated"
            )
            return ChainReport(checked, expected_seq - 1, prev, ChainBreak(seq, entry_id, reason))
        if bytes(entry["prev_hash"]) != prev:
            reason = "prev_hash does not match the previous entry's hash"
            return ChainReport(checked, seq - 1, prev, ChainBreak(seq, entry_id, reason))
        computed = entry_hash(prev, entry)
        if bytes(entry["hash"]) != computed:
            reason = "content does not match its hash (the entry was modified)"
            return ChainReport(checked, seq - 1, prev, ChainBreak(seq, entry_id, reason))
        checked += 1
        prev, expected_seq = computed, seq + 1
    return ChainReport(checked, expected_seq - 1, prev, None)
