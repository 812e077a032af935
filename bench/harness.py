"""What every benchmark needs: servers (embedded unless PYTAKE_TEST_* URLs are set), a fresh
migrated database, a tenant, a daemon process configured for them, and latency statistics."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
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
from pytake_daemon.db.pool import Connection, connect  # noqa: E402
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
            PYTAKE_SERVER__HOST="127.0.0.1",
            PYTAKE_SERVER__PORT=str(port),
            PYTAKE_STATE_DIR=str(self.root / "state"),
            PYTAKE_LOGGING__LEVEL="warning",
            # Loopback only: a bench that doesn't give the daemon a simulator gets a closed port
            # (the discard port), never Meta's real Graph API.
            PYTAKE_WHATSAPP__GRAPH_BASE_URL="http://127.0.0.1:9",
        )
        env.update(extra)
        return env

    def spawn(self, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([*_DIE_WITH_PARENT, *args], env=env)
        self.procs.append(proc)
        return proc

    def spawn_daemon(self, port: int, **extra: str) -> subprocess.Popen[bytes]:
        return self.spawn(
            [sys.executable, "-c", "from pytake_cli.main import run; run()", "daemon"],
            env=self.daemon_env(port, **extra),
        )


# ``--pg-stats``: the embedded server loads pg_stat_statements, and the bench prints where
# PostgreSQL's time went per unit of work (an echo, a webhook) at its end. Statement counts are
# exact whatever the machine's load; the times are as noisy as the machine.
PG_STATS_SETTINGS = (
    "shared_preload_libraries=pg_stat_statements",
    "pg_stat_statements.track=all",
    "pg_stat_statements.max=5000",
    # Planning is counted apart: a statement PostgreSQL plans again at each call (a custom plan)
    # costs CPU that its execution time does not show.
    "pg_stat_statements.track_planning=on",
)


# Each child first asks Linux for SIGTERM when the bench dies, however it dies, then execs its
# command (the request survives exec): a daemon left behind by a killed bench kept draining its
# backlog and skewed the next run's figures. prctl(PR_SET_PDEATHSIG = 1, SIGTERM).
_DIE_WITH_PARENT = [
    sys.executable,
    "-c",
    "import ctypes, os, signal, sys; ctypes.CDLL(None).prctl(1, signal.SIGTERM); "
    "os.execv(sys.argv[1], sys.argv[1:])",
]


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def bench_stack(prefix: str, pg_settings: Sequence[str] = ()) -> Iterator[Bench]:
    # A bench stopped with kill still stops its servers and drops its database.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    root = short_tmpdir(prefix)
    pg_url = os.environ.get("PYTAKE_TEST_POSTGRES_URL")
    redis_url = os.environ.get("PYTAKE_TEST_REDIS_URL")
    if pg_url and pg_settings:
        raise SystemExit(
            "--pg-stats needs the embedded PostgreSQL (unset PYTAKE_TEST_POSTGRES_URL)"
        )
    embedded = EmbeddedPostgres(root, database="postgres", settings=pg_settings)
    stack = EmbeddedStack(
        root,
        postgres=None if pg_url else embedded,
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


async def add_webhook_number(
    bench: Bench, key: bytes, *, phone_number_id: str, waba_id: str, app_secret: str
) -> None:
    """The bench tenant's WhatsApp number whose signed webhooks a bench sends; ``key`` is the
    daemons' ``PYTAKE_WHATSAPP__SECRETS_KEY`` (a daemon can't be ready with secrets it can't
    decrypt)."""
    from pytake_daemon.db.pool import set_tenant
    from pytake_daemon.protocol.whatsapp import NumberCreate
    from pytake_daemon.whatsapp.numbers import add_number
    from pytake_daemon.whatsapp.secretbox import SecretBox

    conn = await connect(bench.admin_dsn)
    try:
        async with conn.transaction():
            await set_tenant(conn, bench.tenant.id)
            await add_number(
                conn,
                SecretBox([key]),
                NumberCreate(
                    phone_number_id=phone_number_id,
                    waba_id=waba_id,
                    access_token="bench-token",
                    app_secret=app_secret,
                    verify_token="bench-verify",
                ),
            )
    finally:
        await conn.close()


async def stored_messages(admin_dsn: str) -> int:
    """Messages in the bench's database: what an ingest bench compares with its acknowledged
    webhooks (each must be stored once, or the run is void)."""
    conn = await connect(admin_dsn)
    try:
        count: int = await conn.fetchval("SELECT count(*) FROM messages")
    finally:
        await conn.close()
    return count


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


# --- CPU time from /proc ------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (field 3, the state, is index 0)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()


def cpu_seconds(root: int) -> float:
    """CPU time (user + system) used so far by ``root``, every live descendant, and every
    descendant already reaped (``cutime``/``cstime``): a backend that exits between two samples
    moves its time into its parent's reaped counters, so a difference of two samples still
    counts it. 0.0 when ``root`` is not a local process."""
    stats: dict[int, list[str]] = {}
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (fields := _proc_stat(int(entry.name))) is not None:
            stats[int(entry.name)] = fields
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    if root not in stats:
        return 0.0
    ticks = 0
    todo = [root]
    while todo:
        pid = todo.pop()
        fields = stats[pid]
        # utime, stime, cutime, cstime: fields 14-17 of proc(5).
        ticks += sum(int(f) for f in fields[11:15])
        todo.extend(c for c in children.get(pid, []) if c in stats)
    return ticks / CLOCK_TICKS


async def wait_quiet(
    roots: Sequence[int], timeout: float = 60.0, window: float = 0.5, share: float = 0.1
) -> float | None:
    """Wait until the process trees of ``roots`` use under ``share`` of a core over ``window``;
    the seconds it took, or None after ``timeout``. A drained daemon can still be busy (its AI
    model process imports and trains for seconds after the start, up to 1.2 cores), and the
    phase that follows, a baseline too, must have the cores to itself."""
    started = time.monotonic()
    before = sum(cpu_seconds(r) for r in roots)
    while time.monotonic() - started < timeout:
        await asyncio.sleep(window)
        now = sum(cpu_seconds(r) for r in roots)
        if now - before < share * window:
            return time.monotonic() - started
        before = now
    return None


async def postmaster_pid(conn: Connection) -> int | None:
    """The local cluster's postmaster (the parent of our backend), or None if not local."""
    backend: int = await conn.fetchval("SELECT pg_backend_pid()")
    fields = _proc_stat(backend)
    return int(fields[1]) if fields is not None else None


