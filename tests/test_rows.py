"""The row mapper (``pytake_daemon.db.rows``) on records PostgreSQL returns: extra columns
left out, defaults kept for columns a query doesn't select, aliases honoured, dataclasses too,
and a missing required column refused."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pydantic
import pytest
from pydantic import Field

from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol.common import WireModel


class Thing(WireModel):
    id: uuid.UUID
    name: str
    note: str | None = None
    body: Any = Field(default=None, alias="json")


@dataclass(frozen=True)
class ThingRow:
    id: uuid.UUID
    name: str
    tags: list[str] = field(default_factory=list)


ID = uuid.UUID("3b1f8c1e-0000-4000-8000-000000000001")


async def test_a_wire_model_takes_its_columns_and_leaves_the_rest(app_conn: Connection) -> None:
    row = await app_conn.fetchrow(
        "SELECT $1::uuid AS id, 'ana' AS name, 'x' AS note, 7 AS tenant_id,"
        " '{\"a\": 1}'::jsonb::text AS json",
        ID,
    )
    assert row is not None
    assert rows.of(Thing, row) == Thing(id=ID, name="ana", note="x", json='{"a": 1}')


async def test_a_column_not_selected_keeps_its_default(app_conn: Connection) -> None:
    row = await app_conn.fetchrow("SELECT $1::uuid AS id, 'ana' AS name", ID)
    assert row is not None
    assert rows.one(Thing, row) == Thing(id=ID, name="ana")
    assert rows.of(ThingRow, row) == ThingRow(id=ID, name="ana")


async def test_many_and_none(app_conn: Connection) -> None:
    found = await app_conn.fetch(
        "SELECT gen_random_uuid() AS id, 'n' || i AS name, ARRAY['t'] AS tags, i AS extra"
        " FROM generate_series(1, 3) AS i ORDER BY i"
    )
    things = rows.many(ThingRow, found)
    assert [t.name for t in things] == ["n1", "n2", "n3"]
    assert all(t.tags == ["t"] for t in things)
    assert rows.one(Thing, await app_conn.fetchrow("SELECT 1 WHERE false")) is None


async def test_a_missing_required_column_is_an_error(app_conn: Connection) -> None:
    row = await app_conn.fetchrow("SELECT $1::uuid AS id", ID)
    assert row is not None
    with pytest.raises(pydantic.ValidationError):
        rows.of(Thing, row)
    with pytest.raises(TypeError):
        rows.of(ThingRow, row)


def test_only_models_and_dataclasses() -> None:
    with pytest.raises(TypeError, match="neither"):
        rows.of(dict, {"id": ID})


async def test_computed_values_fill_and_replace_fields(app_conn: Connection) -> None:
    row = await app_conn.fetchrow("SELECT $1::uuid AS id, 'ana' AS name, 'x' AS note", ID)
    assert row is not None
    # By field name, also where the column has an alias (``body`` is read from ``json``).
    assert rows.of(Thing, row, note="computed", body=[1]) == Thing(
        id=ID, name="ana", note="computed", json=[1]
    )
    assert rows.one(ThingRow, row, tags=["a"]) == ThingRow(id=ID, name="ana", tags=["a"])
    # A required field the query doesn't select, computed by the caller.
    only_id = await app_conn.fetchrow("SELECT $1::uuid AS id", ID)
    assert only_id is not None
    assert rows.of(ThingRow, only_id, name="from code") == ThingRow(id=ID, name="from code")
    assert rows.one(Thing, None, name="never built") is None


def test_a_computed_value_for_no_field_is_refused() -> None:
    with pytest.raises(TypeError, match="no field nmae"):
        rows.of(Thing, {"id": ID, "name": "ana"}, nmae="typo")


async def test_a_joined_tables_prefixed_columns_as_a_row(app_conn: Connection) -> None:
    row = await app_conn.fetchrow(
        "SELECT 'outer' AS name, $1::uuid AS thing_id, 'inner' AS thing_name", ID
    )
    assert row is not None
    assert rows.of(ThingRow, rows.Prefixed(row, "thing_")) == ThingRow(id=ID, name="inner")
    assert "note" not in rows.Prefixed(row, "thing_")
