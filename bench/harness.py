"""What every benchmark needs: servers (embedded unless PYTAKE_TEST_* URLs are set), a fresh
migrated database, a tenant, a daemon process configured for them, and latency statistics."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

# Benches run as scripts (``python bench/x.py``), so the repository root is put on the path
# before the project's imports below: hence their E402.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pytake_daemon.auth.passwords import Passwords  # noqa: E402
from pytake_daemon.config import AuthSettings  # noqa: E402
from pytake_daemon.db import migrations  # noqa: E402
from pytake_daemon.db.pool import connect  # noqa: E402
from pytake_daemon.embedded import EmbeddedPostgres, EmbeddedRedis, EmbeddedStack  # noqa: E402
from tests.support import (  # noqa: E402
    TenantData,
    create_tenant,
    free_port,
    short_tmpdir,
    with_database,
    with_user,
)


@dataclass
class Bench:
    root: Path
    admin_dsn: str
    redis_url: str
    tenant: TenantData
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def daemon_env(self, port: int, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTAKE_")}
        env.update(
            PYTAKE_DATABASE__URL=with_user(self.admin_dsn, "pytake_app"),
            PYTAKE_DATABASE__ADMIN_URL=self.admin_dsn,
            PYTAKE_REDIS__URL=self.redis_url,
            PYTAKE_SERVER__PORT=str(port),
            PYTAKE_STATE_DIR=str(self.root / "state"),
            PYTAKE_LOGGING__LEVEL="warning",
            **extra,
        )
        return env

    def spawn(self, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(args, env=env)
        self.procs.append(proc)
        return proc

    def spawn_daemon(self, port: int, **extra: str) -> subprocess.Popen[bytes]:
        return self.spawn(
            [sys.executable, "-c", "from pytake_cli.main import run; run()", "daemon"],
            env=self.daemon_env(port, **extra),
        )


@contextmanager
def bench_stack(prefix: str) -> Iterator[Bench]:
    root = short_tmpdir(prefix)
    pg_url = os.environ.get("PYTAKE_TEST_POSTGRES_URL")
    redis_url = os.environ.get("PYTAKE_TEST_REDIS_URL")
    stack = EmbeddedStack(
        root,
        postgres=None if pg_url else EmbeddedPostgres(root, database="postgres"),
        redis=None if redis_url else EmbeddedRedis(root),
    )
    stack.start()
    database = f"pytake_bench_{uuid.uuid4().hex[:8]}"
    superuser = pg_url or (stack.postgres.dsn("postgres") if stack.postgres else "")
    redis = redis_url or (stack.redis.url if stack.redis else "")
    admin_dsn = with_database(superuser, database)

    async def prepare() -> TenantData:
        conn = await connect(superuser)
        await conn.execute(f'CREATE DATABASE "{database}"')
        await conn.close()
        admin = await connect(admin_dsn)
        await migrations.upgrade(admin, "pytake_app")
        tenant = await create_tenant(admin, Passwords(AuthSettings()).hash_sync("x" * 12))
        await admin.close()
        return tenant

    bench = Bench(root, admin_dsn, redis, asyncio.run(prepare()))
    try:
        yield bench
    finally:
        for proc in bench.procs:
            proc.terminate()
            proc.wait(timeout=30)

        async def drop() -> None:
            conn = await connect(superuser)
            await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            await conn.close()

        asyncio.run(drop())
        stack.stop()
        shutil.rmtree(root, ignore_errors=True)  # an embedded cluster after a big load is large


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


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * len(sorted_values)) - 1))
    return sorted_values[index]


__all__ = ["ROOT", "Bench", "bench_stack", "free_port", "percentile", "wait_ready"]