# --- queues and statistics of the daemon's database ---------------------------------------------

# Work the daemon has committed to do: (table, column saying when a row is due). A table or column
# that a future schema no longer has is skipped, so the check follows the daemon as it changes.
QUEUE_TABLES = (("jobs", "run_after"), ("outbox", "next_attempt_at"))


async def backlog(conn: Connection) -> dict[str, int]:
    """Rows of the daemon's work queues that are due (or due within 2 s): what must reach 0 for
    the daemon to count as drained. Rows waiting for a later time (timers, backoff) are not
    counted here; see :func:`deferred`."""
    return await _queue_counts(conn, "<= now() + interval '2 seconds'")


async def deferred(conn: Connection) -> dict[str, int]:
    """Rows of the work queues due later (timers, or retries in backoff)."""
    return await _queue_counts(conn, "> now() + interval '2 seconds'")


_QUEUE_QUERIES: dict[str, str] = {}


async def _queue_counts(conn: Connection, due: str) -> dict[str, int]:
    """One cheap statement (built once per run: the schema doesn't change during one), so that
    polling it while a phase drains adds next to nothing to PostgreSQL's CPU figures."""
    query = _QUEUE_QUERIES.get(due)
    if query is None:
        parts = []
        for table, column in QUEUE_TABLES:
            columns = {
                r["column_name"]
                for r in await conn.fetch(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_schema = 'public' AND table_name = $1",
                    table,
                )
            }
            if columns:
                where = f" WHERE {column} {due}" if column in columns else ""
                parts.append(f"(SELECT count(*) FROM {table}{where}) AS {table}")
        query = _QUEUE_QUERIES[due] = "SELECT " + (", ".join(parts) or "1 AS none")
    row = await conn.fetchrow(query)
    assert row is not None
    return {k: v for k, v in row.items() if k != "none"}


