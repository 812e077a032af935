"""What the catalog says about the tables a backup covers, and per-table row counts/checksums.

Tenant tables are discovered, not listed: every table of ``public`` with a ``tenant_id``
column, plus ``tenants`` itself, so a domain added later is backed up without touching this.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter

from pytake_daemon.db.migrations import quote_ident
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import PyTakeError
from pytake_daemon.protocol.backups import TableStat


@dataclass(frozen=True)
class TenantTable:
    name: str
    key: str
    """The column naming the tenant: ``tenant_id``, or ``id`` for ``tenants``."""
    columns: tuple[str, ...]
    """Columns a COPY may write, in table order (generated columns are recomputed)."""
    append_only: bool
    """A BEFORE DELETE row trigger guards it (an audit log): rows are added back if missing,
    never deleted or replaced."""


_TENANT_TABLES = """
SELECT c.relname AS name,
       CASE WHEN c.relname = 'tenants' THEN 'id' ELSE 'tenant_id' END AS key,
       array_agg(a.attname ORDER BY a.attnum) FILTER (WHERE a.attgenerated = '') AS columns,
       EXISTS (SELECT 1 FROM pg_trigger t
               WHERE t.tgrelid = c.oid AND NOT t.tgisinternal
                 AND t.tgtype & 1 = 1 AND t.tgtype & 2 = 2 AND t.tgtype & 8 = 8) AS append_only
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'p')
  AND (c.relname = 'tenants' OR EXISTS (
        SELECT 1 FROM pg_attribute k
        WHERE k.attrelid = c.oid AND k.attname = 'tenant_id' AND NOT k.attisdropped))
GROUP BY c.oid, c.relname
"""

_FOREIGN_KEYS = """
SELECT ch.relname AS child, pa.relname AS parent
FROM pg_constraint k
JOIN pg_class ch ON ch.oid = k.conrelid
JOIN pg_class pa ON pa.oid = k.confrelid
WHERE k.contype = 'f' AND k.connamespace = 'public'::regnamespace
"""

_ALL_TABLES = """
SELECT c.relname FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
WHERE c.relkind IN ('r', 'p') ORDER BY c.relname
"""

# Order-independent content checksum: the sum of each row's md5 (first 60 bits) as numeric, so
# it streams over a table of any size without sorting or aggregating text.
_ROW_SUM = "coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint::numeric), 0)"


async def tenant_tables(conn: Connection) -> list[TenantTable]:
    """Tenant tables, parents before children (the order to insert; reverse it to delete)."""
    rows = {r["name"]: r for r in await conn.fetch(_TENANT_TABLES)}
    graph: dict[str, set[str]] = {name: set() for name in rows}
    for fk in await conn.fetch(_FOREIGN_KEYS):
        if fk["child"] in graph and fk["parent"] in graph and fk["child"] != fk["parent"]:
            graph[fk["child"]].add(fk["parent"])
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise PyTakeError(f"tenant tables reference each other in a cycle: {exc.args[1]}") from None
    return [
        TenantTable(
            name=name,
            key=rows[name]["key"],
            columns=tuple(rows[name]["columns"]),
            append_only=rows[name]["append_only"],
        )
        for name in order
    ]


async def full_stats(conn: Connection) -> list[TableStat]:
    """Rows and checksum of every table (in the caller's snapshot)."""
    stats = []
    for entry in await conn.fetch(_ALL_TABLES):
        name = entry["relname"]
        row = await conn.fetchrow(
            f"SELECT count(*), {_ROW_SUM} FROM {quote_ident(name)} t"  # noqa: S608 - catalog name
        )
        assert row is not None, "an aggregate returns one row"
        count, checksum = row
        stats.append(TableStat(table=name, rows=count, checksum=str(checksum)))
    return stats


async def tenant_stats(
    conn: Connection, tables: list[TenantTable], tenant_id: uuid.UUID
) -> list[TableStat]:
    """Rows and checksum of one tenant's rows in each tenant table."""
    stats = []
    for table in tables:
        row = await conn.fetchrow(
            f"SELECT count(*), {_ROW_SUM} FROM {quote_ident(table.name)} t "  # noqa: S608 - identifiers quoted, values bound
            f"WHERE {quote_ident(table.key)} = $1",
            tenant_id,
        )
        assert row is not None, "an aggregate returns one row"
        count, checksum = row
        stats.append(TableStat(table=table.name, rows=count, checksum=str(checksum)))
    return stats


def stat_differences(expected: list[TableStat], found: list[TableStat]) -> list[str]:
    """One line per table whose rows or checksum differ (or that is missing on one side)."""
    want = {s.table: s for s in expected}
    have = {s.table: s for s in found}
    out = []
    for name in sorted(want.keys() | have.keys()):
        a, b = want.get(name), have.get(name)
        if a is None:
            out.append(f"{name}: not in the backup")
        elif b is None:
            out.append(f"{name}: missing after restore")
        elif a.rows != b.rows:
            out.append(f"{name}: {b.rows} rows, expected {a.rows}")
        elif a.checksum != b.checksum:
            out.append(f"{name}: content checksum differs ({a.rows} rows)")
    return out
