"""What the daemon's request path costs: middlewares, auth lookup and a tenant transaction,
relative to a bare aiohttp handler served the same way on the same machine.

Each server runs in its own process; the load generator is this process (bounded: a fixed
number of requests per target), so client and server don't share a GIL.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time

import aiohttp
import uvloop
from harness import bench_stack, free_port, wait_ready


def serve_baseline(port: int) -> None:
    from aiohttp import web

    async def ping(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/ping", ping)
    # On uvloop, as the daemon is: the ratio compares the handlers, not the event loops.
    web.run_app(
        app,
        host="127.0.0.1",
        port=port,
        print=None,
        access_log=None,
        loop=uvloop.new_event_loop(),
    )


async def load(url: str, headers: dict[str, str], total: int, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    remaining = total

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            async with session.get(url, headers=headers) as resp:
                await resp.read()
                assert resp.status == 200, resp.status
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        for _ in range(50):  # warm-up: connections, caches, JIT-free but pool-full
            async with session.get(url, headers=headers) as resp:
                await resp.read()
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": total / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--serve-baseline", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        serve_baseline(args.serve_baseline)
        return

    from pytake_daemon.protocol import Role

    with bench_stack("ptb-") as bench:
        token = bench.tenant[Role.AGENT].token
        base_port, app_port = free_port(), free_port()
        bench.spawn([sys.executable, __file__, "--serve-baseline", str(base_port)])
        bench.spawn_daemon(app_port)

        async def measure() -> dict[str, dict[str, float]]:
            base = f"http://127.0.0.1:{base_port}"
            app = f"http://127.0.0.1:{app_port}"
            await wait_ready(f"{base}/ping")
            await wait_ready(f"{app}/readyz")
            auth = {"Authorization": f"Bearer {token}"}
            n, c = args.requests, args.concurrency
            return {
                "baseline": await load(f"{base}/ping", {}, n, c),
                "healthz": await load(f"{app}/healthz", {}, n, c),
                "me": await load(f"{app}/api/v1/auth/me", auth, n, c),
            }

        results = asyncio.run(measure())

    for name, r in results.items():
        print(
            f"{name:9s} {r['rps']:9.0f} req/s  p50 {r['p50_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms"
        )
    base = results["baseline"]["rps"]
    print(
        "RESULT api_overhead "
        f"baseline_rps={base:.0f} healthz_rps={results['healthz']['rps']:.0f} "
        f"me_rps={results['me']['rps']:.0f} "
        f"healthz_ratio={results['healthz']['rps'] / base:.2f} "
        f"me_ratio={results['me']['rps'] / base:.2f} "
        f"me_p99_ms={results['me']['p99_ms']:.2f}"
    )


if __name__ == "__main__":
    main()
