"""What a report costs at a million messages: ``GET /api/v1/reports`` for the last 30 days in
São Paulo, at each level of the drill-down (tenant, queue, agent, conversation) and for 90
days, next to the plain inbox (``GET /api/v1/conversations``, first page) measured in the same
run, through the real daemon and its role (row-level security included). Aim: each report's
p50 ≤ 300 ms.

The history is ``history.py``'s (1,000,000 messages over 180 days on 20,000 conversations, the
AI's analysis of every customer message), plus what the reports read on top of it, loaded
with set-returning statements on the owner connection: half of our messages sent by a person,
one in fifty a template, one in two hundred refused by Meta; two attendances per conversation
over the same 180 days in three queues (assigned, completed, abandoned, transferred), their
queue history, closures (and a flow's closures), and ratings for most completed ones. Then
the roll-up, as the daemon's pass would have done: reports are measured first without 0044's
attendances and closures (live, as before it), then with them; then built in-process (the
route's snapshot transaction as the daemon's role, then its JSON) with each step's time;
with the CPU the daemon and PostgreSQL spend per request. ``--py-spy PATH`` (a py-spy binary)
also samples the daemon during tenant reports.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from subprocess import DEVNULL
from typing import Any

import aiohttp
from cryptography.fernet import Fernet
from harness import bench_stack, cpu_seconds, free_port, postmaster_pid, wait_ready
from history import preload

_EXTRA = (
    # Our messages: half sent by one of the tenant's people, 2 % templates, 0.5 % refused.
    """
    UPDATE messages m SET
        sent_by = CASE WHEN h % 2 = 0 THEN ($2::uuid[])[1 + (h / 2) % cardinality($2::uuid[])]
                  END,
        type = CASE WHEN h % 50 = 1 THEN 'template' ELSE m.type END,
        status = CASE WHEN h % 200 = 3 THEN 'failed' ELSE m.status END,
        error_code = CASE WHEN h % 200 = 3 THEN (ARRAY[131047, 131026, 130472])[1 + h % 3] END,
        error_title = CASE WHEN h % 200 = 3 THEN 'refused' END
      FROM (SELECT id, (hashtext(id::text) & 2147483647) AS h FROM messages
             WHERE tenant_id = $1 AND direction = 'out') x
     WHERE m.id = x.id
    """,
    "INSERT INTO agents (tenant_id, id) SELECT $1, u FROM unnest($2::uuid[]) u",
    """
    INSERT INTO queues (tenant_id, name, first_response_target_seconds)
    VALUES ($1, 'Support', 300), ($1, 'Sales', 120), ($1, 'Billing', 600)
    """,
    # Two attendances per conversation, at random over the history's 180 days.
    """
    INSERT INTO queue_items (tenant_id, queue_id, conversation_id, status, agent_id,
                             fallback_action, entered_at, assigned_at, ended_at)
    SELECT $1, q.ids[1 + (x.r * 1000)::int % 3], x.id, x.status,
           CASE WHEN x.status <> 'abandoned' THEN ($2::uuid[])[1 + (x.r * 997)::int % 4] END,
           'abandon', x.at,
           CASE WHEN x.status <> 'abandoned' THEN x.at + x.r * interval '10 minutes' END,
           x.at + interval '5 minutes' + x.r * interval '55 minutes'
      FROM (SELECT y.*, CASE WHEN y.r < 0.85 THEN 'completed' WHEN y.r < 0.95 THEN 'abandoned'
                             ELSE 'transferred' END AS status
              -- random() in a select list is drawn per row (an uncorrelated LATERAL once).
              FROM (SELECT c.id, random() AS r,
                           now() - interval '1 hour' - random() * interval '180 days' AS at
                      FROM conversations c, generate_series(1, 2) AS g
                     WHERE c.tenant_id = $1) y) x,
           (SELECT array_agg(id ORDER BY name) AS ids FROM queues WHERE tenant_id = $1) q
    """,
    """
    INSERT INTO queue_history (tenant_id, item_id, queue_id, conversation_id, event, agent_id,
                               at)
    SELECT i.tenant_id, i.id, i.queue_id, i.conversation_id, e.event, i.agent_id, e.at
      FROM queue_items i,
           LATERAL (VALUES ('entered', i.entered_at), ('assigned', i.assigned_at),
                           (i.status, i.ended_at)) e(event, at)
     WHERE i.tenant_id = $1 AND e.at IS NOT NULL
    """,
    """
    INSERT INTO conversation_events (tenant_id, conversation_id, kind, agent_id, queue_id,
                                     detail, created_at)
    SELECT tenant_id, conversation_id, 'closed', agent_id, queue_id, '{}'::jsonb, ended_at
      FROM queue_items WHERE tenant_id = $1 AND status <> 'transferred'
    UNION ALL
    SELECT tenant_id, id, 'closed', NULL, NULL, '{"reason": "flow"}',
           now() - random() * interval '180 days'
      FROM conversations WHERE tenant_id = $1 AND random() < 0.3
    """,
    """
    INSERT INTO conversation_feedback (tenant_id, item_id, conversation_id, agent_id, rating,
                                       asked_at, answered_at)
    SELECT tenant_id, id, conversation_id, agent_id, 1 + (random() * 4)::int, ended_at,
           ended_at + random() * interval '1 hour'
      FROM queue_items WHERE tenant_id = $1 AND status = 'completed' AND random() < 0.6
    """,
)


async def load(admin_dsn: str, tenant_id: uuid.UUID, people: list[uuid.UUID], key: bytes,
               messages: int) -> tuple[float, float, float]:  # fmt: skip
    from pytake_daemon.db.pool import connect
    from pytake_daemon.reports.rollup import roll_up_tenant
    from pytake_daemon.whatsapp.secretbox import SecretBox

    box = SecretBox([key])
    conn = await connect(admin_dsn)
    try:
        number_id = await conn.fetchval(
            """
            INSERT INTO whatsapp_numbers (tenant_id, phone_number_id, waba_id, access_token_enc,
                                          app_secret_enc, verify_token_enc)
            VALUES ($1, '100200300401', '500600700801', $2, $3, $4) RETURNING id
            """,
            tenant_id,
            box.encrypt("bench-token"),
            box.encrypt("bench-app-secret"),
            box.encrypt("bench-verify"),
        )
        history_s = await preload(conn, tenant_id, number_id, messages)
        started = time.perf_counter()
        for statement in _EXTRA:
            args: tuple[Any, ...] = (tenant_id,) if "$2" not in statement else (tenant_id, people)
            await conn.execute(statement, *args)
            print(f"  {statement.split()[0]} {statement.split()[2]} done", file=sys.stderr)
        extra_s = time.perf_counter() - started
        started = time.perf_counter()
        async with conn.transaction():
            # What the daemon's background pass does within minutes of starting (its first
            # pass: the whole history).
            await roll_up_tenant(conn, tenant_id, datetime.now(UTC))
        rollup_s = time.perf_counter() - started
        await conn.execute(
            "VACUUM ANALYZE messages, queue_items, queue_history, conversation_events,"
            " conversation_feedback, queues, agents, report_quarters, report_attendances,"
            " report_closures"
        )
        return history_s, extra_s, rollup_s
    finally:
        await conn.close()


async def targets(admin_dsn: str, tenant_id: uuid.UUID) -> dict[str, Any]:
    """The drill-down's ids: the busiest queue, its busiest agent, the longest conversation;
    and the local postmaster's pid (its backends' CPU time is PostgreSQL's)."""
    from pytake_daemon.db.pool import connect

    conn = await connect(admin_dsn)
    try:
        row = await conn.fetchrow(
            """
            SELECT queue_id, agent_id FROM queue_items WHERE tenant_id = $1
               AND agent_id IS NOT NULL
             GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1
            """,
            tenant_id,
        )
        conversation = await conn.fetchval(
            "SELECT conversation_id FROM messages WHERE tenant_id = $1"
            " GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
            tenant_id,
        )
        postmaster = await postmaster_pid(conn)
    finally:
        await conn.close()
    assert row is not None
    assert postmaster is not None, "the bench's PostgreSQL is the embedded, local one"
    return {"queue": str(row["queue_id"]), "agent": str(row["agent_id"]),
            "conversation": str(conversation), "postmaster": postmaster}  # fmt: skip


