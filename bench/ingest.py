"""Webhook ingest: signed notifications acknowledged per second (200 only after the commit) and
acknowledgement latency, next to a bare aiohttp handler that only checks the signature and
parses the JSON (no storage), served the same way on the same machine in the same run.

- saturation: a closed loop of ``--concurrency`` clients, as fast as answers come back;
- offered rate: an open loop at ``--rate`` requests/s for ``--seconds``; latency counts from
  each request's scheduled time, so a stalled server can't hide queueing (no coordinated
  omission).

Every request carries a distinct customer message; at the end the stored count must equal the
acknowledged count, or the run is void.

Every daemon phase starts on a drained daemon: the jobs each acknowledged message queues (fan-out,
AI, flows) are worked off before the next phase (``harness.wait_drained``: nothing due in the
work queues), so a phase's latency is not the previous phase's backlog; how long each drain took
is printed (it is the rate the rest of the message path keeps up with). Deadlocks are
``pg_stat_database.deadlocks`` of the bench's database, after the last drain minus before the
first phase.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import secrets
import sys
import time
from dataclasses import dataclass

import aiohttp
import orjson
import uvloop
from harness import (
    PG_STATS_SETTINGS,
    add_webhook_number,
    bench_stack,
    cpu_seconds,
    deadlocks,
    free_port,
    percentile,
    postmaster_pid,
    print_statement_stats,
    reset_statement_stats,
    stored_messages,
    wait_drained,
    wait_quiet,
    wait_ready,
)

SECRET = "bench-app-secret"
PHONE_ID = "109000000000001"
WABA_ID = "209000000000001"
PATH = "/api/v1/whatsapp/webhook"


def serve_baseline(port: int) -> None:
    from aiohttp import web

    key = SECRET.encode()

    async def webhook(request: web.Request) -> web.Response:
        body = await request.read()
        given = request.headers.get("X-Hub-Signature-256", "")
        expected = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(given, expected):
            return web.Response(status=401)
        orjson.loads(body)
        return web.Response(text="EVENT_RECEIVED")

    async def ready(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(client_max_size=3 * 1024 * 1024)
    app.router.add_post(PATH, webhook)
    app.router.add_get("/readyz", ready)
    # On uvloop, as the daemon is: the ratio compares the handlers, not the event loops.
    web.run_app(
        app,
        host="127.0.0.1",
        port=port,
        print=None,
        access_log=None,
        loop=uvloop.new_event_loop(),
    )


def notification(i: int) -> tuple[bytes, str]:
    customer = str(5511900000000 + i % 1000)
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": WABA_ID,
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550109",
                                "phone_number_id": PHONE_ID,
                            },
                            "contacts": [
                                {"profile": {"name": f"Customer {i % 1000}"}, "wa_id": customer}
                            ],
                            "messages": [
                                {
                                    "from": customer,
                                    "id": f"wamid.{secrets.token_urlsafe(30)}",
                                    "timestamp": str(int(time.time())),
                                    "type": "text",
                                    "text": {"body": f"Hello, I need help with order #{i}"},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    raw = orjson.dumps(body)
    return raw, "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()


@dataclass
class Result:
    sent: int
    acked: int
    seconds: float
    latencies: list[float]

    @property
    def rps(self) -> float:
        return self.acked / self.seconds

    def line(self, name: str) -> str:
        lat = sorted(self.latencies)
        return (
            f"{name:28s} {self.rps:8.0f} acked/s  p50 {percentile(lat, 0.5) * 1000:7.2f} ms  "
            f"p99 {percentile(lat, 0.99) * 1000:7.2f} ms  ({self.acked}/{self.sent} acked)"
        )


# No request waits forever: a stalled server shows up as unacknowledged requests, not a hang.
TIMEOUT = aiohttp.ClientTimeout(total=30)


async def _post(session: aiohttp.ClientSession, url: str, raw: bytes, sig: str) -> bool:
    try:
        async with session.post(
            url,
            data=raw,
            headers={"X-Hub-Signature-256": sig, "Content-Type": "application/json"},
            timeout=TIMEOUT,
        ) as resp:
            await resp.read()
            return resp.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


async def saturation(url: str, bodies: list[tuple[bytes, str]], concurrency: int) -> Result:
    latencies: list[float] = []
    acked = 0
    queue = iter(bodies)

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal acked
        for raw, sig in queue:
            started = time.perf_counter()
            if await _post(session, url, raw, sig):
                acked += 1
                latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return Result(len(bodies), acked, elapsed, latencies)


async def offered(url: str, bodies: list[tuple[bytes, str]], rate: float) -> Result:
    latencies: list[float] = []
    acked = 0

    async def one(session: aiohttp.ClientSession, raw: bytes, sig: str, due: float) -> None:
        nonlocal acked
        if await _post(session, url, raw, sig):
            acked += 1
            latencies.append(time.perf_counter() - due)

    connector = aiohttp.TCPConnector(limit=512)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = []
        start = time.perf_counter() + 0.05
        for i, (raw, sig) in enumerate(bodies):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                # The open-loop schedule itself (not synchronisation).
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(session, raw, sig, due)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    return Result(len(bodies), acked, elapsed, latencies)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20000, help="per saturation run")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rates", default="1000,2000", help="offered rates, requests/s")
    parser.add_argument("--seconds", type=float, default=5.0, help="per offered rate")
    parser.add_argument("--drain-timeout", type=float, default=300.0)
    parser.add_argument("--quick", action="store_true", help="--requests 4000 --seconds 2")
    parser.add_argument(
        "--split",
        action="store_true",
        help="a web process and a jobs process at nice 10 (server.role) instead of one",
    )
    parser.add_argument(
        "--pg-stats",
        type=int,
        default=0,
        metavar="TOP",
        help="PostgreSQL's statements per webhook over the saturation burst and its drain, "
        "the TOP by time (embedded server only)",
    )
    parser.add_argument("--serve-baseline", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        serve_baseline(args.serve_baseline)
        return
    if args.quick:
        args.requests, args.seconds = 4000, 2.0
    rates = [float(r) for r in args.rates.split(",")]

    from cryptography.fernet import Fernet

    from pytake_daemon.db.pool import connect

    key = Fernet.generate_key()
    with bench_stack("pti-", PG_STATS_SETTINGS if args.pg_stats else ()) as bench:
        asyncio.run(
            add_webhook_number(
                bench, key, phone_number_id=PHONE_ID, waba_id=WABA_ID, app_secret=SECRET
            )
        )
        base_port, app_port = free_port(), free_port()
        bench.spawn([sys.executable, __file__, "--serve-baseline", str(base_port)])
        secrets_key = key.decode()
        if args.split:
            # Webhooks go to web; jobs serves only its probes, on a port of its own.
            jobs_port = free_port()
            daemons = [
                bench.spawn_daemon(
                    app_port, PYTAKE_WHATSAPP__SECRETS_KEY=secrets_key, PYTAKE_SERVER__ROLE="web"
                ),
                bench.spawn_daemon(
                    jobs_port,
                    PYTAKE_WHATSAPP__SECRETS_KEY=secrets_key,
                    PYTAKE_SERVER__ROLE="jobs",
                    PYTAKE_SERVER__NICE="10",
                ),
            ]
            probes = [app_port, jobs_port]
        else:
            daemons = [bench.spawn_daemon(app_port, PYTAKE_WHATSAPP__SECRETS_KEY=secrets_key)]
            probes = [app_port]
        sizes = [100, 100, args.requests, args.requests]
        for rate in rates:
            sizes += [int(rate * args.seconds)] * 2
        bodies = [notification(i) for i in range(sum(sizes))]
        chunks = []
        for size in sizes:
            chunks.append(bodies[:size])
            bodies = bodies[size:]
        parts = iter(chunks)
        drains: dict[str, float | None] = {}
        # CPU seconds of the saturation phase and of its drain, by process tree: what one
        # acknowledged webhook costs, acknowledgement and follow-up work, whatever the machine's
        # other load (the time figures aren't).
        cpu: dict[str, float] = {}

        async def measure() -> tuple[dict[str, Result], int]:
            base = f"http://127.0.0.1:{base_port}"
            app = f"http://127.0.0.1:{app_port}"
            db = await connect(bench.admin_dsn)
            try:
                await wait_ready(f"{base}/readyz")
                for port in probes:
                    await wait_ready(f"http://127.0.0.1:{port}/readyz")
                deadlocks_before = await deadlocks(db)
                postmaster = await postmaster_pid(db)
                quiet_roots = [d.pid for d in daemons] + ([postmaster] if postmaster else [])

                async def drained(after: str) -> None:
                    took = await wait_drained(db, args.drain_timeout)
                    drains[after] = took
                    # Then quiet: what follows (a baseline too) gets the cores to itself.
                    calm = await wait_quiet(quiet_roots)
                    print(
                        f"drained after {after}: "
                        + ("NOT within the timeout" if took is None else f"{took:.1f} s")
                        + ("; never quiet" if calm is None else f", quiet {calm:.1f} s later"),
                        file=sys.stderr,
                        flush=True,
                    )

                results: dict[str, Result] = {}
                await saturation(base + PATH, next(parts), 8)  # warm-up
                await saturation(app + PATH, next(parts), 8)
                await drained("warm-up")
                results["baseline saturation"] = await saturation(
                    base + PATH, next(parts), args.concurrency
                )

                def sample() -> tuple[float, ...]:
                    return (
                        sum(cpu_seconds(d.pid) for d in daemons),
                        cpu_seconds(postmaster) if postmaster else 0.0,
                        time.process_time(),
                        *(cpu_seconds(d.pid) for d in daemons),
                    )

                if args.pg_stats:
                    await reset_statement_stats(bench.admin_dsn)
                before = sample()
                results["ingest saturation"] = await saturation(
                    app + PATH, next(parts), args.concurrency
                )
                acked_at = sample()
                await drained("saturation")
                after = sample()
                if args.pg_stats:
                    acked_burst = results["ingest saturation"].acked
                    await print_statement_stats(
                        bench.admin_dsn, acked_burst, "webhook", args.pg_stats
                    )
                for i, name in enumerate(("daemon", "pg", "client", "web", "jobs")[: len(after)]):
                    cpu[f"{name}_ack"] = acked_at[i] - before[i]
                    cpu[f"{name}_drain"] = after[i] - acked_at[i]
                for rate in rates:
                    results[f"baseline at {rate:.0f}/s"] = await offered(
                        base + PATH, next(parts), rate
                    )
                    results[f"ingest at {rate:.0f}/s"] = await offered(
                        app + PATH, next(parts), rate
                    )
                    await drained(f"{rate:.0f}/s")
                return results, await deadlocks(db) - deadlocks_before
            finally:
                await db.close()

        results, deadlocked = asyncio.run(measure())

        in_db = asyncio.run(stored_messages(bench.admin_dsn))

    for name, result in results.items():
        print(result.line(name))
    acked = 100 + sum(r.acked for n, r in results.items() if n.startswith("ingest"))
    print(f"stored {in_db} messages for {acked} acknowledged ingest requests")
    print(f"deadlocks during the run: {deadlocked}")
    if in_db != acked:
        raise SystemExit("stored count differs from acknowledged count: run void")
    base = results["baseline saturation"]
    ours = results["ingest saturation"]
    fields = [
        f"baseline_rps={base.rps:.0f}",
        f"ingest_rps={ours.rps:.0f}",
        f"ratio={ours.rps / base.rps:.2f}",
    ]
    for rate in rates:
        at_rate = sorted(results[f"ingest at {rate:.0f}/s"].latencies)
        fields += [
            f"p50_ms_at_{rate:.0f}={percentile(at_rate, 0.5) * 1000:.2f}",
            f"p99_ms_at_{rate:.0f}={percentile(at_rate, 0.99) * 1000:.2f}",
        ]
    per = 1000 / max(ours.acked, 1)
    shown = ("daemon", "pg", "client", "web", "jobs") if args.split else ("daemon", "pg", "client")
    print(
        "CPU per acknowledged webhook (ms), during the burst + its drain: "
        + ", ".join(
            f"{name} {cpu[name + '_ack'] * per:.2f} + {cpu[name + '_drain'] * per:.2f}"
            for name in shown
        )
    )
    drain_s = drains.get("saturation")
    fields += [
        f"saturation_p99_ms={percentile(sorted(ours.latencies), 0.99) * 1000:.2f}",
        f"daemon_cpu_ms={(cpu['daemon_ack'] + cpu['daemon_drain']) * per:.2f}",
        f"pg_cpu_ms={(cpu['pg_ack'] + cpu['pg_drain']) * per:.2f}",
        f"deadlocks={deadlocked}",
        f"drain_after_saturation_s={'nan' if drain_s is None else f'{drain_s:.1f}'}",
        f"requests={args.requests}",
        f"seconds_per_rate={args.seconds:g}",
    ]
    if args.split:
        fields.append("split=1")
    print("RESULT ingest " + " ".join(fields))


if __name__ == "__main__":
    main()
