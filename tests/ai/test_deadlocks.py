"""Concurrent analysis batches that share conversations never deadlock: jobs whose messages
cover the same conversations in different orders run side by side through the real handler,
twice (the second round is every job retried at once), and PostgreSQL's own deadlock counter
for the test database doesn't move. The moods' message counts come out exact."""

from __future__ import annotations

import asyncio
import random
import uuid

from pytake_daemon.ai.service import ANALYSIS_JOB
from pytake_daemon.db.pool import Connection, Pool
from pytake_daemon.jobs.job import Job
from pytake_daemon.keys import AI, DB_POOL
from tests.ai.test_ai_api import setup
from tests.conftest import ApiClient, MakeTenant
from tests.conversations.factories import insert_conversation, insert_message

CONVERSATIONS = 6
JOBS = 8
TEXTS = ["Quero cancelar, péssimo!", "Obrigado, resolveu", "Cadê meu pedido?", "Hello, any news?"]


async def flush_stats(pool: Pool) -> None:
    """Make every connection of the pool publish its pending statistics (a backend reports a
    deadlock it was chosen to break in its own counters, flushed at most once a second when it
    goes idle; pg_stat_force_next_flush makes that happen before this statement returns)."""
    conns = [await pool.acquire() for _ in range(pool.get_max_size())]
    try:
        for conn in conns:
            await conn.execute("SELECT pg_stat_force_next_flush()")
    finally:
        for conn in conns:
            await pool.release(conn)


async def deadlocks(admin_conn: Connection, pool: Pool) -> int:
    await flush_stats(pool)
    await admin_conn.execute("SELECT pg_stat_force_next_flush(), pg_stat_clear_snapshot()")
    count: int = await admin_conn.fetchval(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
    )
    return count


async def test_overlapping_batches_never_deadlock(
    api: ApiClient, admin_conn: Connection, make_tenant: MakeTenant
) -> None:
    tenant, number = await setup(api, make_tenant)
    conversations = [
        await insert_conversation(admin_conn, tenant.id, number_id=number.id)
        for _ in range(CONVERSATIONS)
    ]
    # Job j holds message j of every conversation, in an order of its own.
    rng = random.Random(16)
    jobs: list[list[uuid.UUID]] = []
    for j in range(JOBS):
        batch = [
            await insert_message(
                admin_conn, tenant.id, conversation_id=c, text=TEXTS[(j + i) % len(TEXTS)]
            )
            for i, c in enumerate(conversations)
        ]
        rng.shuffle(batch)
        jobs.append(batch)
    service = api.app[AI]
    pool = api.app[DB_POOL]

    async def run(job_id: int, messages: list[uuid.UUID]) -> None:
        await service.on_analysis_due(
            tenant.id,
            [Job(job_id, tenant.id, ANALYSIS_JOB, {"messages": [str(m) for m in messages]}, 0)],
        )

    before = await deadlocks(admin_conn, pool)
    for _ in range(2):
        await asyncio.gather(*(run(j, messages) for j, messages in enumerate(jobs)))
    assert await deadlocks(admin_conn, pool) == before

    counts = await admin_conn.fetch(
        """
        SELECT conversation_id, messages FROM ai_conversation_mood
         WHERE conversation_id = ANY($1) ORDER BY conversation_id
        """,
        conversations,
    )
    assert [(r["conversation_id"], r["messages"]) for r in counts] == [
        (c, JOBS) for c in sorted(conversations)
    ]
    # Each stored mood window holds each message of its conversation once (fewer than the
    # window's length here), though every job ran twice.
    windows = await admin_conn.fetch(
        "SELECT window_ids FROM ai_conversation_mood WHERE conversation_id = ANY($1)",
        conversations,
    )
    assert [len(set(r["window_ids"])) for r in windows] == [JOBS] * CONVERSATIONS
    assert {m for r in windows for m in r["window_ids"]} == {m for job in jobs for m in job}
    assert (
        await admin_conn.fetchval(
            "SELECT count(*) FROM ai_message_analysis WHERE conversation_id = ANY($1)",
            conversations,
        )
        == JOBS * CONVERSATIONS
    )