async def measure(
    base: str, token: str, path: str, params: dict[str, str], n: int, cpu: dict[str, int]
) -> dict[str, float]:
    """p50 and max latency, and the CPU the daemon (``cpu["daemon"]``, a pid) and PostgreSQL
    (``cpu["postgres"]``, the postmaster: every backend) spent per measured request."""
    latencies: list[float] = []
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session:
        for i in range(n + 3):  # three warm-ups: pool, plans, caches
            if i == 3:
                spent = {k: cpu_seconds(pid) for k, pid in cpu.items()}
            started = time.perf_counter()
            async with session.get(f"{base}{path}", params=params) as resp:
                await resp.read()
                assert resp.status == 200, (resp.status, await resp.text())
            if i >= 3:
                latencies.append(time.perf_counter() - started)
    out = {"p50_ms": statistics.median(latencies) * 1000, "max_ms": max(latencies) * 1000}
    for k, pid in cpu.items():
        out[f"{k}_cpu_ms"] = (cpu_seconds(pid) - spent[k]) / n * 1000
    return out


async def in_process(
    admin_dsn: str, tenant_id: uuid.UUID, kinds: dict[str, dict[str, str]], n: int
) -> dict[str, dict[str, float]]:
    """Each kind built as the route builds it (its snapshot transaction, as the daemon's role,
    under row-level security, then the response's JSON), without HTTP: p50 of the whole, of
    each statement group and of the serialisation, in milliseconds."""
    from pytake_daemon.db.pool import create_pool
    from pytake_daemon.protocol.reports import ReportQuery
    from pytake_daemon.reports import attendance_db, db, service
    from pytake_daemon.reports.routes import snapshot
    from tests.support import with_user

    steps: dict[str, list[float]] = defaultdict(list)

    def timed(module: Any, name: str) -> None:
        inner: Callable[..., Awaitable[Any]] = getattr(module, name)

        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await inner(*args, **kwargs)
            finally:
                steps[name].append(time.perf_counter() - started)

        setattr(module, name, wrapper)

    # service.py calls these through their modules: timing wrappers, for this process only.
    timed(attendance_db, "attendance")
    for name in ("message_figures", "opened_and_closed", "ratings", "mood"):
        timed(db, name)
    pool = await create_pool(with_user(admin_dsn, "pytake_app"), min_size=1, max_size=1)
    out: dict[str, dict[str, float]] = {}
    try:
        for kind, params in kinds.items():
            query = ReportQuery.model_validate(params)
            totals: list[float] = []
            json_s: list[float] = []
            per_step: dict[str, list[float]] = defaultdict(list)
            for i in range(n + 3):
                steps.clear()
                started = time.perf_counter()
                async with snapshot(pool, tenant_id) as conn:
                    report = await service.build_report(conn, query, datetime.now(UTC))
                built = time.perf_counter()
                body = report.__pydantic_serializer__.to_json(report)
                if i >= 3:
                    totals.append(built - started)
                    json_s.append(time.perf_counter() - built)
                    for name, values in steps.items():
                        per_step[name].append(sum(values))
            step_ms = {f"{k}_ms": statistics.median(v) * 1000 for k, v in per_step.items()}
            total_ms = statistics.median(totals) * 1000
            out[kind] = {
                "total_ms": total_ms,
                "json_ms": statistics.median(json_s) * 1000,
                **step_ms,
                # BEGIN, the scope's checks, the breakdown's names, building the model.
                "other_ms": total_ms - sum(step_ms.values()),
                "bytes": len(body),
            }
    finally:
        await pool.close()
    return out


