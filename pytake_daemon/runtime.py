"""Getting the backing services for one run: configured servers, or the embedded stack."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pytake_daemon.config import Settings
from pytake_daemon.db import migrations
from pytake_daemon.db.endpoints import Endpoints, configured_endpoints
from pytake_daemon.db.pool import connect
from pytake_daemon.embedded import EmbeddedStack
from pytake_daemon.errors import PyTakeError


@contextmanager
def backing_services(settings: Settings, *, owner: bool) -> Iterator[Endpoints]:
    """Start what isn't configured; stop it afterwards.

    The daemon is the ``owner``: it starts the embedded servers and stops them when it stops.
    A CLI command isn't: it uses servers a running daemon already has, or starts them just for
    the command. Must run on the main thread (the servers die with the thread that started them).
    """
    stack = EmbeddedStack.from_settings(settings)
    stack.start(adopt_running=not owner)
    try:
        yield configured_endpoints(
            settings,
            postgres_socket_dir=str(stack.postgres.socket_dir) if stack.postgres else None,
            redis_socket_url=stack.redis.url if stack.redis else None,
        )
    finally:
        stack.stop()


async def prepare_schema(settings: Settings, endpoints: Endpoints) -> int:
    """Migrate (when allowed and possible) and check the schema; returns its version."""
    if settings.database.auto_migrate and endpoints.admin_dsn is not None:
        admin = await connect(endpoints.admin_dsn.get_secret_value())
        try:
            await migrations.upgrade(admin, endpoints.app_role)
        finally:
            await admin.close()
    conn = await connect(endpoints.app_dsn.get_secret_value())
    try:
        version = await migrations.current_version(conn)
    finally:
        await conn.close()
    migrations.check_not_newer(version)
    latest = migrations.latest_version()
    if (version or 0) < latest:
        raise PyTakeError(
            f"the database schema is at version {version or 0}, this PyTake needs {latest}: "
            "run 'pytake migrate up' (or set database.admin_url and database.auto_migrate)"
        )
    return latest
