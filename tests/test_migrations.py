"""The migration runner on a brand-new database of its own: first upgrade, idempotence, status,
a schema newer than the code, the ``--sql`` script, and the app role's RLS guard."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from pytake_daemon.db import migrations
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection, connect
from pytake_daemon.errors import SchemaTooNewError
from pytake_daemon.runtime import prepare_schema
from tests.conftest import APP_ROLE, Servers
from tests.support import make_settings, secret, with_database, with_user


@pytest.fixture
async def fresh_dsn(servers: Servers) -> AsyncIterator[str]:
    """A database nobody has migrated yet; dropped afterwards."""
    name = f"pytake_mig_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(servers.superuser_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield with_database(servers.superuser_dsn, name)
    finally:
        conn = await asyncpg.connect(servers.superuser_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@pytest.fixture
async def fresh(fresh_dsn: str) -> AsyncIterator[Connection]:
    conn = await connect(fresh_dsn)
    yield conn
    await conn.close()


async def test_upgrade_from_empty_then_idempotent(fresh: Connection) -> None:
    known = migrations.discover()
    assert known
    assert known[0].version == 1
    assert await migrations.current_version(fresh) is None

    applied = await migrations.upgrade(fresh, APP_ROLE)
    assert [m.version for m in applied] == [m.version for m in known]
    rows = await fresh.fetch("SELECT version, name, checksum FROM schema_migrations ORDER BY 1")
    assert [(r["version"], r["name"], r["checksum"]) for r in rows] == [
        (m.version, m.name, m.checksum) for m in known
    ]
    assert await migrations.current_version(fresh) == migrations.latest_version()
    # 0001 really ran: its tables exist.
    assert await fresh.fetchval("SELECT to_regclass('public.tenant_event_seq') IS NOT NULL")

    assert await migrations.upgrade(fresh, APP_ROLE) == []
    assert await fresh.fetchval("SELECT count(*) FROM schema_migrations") == len(known)

    states = await migrations.status(fresh)
    assert [s.version for s in states] == [m.version for m in known]
    for state in states:
        assert state.migration is not None
        assert state.applied_at is not None
        assert state.checksum_matches is True


async def test_status_before_any_upgrade_lists_pending(fresh: Connection) -> None:
    states = await migrations.status(fresh)
    assert [s.version for s in states] == [m.version for m in migrations.discover()]
    assert all(s.applied_at is None and s.checksum_matches is None for s in states)


async def test_schema_newer_than_code_is_refused(
    fresh_dsn: str, fresh: Connection, tmp_path: Path
) -> None:
    await migrations.upgrade(fresh, APP_ROLE)
    await fresh.execute(
        "INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'future', 'x')"
    )
    version = await migrations.current_version(fresh)
    assert version == 9999
    with pytest.raises(SchemaTooNewError, match="9999"):
        migrations.check_not_newer(version)
    with pytest.raises(SchemaTooNewError):
        await migrations.upgrade(fresh, APP_ROLE)

    states = await migrations.status(fresh)
    future = [s for s in states if s.version == 9999]
    assert len(future) == 1
    assert future[0].migration is None
    assert future[0].name == "future"

    endpoints = Endpoints(
        app_dsn=secret(with_user(fresh_dsn, APP_ROLE)),
        admin_dsn=secret(fresh_dsn),
        redis_url=secret("redis://127.0.0.1:1/0"),  # never used by prepare_schema
        app_role=APP_ROLE,
    )
    settings = make_settings(endpoints, prefix="unused:", state_dir=tmp_path)
    with pytest.raises(SchemaTooNewError) as info:
        await prepare_schema(settings, endpoints)
    message = str(info.value)
    assert "9999" in message
    assert str(migrations.latest_version()) in message
    assert "upgrade PyTake" in message

    # Without the admin DSN (no auto-migration) the daemon's own check refuses it the same way.
    no_admin = Endpoints(
        app_dsn=endpoints.app_dsn, admin_dsn=None, redis_url=endpoints.redis_url, app_role=APP_ROLE
    )
    with pytest.raises(SchemaTooNewError):
        await prepare_schema(settings, no_admin)


def test_script_wraps_each_migration_in_a_transaction() -> None:
    known = migrations.discover()
    text = migrations.script(migrations.pending_sql(known, None, APP_ROLE))
    assert text.count("BEGIN;") == len(known)
    assert text.count("COMMIT;") == len(known)
    for m in known:
        assert f"-- {m.path.name}" in text
        record = (
            "INSERT INTO schema_migrations (version, name, checksum) "
            f"VALUES ({m.version}, '{m.name}', '{m.checksum}');"
        )
        assert record in text
        assert text.index("BEGIN;") < text.index(record) < text.rindex("COMMIT;")
    assert ":app_role" not in text
    assert f'"{APP_ROLE}"' in text

    assert "nothing to apply" in migrations.script(
        migrations.pending_sql(known, migrations.latest_version(), APP_ROLE)
    )


async def test_app_role_with_bypassrls_is_refused(fresh: Connection) -> None:
    role = f"pytake_bypass_{uuid.uuid4().hex[:8]}"
    await fresh.execute(f'CREATE ROLE "{role}" LOGIN BYPASSRLS')
    try:
        with pytest.raises(migrations.MigrationError, match="BYPASSRLS"):
            await migrations.ensure_app_role(fresh, role)
        with pytest.raises(migrations.MigrationError):
            await migrations.upgrade(fresh, role)
        assert await migrations.current_version(fresh) is None
    finally:
        await fresh.execute(f'DROP ROLE IF EXISTS "{role}"')


async def test_missing_app_role_is_created_without_bypassrls(fresh: Connection) -> None:
    role = f"pytake_new_{uuid.uuid4().hex[:8]}"
    try:
        await migrations.ensure_app_role(fresh, role)
        row = await fresh.fetchrow(
            "SELECT rolbypassrls, rolsuper, rolcanlogin FROM pg_roles WHERE rolname = $1", role
        )
        assert row is not None
        assert not row["rolbypassrls"]
        assert not row["rolsuper"]
        assert row["rolcanlogin"]
    finally:
        db = await fresh.fetchval("SELECT current_database()")
        await fresh.execute(f'REVOKE ALL ON DATABASE "{db}" FROM "{role}"')
        await fresh.execute(f'REVOKE ALL ON SCHEMA public FROM "{role}"')
        await fresh.execute(f'DROP ROLE IF EXISTS "{role}"')