def top_frames(raw: Path, top: int = 15) -> list[tuple[str, float]]:
    """The functions the samples were in (self time), by share of the samples."""
    counts: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        counts[stack.split(";")[-1]] += int(n)
    total = sum(counts.values())
    return [(f, c / total) for f, c in counts.most_common(top)]


async def facts(admin_dsn: str, tenant_id: uuid.UUID, *, rolled: bool) -> None:
    """Clear the attendances' and closures' roll-up (reports compute them live, as before
    migration 0044), or do it again as the daemon's pass would."""
    from pytake_daemon.db.pool import connect
    from pytake_daemon.reports.rollup import roll_up_tenant

    conn = await connect(admin_dsn)
    try:
        if rolled:
            async with conn.transaction():
                await roll_up_tenant(conn, tenant_id, datetime.now(UTC))
            await conn.execute("VACUUM ANALYZE report_attendances, report_closures")
        else:
            await conn.execute(
                "UPDATE report_rollups SET facts_until = NULL WHERE tenant_id = $1", tenant_id
            )
    finally:
        await conn.close()


async def profile(base: str, token: str, params: dict[str, str], binary: str, pid: int) -> Path:
    """Tenant reports back to back while py-spy samples the daemon for 20 seconds."""
    out = Path(f"/tmp/pytake-reports-{pid}.pyspy")
    # Collapsed stacks, one per line; --nonblocking: the daemon isn't paused to be sampled.
    command = f"{binary} record --pid {pid} --duration 20 --rate 200 --format raw --nonblocking"
    spy = await asyncio.create_subprocess_exec(
        *command.split(), "--output", str(out), stdout=DEVNULL, stderr=DEVNULL
    )
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session:
        while spy.returncode is None:
            async with session.get(f"{base}/api/v1/reports", params=params) as resp:
                await resp.read()
            await asyncio.sleep(0)
    return out


