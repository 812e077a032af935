"""Webhook ingest: signed notifications acknowledged per second (200 only after the commit) and
acknowledgement latency, next to a bare aiohttp handler that only checks the signature and
parses the JSON (no storage), served the same way on the same machine in the same run.

- saturation: a closed loop of ``--concurrency`` clients, as fast as answers come back;
- offered rate: an open loop at ``--rate`` requests/s for ``--seconds``; latency counts from
  each request's scheduled time, so a stalled server can't hide queueing (no coordinated
  omission).

Every request carries a distinct customer message; at the end the stored count must equal the
acknowledged count, or the run is void.
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
from harness import bench_stack, free_port, percentile, wait_ready

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
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


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


async def _post(session: aiohttp.ClientSession, url: str, raw: bytes, sig: str) -> bool:
    async with session.post(
        url, data=raw, headers={"X-Hub-Signature-256": sig, "Content-Type": "application/json"}
    ) as resp:
        await resp.read()
        return resp.status == 200


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
    parser.add_argument("--rate", type=float, default=2000.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--serve-baseline", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        serve_baseline(args.serve_baseline)
        return

    from cryptography.fernet import Fernet

    from pytake_daemon.db.pool import connect, set_tenant
    from pytake_daemon.protocol.whatsapp import NumberCreate
    from pytake_daemon.whatsapp.numbers import add_number
    from pytake_daemon.whatsapp.secretbox import SecretBox

    key = Fernet.generate_key()
    with bench_stack("pti-") as bench:

        async def configure() -> None:
            conn = await connect(bench.admin_dsn)
            async with conn.transaction():
                await set_tenant(conn, bench.tenant.id)
                await add_number(
                    conn,
                    SecretBox([key]),
                    NumberCreate(
                        phone_number_id=PHONE_ID,
                        waba_id=WABA_ID,
                        access_token="bench-token",
                        app_secret=SECRET,
                        verify_token="bench-verify",
                    ),
                )
            await conn.close()

        asyncio.run(configure())
        base_port, app_port = free_port(), free_port()
        bench.spawn([sys.executable, __file__, "--serve-baseline", str(base_port)])
        bench.spawn_daemon(app_port, PYTAKE_WHATSAPP__SECRETS_KEY=key.decode())
        n_rate = int(args.rate * args.seconds)
        bodies = [notification(i) for i in range(2 * args.requests + 2 * n_rate + 200)]
        chunks = iter(
            [
                bodies[:100],
                bodies[100:200],
                bodies[200 : 200 + args.requests],
                bodies[200 + args.requests : 200 + 2 * args.requests],
                bodies[200 + 2 * args.requests : 200 + 2 * args.requests + n_rate],
                bodies[200 + 2 * args.requests + n_rate :],
            ]
        )

        async def measure() -> dict[str, Result]:
            base = f"http://127.0.0.1:{base_port}"
            app = f"http://127.0.0.1:{app_port}"
            await wait_ready(f"{base}/readyz")
            await wait_ready(f"{app}/readyz")
            await saturation(base + PATH, next(chunks), 8)  # warm-up
            await saturation(app + PATH, next(chunks), 8)
            return {
                "baseline saturation": await saturation(
                    base + PATH, next(chunks), args.concurrency
                ),
                "ingest saturation": await saturation(app + PATH, next(chunks), args.concurrency),
                f"baseline at {args.rate:.0f}/s": await offered(
                    base + PATH, next(chunks), args.rate
                ),
                f"ingest at {args.rate:.0f}/s": await offered(app + PATH, next(chunks), args.rate),
            }

        results = asyncio.run(measure())

        async def stored() -> int:
            conn = await connect(bench.admin_dsn)
            count: int = await conn.fetchval("SELECT count(*) FROM messages")
            await conn.close()
            return count

        in_db = asyncio.run(stored())

    for name, result in results.items():
        print(result.line(name))
    acked = 100 + sum(r.acked for n, r in results.items() if n.startswith("ingest"))
    print(f"stored {in_db} messages for {acked} acknowledged ingest requests")
    if in_db != acked:
        raise SystemExit("stored count differs from acknowledged count: run void")
    base = results["baseline saturation"]
    ours = results["ingest saturation"]
    at_rate = sorted(results[f"ingest at {args.rate:.0f}/s"].latencies)
    print(
        "RESULT ingest "
        f"baseline_rps={base.rps:.0f} ingest_rps={ours.rps:.0f} ratio={ours.rps / base.rps:.2f} "
        f"rate={args.rate:.0f} p50_ms={percentile(at_rate, 0.5) * 1000:.2f} "
        f"p99_ms={percentile(at_rate, 0.99) * 1000:.2f} "
        f"saturation_p99_ms={percentile(sorted(ours.latencies), 0.99) * 1000:.2f}"
    )


if __name__ == "__main__":
    main()