async def wait_drained(conn: Connection, timeout: float, settle: float = 0.3) -> float | None:
    """Wait until the work queues have had nothing due in two checks ``settle`` apart; the
    seconds that took, or None after ``timeout``."""
    started = time.monotonic()
    empty_since: float | None = None
    while True:
        now = time.monotonic()
        if not any((await backlog(conn)).values()):
            if empty_since is None:
                empty_since = now
            elif now - empty_since >= settle:
                return now - started
        else:
            empty_since = None
        if now - started > timeout:
            return None
        await asyncio.sleep(0.2)


async def deadlocks(conn: Connection) -> int:
    """``pg_stat_database.deadlocks`` of the connection's database, read fresh."""
    await conn.execute("SELECT pg_stat_clear_snapshot()")
    count: int = await conn.fetchval(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
    )
    return count


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * len(sorted_values)) - 1))
    return sorted_values[index]


__all__ = [
    "ROOT",
    "Bench",
    "add_webhook_number",
    "backlog",
    "bench_stack",
    "cpu_seconds",
    "deadlocks",
    "deferred",
    "free_port",
    "percentile",
    "postmaster_pid",
    "stored_messages",
    "wait_drained",
    "wait_quiet",
    "wait_ready",
]


async def reset_statement_stats(admin_dsn: str) -> None:
    conn = await connect(admin_dsn)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        await conn.execute("SELECT pg_stat_statements_reset()")
        await conn.execute("SELECT pg_stat_reset_shared('wal')")
    finally:
        await conn.close()


_STATEMENTS = """
SELECT calls, total_exec_time AS ms, plans, total_plan_time AS plan_ms, rows,
       shared_blks_hit + shared_blks_read AS blocks, wal_bytes, wal_fpi,
       regexp_replace(query, '\\s+', ' ', 'g') AS query
  FROM pg_stat_statements
 WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND query NOT ILIKE '%pg_stat_statements%'
"""


async def print_statement_stats(admin_dsn: str, units: int, unit: str, top: int) -> None:
    """PostgreSQL's statements since the reset: totals per ``unit``, then the ``top`` by time."""
    conn = await connect(admin_dsn)
    try:
        rows = await conn.fetch(_STATEMENTS)
        wal = await conn.fetchrow("SELECT wal_bytes, wal_fpi, wal_records FROM pg_stat_wal")
        assert wal is not None  # one row, always
    finally:
        await conn.close()
    per = max(units, 1)
    calls = sum(r["calls"] for r in rows)
    ms = sum(r["ms"] for r in rows)
    plan_ms = sum(r["plan_ms"] for r in rows)
    commits = sum(r["calls"] for r in rows if r["query"].strip().upper() == "COMMIT")
    print(
        f"\npg-stats: {units} {unit}s; per {unit}: {calls / per:.1f} statements, "
        f"{commits / per:.2f} commits, {ms / per:.2f} ms executing, {plan_ms / per:.2f} ms planning"
    )
    # The whole cluster's WAL (autovacuum and checkpoints too): writing and flushing it is
    # PostgreSQL CPU that no statement's time shows.
    print(
        f"WAL per {unit}: {int(wal['wal_bytes']) / per:,.0f} bytes, {wal['wal_records'] / per:.1f} "
        f"records, {wal['wal_fpi'] / per:.2f} full-page images"
    )
    print(
        f"{'calls/' + unit:>12} {'ms/' + unit:>9} {'ms/call':>8} {'plan ms/' + unit:>12} "
        f"{'plans/call':>10} {'blocks':>7} {'WAL B/' + unit:>9}  query"
    )
    for r in sorted(rows, key=lambda r: r["ms"] + r["plan_ms"], reverse=True)[:top]:
        calls_or_1 = max(r["calls"], 1)
        print(
            f"{r['calls'] / per:12.2f} {r['ms'] / per:9.3f} {r['ms'] / calls_or_1:8.3f} "
            f"{r['plan_ms'] / per:12.3f} {r['plans'] / calls_or_1:10.2f} "
            f"{r['blocks'] / calls_or_1:7.0f} {int(r['wal_bytes']) / per:9.0f}  {r['query'][:150]}"
        )