def _print_kinds(rows: dict[str, dict[str, float]], fields: dict[str, str], tag: str) -> None:
    base = rows["inbox"]["p50_ms"]
    for name, r in rows.items():
        verdict = "" if name == "inbox" else ("  ok" if r["p50_ms"] <= 300 else "  OVER 300 ms")
        cpu_text = "  ".join(f"{k} {v:6.1f}" for k, v in r.items() if k.endswith("_cpu_ms"))
        print(f"{name:13s} p50 {r['p50_ms']:8.1f} ms  max {r['max_ms']:8.1f} ms  "
              f"x{r['p50_ms'] / base:.1f} of the inbox{verdict}  ({cpu_text})")  # fmt: skip
        if name != "inbox":
            fields[f"{name}{tag}_p50_ms"] = f"{r['p50_ms']:.1f}"
            fields[f"{name}{tag}_max_ms"] = f"{r['max_ms']:.1f}"
            fields[f"{name}{tag}_ratio"] = f"{r['p50_ms'] / base:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20, help="per kind")
    parser.add_argument("--py-spy", help="a py-spy binary: sample the daemon's tenant reports")
    args = parser.parse_args()

    from pytake_daemon.protocol import Role

    key = Fernet.generate_key()
    with bench_stack("ptr-") as bench:
        tenant = bench.tenant
        people = [m.id for m in tenant.members.values()]
        print(f"loading {args.messages:,} messages and their attendances…", file=sys.stderr)
        history_s, extra_s, rollup_s = asyncio.run(
            load(bench.admin_dsn, tenant.id, people, key, args.messages)
        )
        ids = asyncio.run(targets(bench.admin_dsn, tenant.id))
        month = {"period": "last-30d", "tz": "America/Sao_Paulo"}
        kinds = {
            "tenant": month,
            "queue": {**month, "queue_id": ids["queue"]},
            "agent": {**month, "queue_id": ids["queue"], "agent_id": ids["agent"]},
            "conversation": {**month, "conversation_id": ids["conversation"]},
            "tenant_90d": {**month, "period": "last-90d"},
        }
        asyncio.run(facts(bench.admin_dsn, tenant.id, rolled=False))
        port = free_port()
        daemon = bench.spawn_daemon(port, PYTAKE_WHATSAPP__SECRETS_KEY=key.decode())
        token = tenant[Role.SUPERVISOR].token
        cpu = {"daemon": daemon.pid, "postgres": ids["postmaster"]}
        app = f"http://127.0.0.1:{port}"

        async def run(names: list[str]) -> dict[str, dict[str, float]]:
            await wait_ready(f"{app}/readyz", timeout=120)
            out = {"inbox": await measure(app, token, "/api/v1/conversations", {}, args.requests,
                                          cpu)}  # fmt: skip
            for name in names:
                out[name] = await measure(app, token, "/api/v1/reports", kinds[name],
                                          args.requests, cpu)  # fmt: skip
            return out

        # First without the attendances' and closures' roll-up (well within the daemon's
        # first pass, 5 minutes after it starts), then with it.
        before = asyncio.run(run(["tenant", "queue", "tenant_90d"]))
        asyncio.run(facts(bench.admin_dsn, tenant.id, rolled=True))
        results = asyncio.run(run(list(kinds)))
        # The daemon idle meanwhile, caches as warm as for its requests.
        local = asyncio.run(in_process(bench.admin_dsn, tenant.id, kinds, args.requests))
        spied = None
        if args.py_spy:
            spied = asyncio.run(profile(app, token, month, args.py_spy, daemon.pid))

    print(
        f"history {history_s:.0f} s, report tables {extra_s:.0f} s, first roll-up {rollup_s:.1f} s"
    )
    fields: dict[str, str] = {"messages": str(args.messages)}
    fields["inbox_p50_ms"] = f"{results['inbox']['p50_ms']:.1f}"
    _print_kinds(results, fields, "")
    print("without the attendances' and closures' roll-up (live, as before 0044):")
    _print_kinds(before, fields, "_live")
    print("in-process (the route's transaction and JSON, no HTTP), p50 ms:")
    for name, r in local.items():
        parts = "  ".join(f"{k[:-3]} {v:.1f}" for k, v in r.items() if k.endswith("_ms"))
        print(f"  {name:13s} {parts}  ({r['bytes']:,.0f} bytes)")
        fields[f"{name}_inprocess_ms"] = f"{r['total_ms']:.1f}"
    if spied is not None:
        print(f"py-spy ({spied}), the daemon's self time by function:")
        for frame, share in top_frames(spied):
            print(f"  {share:6.1%}  {frame}")
    print("RESULT reports " + " ".join(f"{k}={v}" for k, v in fields.items()))


if __name__ == "__main__":
    main()
