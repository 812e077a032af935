"""What PyTake's backup and restore cost at a million messages, next to plain ``pg_dump -Fc``
and ``pg_restore`` of the same database in the same run.

PyTake's full backup is ``pg_dump -Fc -Z0`` → zstd → age (encrypted to one X25519 key) plus the
per-table row counts and checksums read in the same snapshot, stored in a local directory and
read back (``create_backup``, what ``pytake backup create`` runs). Its restore
(``restore_into``, what ``pytake backup restore ID --into DSN`` runs) re-hashes the stored file,
decrypts and decompresses it (checking the payload's SHA-256), restores it with ``pg_restore``
into a temporary database, migrates (a no-op here) and renames it. The baseline is the same
server's ``pg_dump -Fc -f FILE`` (its default gzip compression, no encryption) and
``CREATE DATABASE`` + ``pg_restore -d``. Both use the PostgreSQL tools of the server's major
version. The two are interleaved, ``--rounds`` times, and the fastest of each is kept (the
machine is shared; the minimum is the least disturbed).

The data is ``search.py``'s: 20,000 contacts with a conversation each and 1,000,000 messages,
inserted by set-returning ``INSERT … SELECT`` on the server (no client round trip per row,
faster than streaming ``COPY`` from here), then ``VACUUM ANALYZE``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from harness import Bench, bench_stack
from pydantic import SecretStr
from pyrage import x25519
from search import load_data

from pytake_daemon.backups.catalog import data_name, manifest_name
from pytake_daemon.backups.context import BackupContext, SilentReporter
from pytake_daemon.backups.create import create_backup
from pytake_daemon.backups.pgtools import (
    PgTools,
    find_tools,
    libpq_target,
    server_info,
    with_database,
)
from pytake_daemon.backups.restore import restore_into
from pytake_daemon.config import BackupSettings, DatabaseSettings, RedisSettings, Settings
from pytake_daemon.db.endpoints import configured_endpoints
from pytake_daemon.db.migrations import quote_ident
from pytake_daemon.db.pool import connect
from pytake_daemon.protocol.backups import BackupManifest


@dataclass
class Timings:
    """Best (lowest) seconds of each operation over the rounds, and what they produced."""

    plain_dump: float = float("inf")
    plain_restore: float = float("inf")
    pytake_backup: float = float("inf")
    pytake_restore: float = float("inf")
    plain_bytes: int = 0
    pytake_stored_bytes: int = 0
    pytake_payload_bytes: int = 0


def backup_context(bench: Bench) -> BackupContext:
    settings = Settings(
        state_dir=bench.root / "state",
        database=DatabaseSettings(
            url=SecretStr(bench.admin_dsn), admin_url=SecretStr(bench.admin_dsn)
        ),
        redis=RedisSettings(url=SecretStr(bench.redis_url), key_prefix="pytake-bench:"),
        backups=BackupSettings(
            local_dir=bench.root / "store",
            identities=SecretStr(str(x25519.Identity.generate())),
        ),
    )
    return BackupContext.build(settings, configured_endpoints(settings))


def run_tool(argv: list[str], env: dict[str, str]) -> float:
    """Seconds ``argv`` took; its failure ends the bench with its own message."""
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{Path(argv[0]).name} failed: {done.stderr.decode().strip()}")
    return elapsed


async def drop_database(admin_dsn: str, name: str) -> None:
    conn = await connect(with_database(admin_dsn, "postgres"))
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")
    finally:
        await conn.close()


async def plain_round(
    tools: PgTools, admin_dsn: str, dump: Path, env: dict[str, str]
) -> tuple[float, float]:
    """``pg_dump -Fc`` to a file, then ``CREATE DATABASE`` + ``pg_restore`` of it."""
    dsn, extra = libpq_target(admin_dsn)
    full_env = {**os.environ, **env, **extra}
    dump_s = await asyncio.to_thread(
        run_tool, [tools.path("pg_dump"), "-Fc", "-f", str(dump), "-d", dsn], full_env
    )
    target = f"bench_plain_{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    server = await connect(with_database(admin_dsn, "postgres"))
    try:
        await server.execute(f"CREATE DATABASE {quote_ident(target)}")
    finally:
        await server.close()
    restore_dsn, restore_extra = libpq_target(admin_dsn, target)
    await asyncio.to_thread(
        run_tool,
        [tools.path("pg_restore"), "--exit-on-error", "-d", restore_dsn, str(dump)],
        {**os.environ, **env, **restore_extra},
    )
    restore_s = time.perf_counter() - started
    await drop_database(admin_dsn, target)
    return dump_s, restore_s


async def pytake_round(ctx: BackupContext, admin_dsn: str) -> tuple[float, float, BackupManifest]:
    """``create_backup`` (full) then ``restore_into`` a new database."""
    started = time.perf_counter()
    manifest = await create_backup(ctx, SilentReporter(), note="bench")
    backup_s = time.perf_counter() - started
    assert manifest is not None
    target = f"bench_pytake_{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    await restore_into(ctx, manifest, with_database(admin_dsn, target), SilentReporter())
    restore_s = time.perf_counter() - started
    await drop_database(admin_dsn, target)
    await asyncio.to_thread(ctx.storage.delete, data_name(manifest.id))
    await asyncio.to_thread(ctx.storage.delete, manifest_name(manifest.id))
    return backup_s, restore_s, manifest


async def measure(bench: Bench, rounds: int) -> tuple[Timings, int]:
    ctx = backup_context(bench)
    conn = await connect(bench.admin_dsn)
    try:
        tools = find_tools(ctx.settings, (await server_info(conn)).major)
        db_bytes: int = await conn.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await conn.close()
    best = Timings()
    dump = bench.root / "plain.dump"
    for n in range(1, rounds + 1):
        dump_s, plain_restore_s = await plain_round(tools, bench.admin_dsn, dump, {})
        best.plain_dump = min(best.plain_dump, dump_s)
        best.plain_restore = min(best.plain_restore, plain_restore_s)
        best.plain_bytes = dump.stat().st_size
        dump.unlink()
        backup_s, restore_s, manifest = await pytake_round(ctx, bench.admin_dsn)
        best.pytake_backup = min(best.pytake_backup, backup_s)
        best.pytake_restore = min(best.pytake_restore, restore_s)
        best.pytake_stored_bytes = manifest.stored_bytes
        best.pytake_payload_bytes = manifest.payload_bytes
        print(
            f"  round {n}: pg_dump {dump_s:.1f} s, pg_restore {plain_restore_s:.1f} s, "
            f"pytake backup {backup_s:.1f} s, pytake restore {restore_s:.1f} s",
            file=sys.stderr,
            flush=True,
        )
    return best, db_bytes


def mib(n: int) -> str:
    return f"{n / (1 << 20):.1f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with bench_stack("ptbk-") as bench:
        print(
            f"loading {args.conversations:,} conversations, {args.messages:,} messages…",
            file=sys.stderr,
        )
        load = asyncio.run(
            load_data(
                bench.admin_dsn,
                bench.tenant.id,
                Fernet.generate_key(),
                args.conversations,
                args.messages,
            )
        )
        best, db_bytes = asyncio.run(measure(bench, args.rounds))

    backup_ratio = best.pytake_backup / best.plain_dump
    restore_ratio = best.pytake_restore / best.plain_restore
    print(f"load {load['load_s']:.1f} s, database {mib(db_bytes)} MiB")
    print(
        f"plain   pg_dump -Fc {best.plain_dump:6.1f} s  pg_restore {best.plain_restore:6.1f} s  "
        f"file {mib(best.plain_bytes)} MiB"
    )
    print(
        f"pytake  backup      {best.pytake_backup:6.1f} s  "
        f"restore    {best.pytake_restore:6.1f} s  "
        f"stored {mib(best.pytake_stored_bytes)} MiB "
        f"(payload {mib(best.pytake_payload_bytes)} MiB)"
    )
    print(f"ratio   backup x{backup_ratio:.2f}  restore x{restore_ratio:.2f}")
    fields: dict[str, Any] = {
        "messages": args.messages,
        "rounds": args.rounds,
        "db_mib": mib(db_bytes),
        "pg_dump_s": f"{best.plain_dump:.2f}",
        "pg_restore_s": f"{best.plain_restore:.2f}",
        "backup_s": f"{best.pytake_backup:.2f}",
        "restore_s": f"{best.pytake_restore:.2f}",
        "backup_ratio": f"{backup_ratio:.2f}",
        "restore_ratio": f"{restore_ratio:.2f}",
        "pg_dump_mib": mib(best.plain_bytes),
        "stored_mib": mib(best.pytake_stored_bytes),
    }
    print("RESULT backup " + " ".join(f"{k}={v}" for k, v in fields.items()))


if __name__ == "__main__":
    main()
