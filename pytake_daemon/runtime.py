"""Getting the backing services for one run: configured servers, or the embedded stack."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import asyncpg

from pytake_daemon.config import Settings
from pytake_daemon.db import migrations
from pytake_daemon.db.endpoints import Endpoints, configured_endpoints
from pytake_daemon.db.pool import Connection, connect
from pytake_daemon.embedded import EmbeddedStack
from pytake_daemon.errors import PyTakeError


@contextmanager
def single_daemon(state_dir: Path) -> Iterator[None]:
    """Hold ``state_dir/daemon.lock`` for the daemon's lifetime.

    Two daemons on one state directory would fight over the embedded servers (a second one
    treats the first one's PostgreSQL as a leftover and stops it). The kernel drops a ``flock``
    when its holder dies, even by ``kill -9``, so a crash never leaves a stale lock behind.
    """
    state_dir.mkdir(mode=0o755, parents=True, exist_ok=True)
    lock_path = state_dir / "daemon.lock"
    with lock_path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PyTakeError(
                f"another pytake daemon is already running on state directory {state_dir}"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield


@contextmanager
def backing_services(settings: Settings, *, owner: bool) -> Iterator[Endpoints]:
    """Start what isn't configured; stop it afterwards.

    The daemon is the ``owner``: it starts the embedded servers and stops them when it stops.
    A CLI command isn't: it uses servers a running daemon already has, or starts them just for
    the command. Must run on the main thread (the servers die with the thread that started them).
    """
    stack = EmbeddedStack.from_settings(settings)
    with contextlib.ExitStack() as held:
        if owner and stack.servers:
            held.enter_context(single_daemon(settings.state_dir))
        stack.start(adopt_running=not owner)
        held.callback(stack.stop)
        yield configured_endpoints(
            settings,
            postgres_socket_dir=str(stack.postgres.socket_dir) if stack.postgres else None,
            redis_socket_url=stack.redis.url if stack.redis else None,
        )


async def prepare_schema(settings: Settings, endpoints: Endpoints) -> int:
    """Migrate (when allowed and possible) and check the schema; returns its version."""
    if settings.database.auto_migrate and endpoints.admin_dsn is not None:
        admin = await _connect(endpoints.admin_dsn.get_secret_value())
        try:
            await migrations.upgrade(admin, endpoints.app_role)
        finally:
            await admin.close()
    # The daemon's own DSN may lead through PgBouncer (transaction mode): its setting, as the pool.
    conn = await _connect(
        endpoints.app_dsn.get_secret_value(),
        statement_cache_size=settings.database.statement_cache_size,
    )
    try:
        version = await migrations.current_version(conn)
        migrations.check_not_newer(version)
        missing = await migrations.pending(conn)
    finally:
        await conn.close()
    latest = migrations.latest_version()
    if missing:
        names = ", ".join(m.path.name for m in missing)
        raise PyTakeError(
            f"the database schema lacks {len(missing)} migration(s) this PyTake needs "
            f"({names}): run 'pytake migrate up' (or set database.admin_url and "
            "database.auto_migrate)"
        )
    return latest


async def _connect(dsn: str, *, statement_cache_size: int = 100) -> Connection:
    """Connect, or explain in one line where PostgreSQL was expected (never the password)."""
    try:
        return await connect(dsn, timeout=10, statement_cache_size=statement_cache_size)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        where = urlsplit(dsn)
        host = where.hostname or dict(parse_qsl(where.query)).get("host", "?")
        target = f"{where.username or '?'}@{host}:{where.port or 5432}{where.path}"
        raise PyTakeError(f"cannot connect to PostgreSQL as {target}: {exc}") from None
