"""A tenant's rows as a tar of CSV files (one per tenant table) plus ``tables.json``.

Export runs inside the caller's REPEATABLE READ transaction (one snapshot for every table);
import replaces exactly that tenant's rows in the caller's transaction: deletes children before
parents, loads parents before children, leaves every other tenant's rows alone, and checks the
loaded rows against the counts and checksums taken at export before the caller commits.
"""

from __future__ import annotations

import json
import tarfile
import uuid
from pathlib import Path

from pydantic import TypeAdapter

from pytake_daemon.backups.tables import (
    TenantTable,
    stat_differences,
    tenant_stats,
    tenant_tables,
)
from pytake_daemon.db.migrations import quote_ident
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.errors import PyTakeError
from pytake_daemon.protocol.backups import TableStat

INDEX = "tables.json"
# Its sequence number only moves forward: clients detect gaps by it, so a restore keeps the
# current value when that is higher than the backup's.
_EVENT_SEQ = "tenant_event_seq"

_stats_adapter = TypeAdapter(list[TableStat])


class TenantArchiveError(PyTakeError):
    """The archive doesn't fit the database it is being restored into."""


def _columns(table: TenantTable) -> str:
    return ", ".join(quote_ident(c) for c in table.columns)


async def export_tenant(
    conn: Connection, tenant_id: uuid.UUID, workdir: Path, *, schema_version: int
) -> tuple[Path, list[TableStat]]:
    """Write the tenant's rows into ``workdir/tenant.tar``; returns it and per-table stats."""
    tables = await tenant_tables(conn)
    stats = await tenant_stats(conn, tables, tenant_id)
    archive = workdir / "tenant.tar"
    with tarfile.open(archive, "w") as tar:
        for table in tables:
            csv_path = workdir / f"{table.name}.csv"
            await conn.copy_from_query(
                f"SELECT {_columns(table)} FROM {quote_ident(table.name)} "  # noqa: S608 - identifiers quoted, values bound
                f"WHERE {quote_ident(table.key)} = $1",
                tenant_id,
                output=csv_path,
                format="csv",
                header=True,
            )
            tar.add(csv_path, arcname=f"{table.name}.csv")
            csv_path.unlink()
        index = workdir / INDEX
        index.write_text(
            json.dumps(
                {
                    "schema_version": schema_version,
                    "tenant_id": str(tenant_id),
                    "tables": [
                        {"name": t.name, "key": t.key, "columns": list(t.columns)} for t in tables
                    ],
                    "stats": _stats_adapter.dump_python(stats, mode="json"),
                },
                indent=1,
            )
        )
        tar.add(index, arcname=INDEX)
    return archive, stats


async def import_tenant(
    conn: Connection, archive: Path, tenant_id: uuid.UUID, workdir: Path
) -> dict[str, int]:
    """Replace the tenant's rows with the archive's, in the caller's transaction; rows per table."""
    with tarfile.open(archive, "r") as tar:
        tar.extractall(workdir, filter="data")
    index = json.loads((workdir / INDEX).read_text())
    if uuid.UUID(index["tenant_id"]) != tenant_id:
        raise TenantArchiveError("this backup belongs to another tenant")
    tables = await tenant_tables(conn)
    _check_same_shape(index["tables"], tables)
    await set_tenant(conn, tenant_id)
    old_seq = await conn.fetchval(
        f"SELECT seq FROM {_EVENT_SEQ} WHERE tenant_id = $1",  # noqa: S608 - constant name
        tenant_id,
    )
    for table in reversed(tables):
        if table.append_only or table.name == "tenants":
            continue
        await conn.execute(
            f"DELETE FROM {quote_ident(table.name)} WHERE {quote_ident(table.key)} = $1",  # noqa: S608 - identifiers quoted, values bound
            tenant_id,
        )
    loaded: dict[str, int] = {}
    for table in tables:
        source = workdir / f"{table.name}.csv"
        if table.append_only or table.name == "tenants":
            loaded[table.name] = await _merge(conn, table, source)
        else:
            status = await conn.copy_to_table(
                table.name,
                source=source,
                columns=list(table.columns),
                format="csv",
                header=True,
            )
            loaded[table.name] = int(status.split()[-1])
    if old_seq is not None:
        await conn.execute(
            f"UPDATE {_EVENT_SEQ} SET seq = greatest(seq, $2) WHERE tenant_id = $1",  # noqa: S608 - identifiers quoted, values bound
            tenant_id,
            old_seq,
        )
    expected = [
        s
        for s in _stats_adapter.validate_python(index["stats"])
        if s.table != _EVENT_SEQ and not _append_only(tables, s.table)
    ]
    found = [
        s
        for s in await tenant_stats(conn, tables, tenant_id)
        if s.table in {e.table for e in expected}
    ]
    differences = stat_differences(expected, found)
    if differences:
        raise TenantArchiveError(
            "the restored rows don't match the backup's checksums, nothing was changed: "
            + "; ".join(differences)
        )
    return loaded


async def _merge(conn: Connection, table: TenantTable, source: Path) -> int:
    """Stage then insert: ``tenants`` is updated in place (deleting it would cascade), and
    append-only tables only get back rows that are missing."""
    stage = f"restore_{table.name}"
    await conn.execute(
        f"CREATE TEMP TABLE {quote_ident(stage)} ON COMMIT DROP AS "  # noqa: S608 - identifiers quoted, values bound
        f"SELECT {_columns(table)} FROM {quote_ident(table.name)} WITH NO DATA"
    )
    await conn.copy_to_table(
        stage, source=source, columns=list(table.columns), format="csv", header=True
    )
    if table.name == "tenants":
        updates = ", ".join(f"{quote_ident(c)} = EXCLUDED.{quote_ident(c)}" for c in table.columns)
        conflict = f"ON CONFLICT (id) DO UPDATE SET {updates}"
    else:
        conflict = "ON CONFLICT DO NOTHING"
    status = await conn.execute(
        f"INSERT INTO {quote_ident(table.name)} ({_columns(table)}) "  # noqa: S608 - identifiers quoted, values bound
        f"SELECT {_columns(table)} FROM {quote_ident(stage)} {conflict}"
    )
    return int(status.split()[-1])


def _append_only(tables: list[TenantTable], name: str) -> bool:
    return any(t.name == name and t.append_only for t in tables)


def _check_same_shape(archived: list[dict[str, object]], current: list[TenantTable]) -> None:
    have = {t.name: list(t.columns) for t in current}
    for entry in archived:
        name = str(entry["name"])
        if name not in have:
            raise TenantArchiveError(f"table {name} of the backup doesn't exist here")
        if entry["columns"] != have[name]:
            raise TenantArchiveError(f"table {name} has other columns than in the backup")
    missing = set(have) - {str(e["name"]) for e in archived}
    if missing:
        raise TenantArchiveError(f"tables missing from the backup: {', '.join(sorted(missing))}")
