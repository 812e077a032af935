"""Notification fan-out on the message path: CPU per inbound message (daemon process tree +
PostgreSQL) with the notifications on, against the same daemon build with them off, in the same
run on the same database.

200 agents are online, each attending the conversations of 5 customers (1,000 conversations,
assigned round-robin), so every customer message is a "customer replied" notification for its
agent (grouped per conversation while unread, one event each). Two daemons run side by side,
one with ``notifications.fanout`` off and one on, take turns (off, on, off, on…): each phase
starts its daemon, offers ``--rate`` messages/s for ``--seconds``, counts the CPU until the work
it caused is drained (jobs, then the fan-out's rows written, so deferred work is not missed) and
stops it. One daemon at a time, because every process claims every process's jobs: a message
taken in by one could be fanned out by the other. At the end, the unread groups must account
for every message sent in the "on" phases, or the run is void.

The 200 agents have no console connected: at 500 messages/s one Python client process could not
read 200 sockets' frames, and the hub's cost per frame is the same with or without
notifications (docs/notifications.md says what a notification costs the other consoles).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import random
import secrets
import statistics
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import aiohttp
import orjson
from harness import bench_stack, cpu_seconds, free_port, postmaster_pid, wait_drained, wait_ready

if TYPE_CHECKING:
    from pytake_daemon.db.pool import Connection

SECRET = "bench-app-secret"
PHONE_ID = "109000000000002"
WABA_ID = "209000000000002"
PATH = "/api/v1/whatsapp/webhook"


def notification(customer: int, i: int) -> tuple[bytes, str]:
    wa_id = str(5511900000000 + customer)
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550109", "phone_number_id": PHONE_ID},
            "contacts": [{"profile": {"name": f"Customer {customer}"}, "wa_id": wa_id}],
            "messages": [{
                "from": wa_id, "id": f"wamid.{secrets.token_urlsafe(30)}",
                "timestamp": str(int(time.time())), "type": "text",
                "text": {"body": f"Any news on order #{i}?"},
            }],
        }}]}],
    }  # fmt: skip
    raw = orjson.dumps(body)
    return raw, "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()


TIMEOUT = aiohttp.ClientTimeout(total=30)


async def offer(url: str, bodies: list[tuple[bytes, str]], rate: float) -> int:
    """An open loop at ``rate``/s; how many were acknowledged."""
    acked = 0

    async def one(session: aiohttp.ClientSession, raw: bytes, sig: str) -> None:
        nonlocal acked
        try:
            async with session.post(
                url, data=raw, timeout=TIMEOUT,
                headers={"X-Hub-Signature-256": sig, "Content-Type": "application/json"},
            ) as resp:  # fmt: skip
                await resp.read()
                acked += resp.status == 200
        except (aiohttp.ClientError, TimeoutError):
            pass

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256)) as session:
        tasks = []
        start = time.perf_counter()
        for i, (raw, sig) in enumerate(bodies):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)  # the open-loop schedule (not synchronisation)
            tasks.append(asyncio.create_task(one(session, raw, sig)))
        await asyncio.gather(*tasks)
    return acked


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=500.0, help="inbound messages/s")
    parser.add_argument("--seconds", type=float, default=10.0, help="per phase")
    parser.add_argument("--rounds", type=int, default=3, help="off/on pairs (after a warm-up pair)")
    parser.add_argument("--drain-timeout", type=float, default=300.0)
    args = parser.parse_args()

    from cryptography.fernet import Fernet

    from pytake_daemon.db.pool import connect, set_tenant
    from pytake_daemon.protocol.whatsapp import NumberCreate
    from pytake_daemon.whatsapp.numbers import add_number
    from pytake_daemon.whatsapp.secretbox import SecretBox

    key = Fernet.generate_key()
    with bench_stack("ptn-") as bench:
        tenant_id = bench.tenant.id

        async def configure() -> None:
            conn = await connect(bench.admin_dsn)
            async with conn.transaction():
                await set_tenant(conn, tenant_id)
                await add_number(conn, SecretBox([key]), NumberCreate(
                    phone_number_id=PHONE_ID, waba_id=WABA_ID, access_token="bench-token",
                    app_secret=SECRET, verify_token="bench-verify"))  # fmt: skip
                await conn.execute(
                    "INSERT INTO users (tenant_id, email, name, role, password_hash)"
                    " SELECT $1, 'agent' || g || '@bench.test', 'Agent ' || g, 'agent', 'x'"
                    "   FROM generate_series(1, $2) g", tenant_id, args.agents)  # fmt: skip
                await conn.execute(
                    "INSERT INTO agents (tenant_id, id, status, capacity)"
                    " SELECT tenant_id, id, 'online', 1000 FROM users"
                    "  WHERE tenant_id = $1 AND role = 'agent'", tenant_id)  # fmt: skip
            await conn.close()

        asyncio.run(configure())
        env = {"PYTAKE_WHATSAPP__SECRETS_KEY": key.decode()}
        fanout = {"off": "false", "on": "true"}

        async def start(name: str) -> tuple[subprocess.Popen[bytes], str]:
            port = free_port()
            proc = bench.spawn_daemon(port, PYTAKE_NOTIFICATIONS__FANOUT=fanout[name], **env)
            await wait_ready(f"http://127.0.0.1:{port}/readyz")
            return proc, f"http://127.0.0.1:{port}{PATH}"

        def stop(proc: subprocess.Popen[bytes]) -> None:
            proc.terminate()
            proc.wait(timeout=30)
            bench.procs.remove(proc)

        results: dict[str, list[float]] = {"off": [], "on": []}
        sent = {"off": 0, "on": 0}
        counter = iter(range(10**9))

        async def measure() -> tuple[int, int]:
            db = await connect(bench.admin_dsn)
            pg = await postmaster_pid(db)
            if pg is None:
                print("PostgreSQL is not local: its CPU is not counted", file=sys.stderr)
            try:
                # Every customer writes once (conversations exist), then each is assigned.
                proc, url = await start("off")
                first = [notification(c, next(counter)) for c in range(args.customers)]
                await offer(url, first, args.rate)
                await wait_drained(db, args.drain_timeout)
                stop(proc)
                await db.execute(
                    "UPDATE conversations c SET assigned_user_id = a.id"
                    "  FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM agents"
                    "         WHERE tenant_id = $1) a,"
                    "       (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM conversations"
                    "         WHERE tenant_id = $1) k"
                    " WHERE c.id = k.id AND a.n = k.n % $2", tenant_id, args.agents)  # fmt: skip
                per_phase = int(args.rate * args.seconds)
                # A warm-up pair first (not counted): the first phases after the set-up pay for
                # PostgreSQL's hint bits and autovacuum of the 1,000 rows just updated, and
                # then the order alternates (off/on, on/off…) so a drift of the machine's load
                # weighs on both alike.
                for round_ in range(args.rounds + 1):
                    for name in ("off", "on") if round_ % 2 == 0 else ("on", "off"):
                        bodies = [
                            notification(random.randrange(args.customers), next(counter))
                            for _ in range(per_phase)
                        ]
                        proc, url = await start(name)
                        cpu_before = cpu_seconds(proc.pid) + (cpu_seconds(pg) if pg else 0)
                        acked = await offer(url, bodies, args.rate)
                        await wait_drained(db, args.drain_timeout)
                        if name == "on":
                            await wait_written(db, tenant_id, sent["on"] + acked)
                        cpu = cpu_seconds(proc.pid) + (cpu_seconds(pg) if pg else 0)
                        stop(proc)
                        sent[name] += acked
                        ms = (cpu - cpu_before) * 1000 / max(acked, 1)
                        if round_ > 0:
                            results[name].append(ms)
                        print(f"{name:3s}: {acked} messages, {ms:.3f} ms CPU each"
                              + (" (warm-up)" if round_ == 0 else ""),
                              file=sys.stderr, flush=True)  # fmt: skip
                grown = await grouped(db, tenant_id)
                rows = await db.fetchval("SELECT count(*) FROM notifications")
                return grown, rows
            finally:
                await db.close()

        grown, rows = asyncio.run(measure())

    off, on = statistics.median(results["off"]), statistics.median(results["on"])
    overhead = (on - off) / off * 100
    print(f"notifications off: {off:.3f} ms CPU per message (phases: {results['off']})")
    print(f"notifications on:  {on:.3f} ms CPU per message (phases: {results['on']})")
    pairs = [b / a for a, b in zip(results["off"], results["on"], strict=True)]
    print("on/off per round: " + ", ".join(f"{p:.3f}" for p in pairs))
    print(f"{rows} notification rows stand for {grown} messages of the 'on' phases ({sent['on']})")
    if grown != sent["on"]:
        raise SystemExit("the notifications don't account for every message: run void")
    print(
        f"RESULT notify off_cpu_ms_per_msg={off:.3f} on_cpu_ms_per_msg={on:.3f} "
        f"overhead_pct={overhead:.1f} agents={args.agents} rate={args.rate:.0f} "
        f"seconds_per_phase={args.seconds:g} rounds={args.rounds} notifications={rows}"
    )


async def grouped(db: Connection, tenant_id: object) -> int:
    total: int = await db.fetchval(
        "SELECT coalesce(sum(group_count), 0) FROM notifications"
        " WHERE tenant_id = $1 AND category = 'message'", tenant_id)  # fmt: skip
    return total


async def wait_written(
    db: Connection, tenant_id: object, expected: int, timeout: float = 60
) -> None:
    """The fan-out works in memory after the jobs: wait until its rows count every message."""
    deadline = time.monotonic() + timeout
    # ASYNC110 wants an Event: the rows are written by another process, only a poll sees them.
    while await grouped(db, tenant_id) < expected and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.1)  # polling the database with a deadline (another process)


if __name__ == "__main__":
    main()
