"""Verifying a tenant's stored chain and its signed checkpoints (``pytake audit verify``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from pytake_daemon.audit import db
from pytake_daemon.audit.chain import GENESIS, ChainReport, verify_chain
from pytake_daemon.audit.signing import SignedCheckpoint, signature_valid
from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection


@dataclass
class TenantVerification:
    tenant_id: uuid.UUID
    chain: ChainReport
    checkpoints_checked: int = 0
    checkpoint_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.checkpoint_problems


async def verify_tenant(conn: Connection, tenant_id: uuid.UUID) -> TenantVerification:
    """Recompute the chain of the transaction's tenant (in a transaction, for the cursor)."""
    anchor = await db.chain_anchor(conn)
    start_seq, start_hash = (
        (anchor["last_seq"], bytes(anchor["last_hash"])) if anchor else (0, GENESIS)
    )
    hashes: dict[int, bytes] = {}
    entries = []
    async for row in db.iter_entries(conn):
        entries.append(row)
        hashes[row["seq"]] = bytes(row["hash"])
    report = verify_chain(entries, start_seq=start_seq, start_hash=start_hash)
    result = TenantVerification(tenant_id, report)
    for cp in await db.list_checkpoints(conn):
        checkpoint = rows.of(
            SignedCheckpoint,
            cp,
            hash=bytes(cp["hash"]),
            public_key=bytes(cp["public_key"]),
            signature=bytes(cp["signature"]),
        )
        result.checkpoints_checked += 1
        if not signature_valid(tenant_id, checkpoint):
            result.checkpoint_problems.append(f"checkpoint at seq {cp['seq']}: bad signature")
        elif cp["seq"] > start_seq and hashes.get(cp["seq"]) != checkpoint.hash:
            result.checkpoint_problems.append(
                f"checkpoint at seq {cp['seq']}: the chain no longer has the signed hash there"
                " (entries were removed or the chain was rebuilt)"
            )
    return result
