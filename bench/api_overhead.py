"""What the daemon's request path costs: middlewares, auth lookup and a tenant transaction,
relative to a bare aiohttp handler served the same way on the same machine.

Each server runs in its own process; the load generator is this process (bounded: a fixed
number of requests per target), so client and server don't share a GIL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def serve_baseline(port: int) -> None:
    from aiohttp import web

    async def ping(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/ping", ping)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


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


async def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url) as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{url} never became ready")
            await asyncio.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--serve-baseline", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        serve_baseline(args.serve_baseline)
        return

    from pytake_daemon.auth.passwords import Passwords
    from pytake_daemon.config import AuthSettings
    from pytake_daemon.db import migrations
    from pytake_daemon.db.pool import connect
    from pytake_daemon.embedded import EmbeddedPostgres, EmbeddedRedis, EmbeddedStack
    from pytake_daemon.protocol import Role
    from tests.support import create_tenant, free_port, short_tmpdir, with_database, with_user

    root = short_tmpdir("ptb-")
    pg_url = os.environ.get("PYTAKE_TEST_POSTGRES_URL")
    redis_url = os.environ.get("PYTAKE_TEST_REDIS_URL")
    stack = EmbeddedStack(
        root,
        postgres=None if pg_url else EmbeddedPostgres(root, database="postgres"),
        redis=None if redis_url else EmbeddedRedis(root),
    )
    stack.start()
    procs: list[subprocess.Popen[bytes]] = []
    database = f"pytake_bench_{uuid.uuid4().hex[:8]}"
    superuser = pg_url or (stack.postgres.dsn("postgres") if stack.postgres else "")
    redis = redis_url or (stack.redis.url if stack.redis else "")
    try:
        admin_dsn = with_database(superuser, database)

        async def prepare() -> str:
            conn = await connect(superuser)
            await conn.execute(f'CREATE DATABASE "{database}"')
            await conn.close()
            admin = await connect(admin_dsn)
            await migrations.upgrade(admin, "pytake_app")
            tenant = await create_tenant(admin, Passwords(AuthSettings()).hash_sync("x" * 12))
            await admin.close()
            return tenant[Role.AGENT].token

        token = asyncio.run(prepare())
        base_port, app_port = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTAKE_")}
        env.update(
            PYTAKE_DATABASE__URL=with_user(admin_dsn, "pytake_app"),
            PYTAKE_DATABASE__ADMIN_URL=admin_dsn,
            PYTAKE_REDIS__URL=redis,
            PYTAKE_SERVER__PORT=str(app_port),
            PYTAKE_STATE_DIR=str(root / "state"),
            PYTAKE_LOGGING__LEVEL="warning",
        )
        procs.append(
            subprocess.Popen([sys.executable, __file__, "--serve-baseline", str(base_port)])
        )
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", "from pytake_cli.main import run; run()", "daemon"],
                env=env,
            )
        )

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
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=20)

        async def drop() -> None:
            conn = await connect(superuser)
            await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            await conn.close()

        asyncio.run(drop())
        stack.stop()

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
