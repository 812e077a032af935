"""Automatic distribution: assignments per second with 50 agents and 10,000 queued items across
4 queues, several distributors in several processes racing on the same database.

Each distributor runs what the daemon's distributor tasks run (``queues.distribution.distribute``:
claim with SKIP LOCKED, lock candidate agents, pair, assign under the database's capacity and
uniqueness constraints, write history and timeline) over the four queues until nothing is left.
Per-item WebSocket events are left out (``events=False``): they cost the event bus, not
distribution.

Baseline, same run, same rows: the same number of transactions of the same batch size, each a
bare ``UPDATE`` touching those item rows (round trips + commits, no selection, no trigger).

At the end the database is checked: items assigned twice (``assigned`` history entries per item)
and agents over capacity must both be 0, or the run is void.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from harness import (
    PG_STATS_SETTINGS,
    bench_stack,
    print_statement_stats,
    reset_statement_stats,
)

from pytake_daemon.attendance import distribution, queues_db
from pytake_daemon.db.pool import connect, create_pool, set_tenant, tenant_transaction
from pytake_daemon.effects import Effects

QUEUES = 4


async def load(admin_dsn: str, tenant_id: uuid.UUID, agents: int, items: int) -> list[uuid.UUID]:
    """Agents (online, capacity enough for everything), conversations and waiting items."""
    conn = await connect(admin_dsn)
    try:
        async with conn.transaction():
            await set_tenant(conn, tenant_id)
            await conn.execute(
                "INSERT INTO users (tenant_id, email, name, role, password_hash)"
                " SELECT $1, 'agent' || n || '@bench.test', 'Agent ' || n, 'agent', 'x'"
                " FROM generate_series(1, $2) n",
                tenant_id,
                agents - 4,
            )
            await conn.execute(
                "INSERT INTO agents (tenant_id, id, status, capacity)"
                " SELECT tenant_id, id, 'online', $2 FROM users WHERE tenant_id = $1",
                tenant_id,
                -(-items // agents),
            )
            number = await conn.fetchval(
                "INSERT INTO whatsapp_numbers (tenant_id, phone_number_id, waba_id,"
                " access_token_enc, app_secret_enc, verify_token_enc)"
                " VALUES ($1, '109000000000777', '209000000000777', '', '', '') RETURNING id",
                tenant_id,
            )
            await conn.execute(
                "INSERT INTO contacts (tenant_id, wa_id) SELECT $1, (5511900000000 + n)::text"
                " FROM generate_series(1, $2) n",
                tenant_id,
                items,
            )
            await conn.execute(
                "INSERT INTO conversations (tenant_id, number_id, contact_id)"
                " SELECT $1, $2, id FROM contacts WHERE tenant_id = $1",
                tenant_id,
                number,
            )
            queues = [
                await conn.fetchval(
                    "INSERT INTO queues (tenant_id, name, policy) VALUES ($1, $2, $3) RETURNING id",
                    tenant_id,
                    f"queue {n}",
                    "least_loaded" if n % 2 else "round_robin",
                )
                for n in range(QUEUES)
            ]
            await conn.execute(
                "INSERT INTO queue_items (tenant_id, queue_id, conversation_id, priority,"
                " fallback_action, entered_at)"
                " SELECT $1, ($2::uuid[])[1 + (row_number() OVER () % $3)], c.id,"
                " (random() * 2)::int, 'keep_waiting',"
                " now() - make_interval(secs => random() * 3600)"
                " FROM conversations c WHERE c.tenant_id = $1",
                tenant_id,
                queues,
                QUEUES,
            )
            await conn.execute("ANALYZE")
        return queues
    finally:
        await conn.close()


async def distribute_all(
    app_dsn: str,
    tenant_id: uuid.UUID,
    queues: list[uuid.UUID],
    tasks: int,
    batch: int,
    ready: Any,
) -> tuple[int, float, float]:
    """(assigned, wall-clock start, end): timed from the open pool, not the process start."""
    pool = await create_pool(app_dsn, min_size=tasks, max_size=tasks)

    async def one(offset: int) -> int:
        done = 0
        turn = offset
        while True:
            queue_id = queues[turn % len(queues)]
            turn += 1
            async with tenant_transaction(pool, tenant_id) as conn:
                count = await distribution.distribute(
                    conn,
                    queue_id,
                    now=datetime.now(UTC),
                    effects=Effects(),
                    batch=batch,
                    events=False,
                )
                # Nothing here for us (the agents are held by others, or the queue is empty):
                # stop only when nothing waits anywhere.
                if not count and not await queues_db.queues_with_waiting(conn):
                    return done
            done += count

    try:
        # Every process starts together, so they really race (spawning takes a second).
        await asyncio.to_thread(ready.wait)
        started = time.time()
        done = sum(await asyncio.gather(*(one(n) for n in range(tasks))))
        return done, started, time.time()
    finally:
        await pool.close()


def worker(
    app_dsn: str, tenant: str, queues: list[str], tasks: int, batch: int, out: Any, ready: Any
) -> None:
    result = asyncio.run(
        distribute_all(
            app_dsn, uuid.UUID(tenant), [uuid.UUID(q) for q in queues], tasks, batch, ready
        )
    )
    out.put(result)


async def baseline(app_dsn: str, tenant_id: uuid.UUID, batches: int, batch: int) -> float:
    pool = await create_pool(app_dsn, min_size=1, max_size=1)
    try:
        async with tenant_transaction(pool, tenant_id) as conn:
            ids = [r["id"] for r in await conn.fetch("SELECT id FROM queue_items LIMIT $1", batch)]
        started = time.perf_counter()
        for _ in range(batches):
            async with tenant_transaction(pool, tenant_id) as conn:
                await conn.execute(
                    "UPDATE queue_items SET position_sent_at = now() WHERE id = ANY($1)", ids
                )
        return time.perf_counter() - started
    finally:
        await pool.close()


async def check(admin_dsn: str, tenant_id: uuid.UUID) -> tuple[int, int, int, int]:
    conn = await connect(admin_dsn)
    try:
        doubles = await conn.fetchval(
            "SELECT count(*) FROM (SELECT item_id FROM queue_history WHERE tenant_id = $1"
            " AND event = 'assigned' GROUP BY 1 HAVING count(*) > 1) d",
            tenant_id,
        )
        over = await conn.fetchval(
            "SELECT count(*) FROM agents a WHERE a.tenant_id = $1 AND (SELECT count(*)"
            " FROM queue_items i WHERE i.tenant_id = a.tenant_id AND i.agent_id = a.id"
            " AND i.status = 'assigned') > a.capacity",
            tenant_id,
        )
        assigned = await conn.fetchval(
            "SELECT count(*) FROM queue_items WHERE tenant_id = $1 AND status = 'assigned'",
            tenant_id,
        )
        waiting = await conn.fetchval(
            "SELECT count(*) FROM queue_items WHERE tenant_id = $1 AND status = 'waiting'",
            tenant_id,
        )
        return doubles, over, assigned, waiting
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--distributors", type=int, default=3, help="tasks per process")
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument(
        "--pg-stats",
        type=int,
        default=0,
        metavar="N",
        help="load pg_stat_statements and print the N costliest statements per assignment",
    )
    args = parser.parse_args()
    with bench_stack("ptk-assign-", PG_STATS_SETTINGS if args.pg_stats else ()) as bench:
        admin_dsn = bench.admin_dsn
        app_dsn = bench.daemon_env(0)["PYTAKE_DATABASE__URL"]
        tenant_id = bench.tenant.id
        queues = asyncio.run(load(admin_dsn, tenant_id, args.agents, args.items))
        batches = -(-args.items // args.batch)
        base = asyncio.run(baseline(app_dsn, tenant_id, batches, args.batch))
        if args.pg_stats:
            asyncio.run(reset_statement_stats(admin_dsn))
        ctx = multiprocessing.get_context("spawn")
        results = ctx.Queue()
        ready = ctx.Barrier(args.processes)
        procs = [
            ctx.Process(
                target=worker,
                args=(
                    app_dsn,
                    str(tenant_id),
                    [str(q) for q in queues],
                    args.distributors,
                    args.batch,
                    results,
                    ready,
                ),
            )
            for _ in range(args.processes)
        ]
        for p in procs:
            p.start()
        runs = [results.get() for _ in procs]
        counts = [r[0] for r in runs]
        elapsed = max(r[2] for r in runs) - min(r[1] for r in runs)
        for p in procs:
            p.join()
        if args.pg_stats:
            asyncio.run(print_statement_stats(admin_dsn, args.items, "assignment", args.pg_stats))
        doubles, over, assigned, waiting = asyncio.run(check(admin_dsn, tenant_id))
    rate = assigned / elapsed
    base_rate = args.items / base
    print(
        f"assigned {assigned} of {args.items} in {elapsed:.2f}s ({rate:.0f}/s) by "
        f"{args.processes}x{args.distributors} distributors (per process: {counts}); "
        f"waiting {waiting}; baseline bare updates {base_rate:.0f} rows/s in {base:.2f}s",
        file=sys.stderr,
    )
    print(
        f"RESULT assign assignments_per_s={rate:.0f} assigned={assigned} items={args.items}"
        f" agents={args.agents} queues={QUEUES} processes={args.processes}"
        f" distributors={args.processes * args.distributors} batch={args.batch}"
        f" seconds={elapsed:.2f} baseline_rows_per_s={base_rate:.0f}"
        f" ratio={rate / base_rate:.2f} double_assignments={doubles} over_capacity={over}"
    )


if __name__ == "__main__":
    main()
