"""Numbered plain-SQL migrations: ``migrations/NNNN_description.sql``, one transaction each,
recorded in ``schema_migrations``. Run as the owner role; ``:app_role`` in a file is replaced by the
quoted name of the daemon's role, which the runner creates (without BYPASSRLS) when missing."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import PyTakeError, SchemaTooNewError

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# One lock id for "someone is migrating this database"; replicas starting together queue on it.
_LOCK_ID = 0x70797461_6B65  # "pytake"


class MigrationError(PyTakeError):
    """A migration file or the migration state is wrong."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sql_template(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    def render(self, app_role: str) -> str:
        return self.sql_template.replace(":app_role", quote_ident(app_role))


@dataclass(frozen=True)
class MigrationState:
    migration: Migration | None
    version: int
    name: str
    applied_at: datetime | None
    checksum_matches: bool | None


def quote_ident(name: str) -> str:
    """Quote an SQL identifier (role names come from config, never from users)."""
    return '"' + name.replace('"', '""') + '"'


def migrations_dir() -> Path:
    """The repository's ``migrations/`` in a checkout, the packaged copy in a wheel."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "migrations", here / "_migrations"):
        if candidate.is_dir():
            return candidate
    raise MigrationError("migrations directory not found (broken installation)")


def discover(directory: Path | None = None) -> list[Migration]:
    """Every migration file, in order; a malformed name or a duplicate number is an error."""
    directory = directory or migrations_dir()
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: expected NNNN_description.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"{path.name}: version {version} is used twice")
        found[version] = Migration(version, match.group(2), path)
    return [found[v] for v in sorted(found)]


def latest_version(directory: Path | None = None) -> int:
    known = discover(directory)
    return known[-1].version if known else 0


_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""
_APPLIED = "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version"
_RECORD = "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"
_TABLE_EXISTS = "SELECT to_regclass('public.schema_migrations') IS NOT NULL"
_CURRENT = "SELECT coalesce(max(version), 0) FROM schema_migrations"


async def current_version(conn: Connection) -> int | None:
    """The database's schema version; ``None`` when it was never migrated.

    Works for the daemon's role too: it may read ``schema_migrations`` (granted by 0001).
    """
    if not await conn.fetchval(_TABLE_EXISTS):
        return None
    version: int = await conn.fetchval(_CURRENT)
    return version


async def status(conn: Connection, directory: Path | None = None) -> list[MigrationState]:
    """Known and applied migrations side by side."""
    known = {m.version: m for m in discover(directory)}
    applied = {}
    if await conn.fetchval(_TABLE_EXISTS):
        applied = {row["version"]: row for row in await conn.fetch(_APPLIED)}
    states = []
    for version in sorted(known.keys() | applied.keys()):
        migration = known.get(version)
        row = applied.get(version)
        if migration is not None:
            name = migration.name
        else:
            assert row is not None  # every version came from one side or the other
            name = row["name"]
        states.append(
            MigrationState(
                migration=migration,
                version=version,
                name=name,
                applied_at=row["applied_at"] if row else None,
                checksum_matches=(
                    (row["checksum"] == migration.checksum) if (row and migration) else None
                ),
            )
        )
    return states


def check_not_newer(db_version: int | None, directory: Path | None = None) -> None:
    """Refuse a schema this code doesn't know: it may have changed tables under our feet."""
    known = latest_version(directory)
    if db_version is not None and db_version > known:
        raise SchemaTooNewError(
            f"the database schema is at version {db_version} but this PyTake knows only up to "
            f"{known}: upgrade PyTake (or restore a matching backup) before starting it"
        )


def pending_sql(
    migrations: list[Migration], applied: dict[int, str], app_role: str
) -> list[tuple[Migration, str]]:
    """Every migration whose version is not recorded, in order, whatever the gaps.

    ``applied`` maps each recorded version to its checksum. Taking "above the highest applied"
    would silently skip a file numbered into a gap (a ``0011`` added after ``0015`` ran).
    """
    return [(m, m.render(app_role)) for m in migrations if m.version not in applied]


