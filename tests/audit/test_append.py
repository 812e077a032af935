"""Appending in one statement (migration 0051): the database chains the entry with the hash the
verifier recomputes in Python, and concurrent appenders of one tenant still form one chain."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from pytake_daemon.audit.entries import Actor, AuditDraft, Origin, append_entry
from pytake_daemon.audit.verify import verify_tenant
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Pool, create_pool, tenant_transaction
from pytake_daemon.protocol.audit import ActorType
from tests.conftest import MakeTenant


@pytest.fixture
async def pool(endpoints: Endpoints) -> AsyncIterator[Pool]:
    pool = await create_pool(endpoints.app_dsn.get_secret_value(), min_size=1, max_size=8)
    yield pool
    await pool.close()


def _draft(n: int) -> AuditDraft:
    # Text the canonical form escapes or keeps as UTF-8: quotes, backslashes, accents, emoji.
    return AuditDraft(
        action="queue.assigned",
        actor=Actor(ActorType.USER, label=f'Zé "{n}" \\ ação 😀', role="agent"),
        target_type="conversation",
        target_id=f"c-{n}",
        diff={"after": {"note": f"linha {n}\nçã", "n": n, "ok": True, "none": None}},
        origin=Origin(ip="2001:db8::7", method="POST", route="/api/v1/x", status=201),
    )


async def test_concurrent_appends_form_one_chain_the_verifier_accepts(
    pool: Pool, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()

    async def append(n: int) -> dict[str, Any]:
        async with tenant_transaction(pool, tenant.id) as conn:
            return await append_entry(conn, _draft(n))

    written = await asyncio.gather(*(append(n) for n in range(40)))

    assert sorted(e["seq"] for e in written) == list(range(1, 41))
    assert {e["tenant_id"] for e in written} == {tenant.id}
    async with tenant_transaction(pool, tenant.id) as conn:
        report = await verify_tenant(conn, tenant.id)
        stored = await conn.fetch(
            "SELECT seq, at, hash FROM audit_entries WHERE tenant_id = $1 ORDER BY seq", tenant.id
        )
    assert report.ok, report.chain.broken
    assert report.chain.checked == 40
    # The time is taken under the lock: it follows the chain's order.
    times = [r["at"] for r in stored]
    assert times == sorted(times)
    # What append_entry returned is what was stored.
    by_seq = {e["seq"]: e for e in written}
    assert all(bytes(r["hash"]) == by_seq[r["seq"]]["hash"] for r in stored)


async def test_an_append_needs_a_tenant(pool: Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        with pytest.raises(asyncpg.RaiseError, match="need a tenant transaction"):
            await append_entry(conn, _draft(0))
