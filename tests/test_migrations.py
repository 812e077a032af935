"""The migration runner on a brand-new database of its own: first upgrade, idempotence, status,
a schema newer than the code, the ``--sql`` script, and the app role's RLS guard."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from typer.testing import CliRunner

from pytake_cli.main import app as cli_app
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
    text = migrations.script(migrations.pending_sql(known, {}, APP_ROLE))
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

    everything = {m.version: m.checksum for m in known}
    assert "nothing to apply" in migrations.script(
        migrations.pending_sql(known, everything, APP_ROLE)
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


# --- a file numbered into a gap, and a file changed after it ran --------------------------------

GAP_PROBE = (
    "CREATE TABLE gap_probe (id int PRIMARY KEY);\nGRANT SELECT ON gap_probe TO :app_role;\n"
)


def _copy_of_the_migrations(directory: Path) -> Path:
    directory.mkdir()
    for migration in migrations.discover():
        shutil.copy(migration.path, directory / migration.path.name)
    return directory


def _gap_version() -> int:
    """The lowest version the repository doesn't use (there are gaps: 0004, 0011…)."""
    used = {m.version for m in migrations.discover()}
    gap = next(v for v in range(1, max(used)) if v not in used)
    assert gap < migrations.latest_version()
    return gap


async def test_a_migration_added_into_a_gap_is_applied_on_an_existing_database(
    fresh: Connection, tmp_path: Path
) -> None:
    directory = _copy_of_the_migrations(tmp_path / "migrations")
    await migrations.upgrade(fresh, APP_ROLE, directory)
    highest = await migrations.current_version(fresh)
    assert highest == migrations.latest_version()

    gap = _gap_version()
    (directory / f"{gap:04d}_gap_probe.sql").write_text(GAP_PROBE, encoding="utf-8")
    assert [m.version for m in await migrations.pending(fresh, directory)] == [gap]

    applied = await migrations.upgrade(fresh, APP_ROLE, directory)
    assert [m.version for m in applied] == [gap]
    assert await fresh.fetchval("SELECT to_regclass('public.gap_probe') IS NOT NULL")
    assert await migrations.pending(fresh, directory) == []
    assert await migrations.current_version(fresh) == highest  # the gap filled, max unchanged
    assert await migrations.upgrade(fresh, APP_ROLE, directory) == []


async def test_a_migration_changed_after_it_ran_is_refused_by_name(
    fresh: Connection, tmp_path: Path
) -> None:
    directory = _copy_of_the_migrations(tmp_path / "migrations")
    await migrations.upgrade(fresh, APP_ROLE, directory)
    changed = sorted(directory.glob("0002_*.sql"))[0]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n-- edited\n", encoding="utf-8")
    gap = _gap_version()
    (directory / f"{gap:04d}_gap_probe.sql").write_text(GAP_PROBE, encoding="utf-8")

    with pytest.raises(migrations.MigrationError) as info:
        await migrations.upgrade(fresh, APP_ROLE, directory)
    message = str(info.value)
    assert changed.name in message
    assert "\n" not in message
    # Nothing ran: the refusal comes before any pending file.
    assert not await fresh.fetchval("SELECT to_regclass('public.gap_probe') IS NOT NULL")


def test_cli_migrate_status_and_up_fill_a_gap(
    fresh_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``pytake migrate status`` lists the gap's file as pending; ``up`` applies it; a changed
    file is then refused in one line naming it."""
    directory = _copy_of_the_migrations(tmp_path / "migrations")
    monkeypatch.setattr(migrations, "migrations_dir", lambda: directory)
    env = {k: None for k in os.environ if k.startswith("PYTAKE_")} | {
        "PYTAKE_DATABASE__URL": with_user(fresh_dsn, APP_ROLE),
        "PYTAKE_DATABASE__ADMIN_URL": fresh_dsn,
        "PYTAKE_DATABASE__APP_ROLE": APP_ROLE,
        "PYTAKE_REDIS__URL": "redis://127.0.0.1:1/0",  # never used by migrate
        "PYTAKE_STATE_DIR": str(tmp_path / "state"),
        "PYTAKE_LOGGING__LEVEL": "warning",
    }
    runner = CliRunner()
    first = runner.invoke(cli_app, ["migrate", "up"], env=env)
    assert first.exit_code == 0, first.output + first.stderr

    gap = _gap_version()
    probe = directory / f"{gap:04d}_gap_probe.sql"
    probe.write_text(GAP_PROBE, encoding="utf-8")
    status = runner.invoke(cli_app, ["migrate", "status"], env=env)
    assert status.exit_code == 0, status.output
    assert f"1 pending: {probe.name}" in " ".join(status.stdout.split())

    up = runner.invoke(cli_app, ["migrate", "up"], env=env)
    assert up.exit_code == 0, up.output + up.stderr
    assert f"applied {probe.name}" in up.stdout
    assert "schema is up to date" in runner.invoke(cli_app, ["migrate", "status"], env=env).stdout

    probe.write_text(GAP_PROBE + "-- edited\n", encoding="utf-8")
    refused = runner.invoke(cli_app, ["migrate", "up"], env=env)
    assert refused.exit_code == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1, refused.stderr
    assert probe.name in lines[0]
    assert "Traceback" not in refused.output + refused.stderr