def check_checksums(migrations: list[Migration], applied: dict[int, str]) -> None:
    """Refuse a database whose applied migrations were changed on disk since they ran: the
    schema would no longer be what the files say, and nothing would re-run them."""
    for migration in migrations:
        recorded = applied.get(migration.version)
        if recorded is not None and recorded != migration.checksum:
            raise MigrationError(
                f"{migration.path.name} was changed after it was applied (checksum differs): "
                "restore the file as it was and put the change in a new migration"
            )


async def applied_checksums(conn: Connection) -> dict[int, str]:
    """Recorded version → checksum; empty for a database never migrated."""
    if not await conn.fetchval(_TABLE_EXISTS):
        return {}
    return {row["version"]: row["checksum"] for row in await conn.fetch(_APPLIED)}


async def pending(conn: Connection, directory: Path | None = None) -> list[Migration]:
    """Known migrations not yet recorded in this database, in order (any role may ask)."""
    applied = await applied_checksums(conn)
    return [m for m in discover(directory) if m.version not in applied]


def script(pending: list[tuple[Migration, str]]) -> str:
    """What ``upgrade`` would run, as one psql-ready script (for ``pytake migrate up --sql``)."""
    parts = []
    for migration, sql in pending:
        # Printed for an operator to read, never executed here; values are file names/hashes.
        values = f"({migration.version}, '{migration.name}', '{migration.checksum}')"
        record = f"INSERT INTO schema_migrations (version, name, checksum) VALUES {values};"  # noqa: S608 - printed, not run
        parts.append(f"-- {migration.path.name}\nBEGIN;\n{sql.rstrip()}\n{record}\nCOMMIT;\n")
    return "\n".join(parts) if parts else "-- nothing to apply: the schema is up to date\n"


async def ensure_app_role(conn: Connection, app_role: str) -> None:
    """Create the daemon's role if missing, and make sure it can't bypass row-level security."""
    row = await conn.fetchrow(
        "SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = $1", app_role
    )
    if row is None:
        await conn.execute(f"CREATE ROLE {quote_ident(app_role)} LOGIN NOBYPASSRLS")
    elif row["rolbypassrls"] or row["rolsuper"]:
        raise MigrationError(
            f"role {app_role} has SUPERUSER or BYPASSRLS: tenant isolation would not hold; "
            f"ALTER ROLE {app_role} NOSUPERUSER NOBYPASSRLS"
        )
    database = await conn.fetchval("SELECT current_database()")
    await conn.execute(
        f"GRANT CONNECT ON DATABASE {quote_ident(database)} TO {quote_ident(app_role)}"
    )
    await conn.execute(f"GRANT USAGE ON SCHEMA public TO {quote_ident(app_role)}")


async def upgrade(
    conn: Connection, app_role: str, directory: Path | None = None
) -> list[Migration]:
    """Apply every pending migration, each in its own transaction; returns what was applied."""
    migrations = discover(directory)
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_ID)
    try:
        await ensure_app_role(conn, app_role)
        await conn.execute(_CREATE_TABLE)
        await conn.execute(f"GRANT SELECT ON schema_migrations TO {quote_ident(app_role)}")
        check_not_newer(await current_version(conn), directory)
        recorded = await applied_checksums(conn)
        check_checksums(migrations, recorded)
        applied = []
        for migration, sql in pending_sql(migrations, recorded, app_role):
            async with conn.transaction():
                try:
                    await conn.execute(sql)
                except Exception as exc:
                    raise MigrationError(
                        f"{migration.path.name} failed: {type(exc).__name__}: {exc}"
                    ) from exc
                await conn.execute(_RECORD, migration.version, migration.name, migration.checksum)
            applied.append(migration)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_ID)
