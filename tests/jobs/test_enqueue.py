"""``jobs.db.enqueue_jobs`` (migration 0048): the webhook writer's one-statement commit. Called
outside a transaction it commits by itself, the rows are the tenant's under row-level security,
and the tenant it set does not outlive the statement on the pooled connection."""

from __future__ import annotations

import uuid

from pytake_daemon.db.pool import Pool, tenant_transaction
from pytake_daemon.jobs import db
from tests.conftest import MakeTenant
from tests.jobs.test_runner import kind, rows


async def test_enqueued_jobs_are_committed_as_the_tenants_own(
    pool: Pool, tenant_id: uuid.UUID, make_tenant: MakeTenant
) -> None:
    name = kind()
    async with pool.acquire() as conn:
        await db.enqueue_jobs(conn, tenant_id, name, [{"n": 1}, {"n": 2}])
        # No transaction was opened, and the tenant set for the statement is gone with it.
        assert not conn.is_in_transaction()
        assert await conn.fetchval("SELECT current_tenant_id()") is None
    # Another connection sees them: committed.
    found = await rows(pool, tenant_id, name)
    assert [(r["tenant_id"], r["payload"]) for r in found] == [
        (tenant_id, {"n": 1}),
        (tenant_id, {"n": 2}),
    ]
    other = (await make_tenant()).id
    async with tenant_transaction(pool, other) as conn:
        assert await conn.fetchval("SELECT count(*) FROM jobs WHERE kind = $1", name) == 0
