"""Rows to models: the one way a query's ``asyncpg.Record`` becomes a typed value.

A query function returns ``rows.one(Model, row)`` or ``rows.many(Model, rows)`` instead of the
record, so its callers get a pydantic model (or a dataclass) that mypy checks, not a record of
``Any``. The model says which columns it takes: a row may carry more (``tenant_id``, a join's
columns) and they are left out, because the wire models refuse unknown fields
(``WireModel``'s ``extra="forbid"``). A field the query doesn't select keeps its default; a
required one is a validation error, as it should be: the SQL and the model disagree.

Pydantic models are validated, not ``model_construct``-ed: measured (a six-field ``UserOut``
from a Record, best of 5 x 200,000, 2026-12-05) ``model_construct`` took 3.1 µs a row and
``model_validate`` of a dict 1.9 µs (pydantic-core validates in Rust; ``model_construct`` runs
in Python), so trusting the SQL would make it slower. The builder for each model is generated
once, as the line a person would write (``validate({"id": row["id"], ...})`` or
``Model(id=row["id"], ...)``): 1.7 µs for the model and 1.1 µs for a dataclass, the same as by
hand (1.85 and 1.06), where a dict comprehension over the fields took 2.0 and 1.5.

The rule, followed in every domain: a row that leaves its module as a model goes through this
module. A field the SQL can't give as a column (the window from ``now``, a position, a nested
model built from a column) is passed to :func:`of` or :func:`one` as a keyword value, by the
field's name, and replaces the column of that name. Rows that stay internal state (read back by
the same module's SQL or logic: ids, counters, a claimed job, an engine's state, the message
path's few-column reads) stay records: building a model for them would cost time and type
nothing a caller sees.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar, cast

from pydantic import BaseModel

M = TypeVar("M")


class Row(Protocol):
    """What a query returns: an ``asyncpg.Record`` (not a ``Mapping`` to the type checker: it
    iterates over values), or a dict of columns."""

    def __getitem__(self, key: str, /) -> Any: ...
    def __contains__(self, key: object, /) -> bool: ...


_builders: dict[type[Any], Callable[[Row], Any]] = {}
_columns: dict[type[Any], dict[str, str]] = {}


def _keys(model: type[Any]) -> tuple[tuple[str, str], ...]:
    """(column, argument) pairs: a pydantic field with an alias is given under the alias."""
    if issubclass(model, BaseModel):
        return tuple((f.alias or name,) * 2 for name, f in model.model_fields.items())
    if dataclasses.is_dataclass(model):
        return tuple((f.name, f.name) for f in dataclasses.fields(model) if f.init)
    raise TypeError(f"{model.__qualname__} is neither a pydantic model nor a dataclass")


def _make(model: type[Any]) -> Callable[[Row], Any]:
    keys = _keys(model)
    pydantic = issubclass(model, BaseModel)

    def partial(row: Row) -> Any:
        # A query that leaves out a field with a default: only the columns it has.
        data = {arg: row[col] for col, arg in keys if col in row}
        return model.model_validate(data) if pydantic else model(**data)

    # Field names are identifiers and the columns are quoted by repr, so the source is safe.
    if pydantic:
        call = "validate({" + ", ".join(f"{c!r}: row[{c!r}]" for c, _ in keys) + "})"
    else:
        call = "model(" + ", ".join(f"{a}=row[{c!r}]" for c, a in keys) + ")"
    source = f"def build(row):\n try:\n  return {call}\n except KeyError:\n  return partial(row)\n"
    scope: dict[str, Any] = {
        "validate": getattr(model, "model_validate", None),
        "model": model,
        "partial": partial,
    }
    exec(source, scope)  # noqa: S102 - generated from the model's own field names
    return cast("Callable[[Row], Any]", scope["build"])


def _builder(model: type[M]) -> Callable[[Row], M]:
    build = _builders.get(model)
    if build is None:
        build = _builders[model] = _make(model)
    return build


def _with(model: type[M], row: Row, values: dict[str, object]) -> M:
    """``model`` from ``row`` with ``values`` (by field name) in place of those columns."""
    columns = _columns.get(model)
    if columns is None:
        if issubclass(model, BaseModel):
            names = model.model_fields.items()
            columns = _columns[model] = {name: f.alias or name for name, f in names}
        else:
            columns = _columns[model] = {col: col for col, _ in _keys(model)}
    unknown = values.keys() - columns.keys()
    if unknown:
        raise TypeError(f"{model.__qualname__} has no field {', '.join(sorted(unknown))}")
    given = {columns[name]: value for name, value in values.items()}
    data = {col: row[col] for col in columns.values() if col not in given and col in row}
    data.update(given)
    if issubclass(model, BaseModel):
        return cast("M", model.model_validate(data))
    return model(**data)


def of(model: type[M], row: Row, /, **values: object) -> M:
    """``model`` built from ``row``'s columns of the same names (other columns ignored);
    ``values`` are fields computed outside the SQL, given by field name."""
    return _with(model, row, values) if values else _builder(model)(row)


def one(model: type[M], row: Row | None, /, **values: object) -> M | None:
    """:func:`of`, or None when the query found no row."""
    return None if row is None else of(model, row, **values)


def many(model: type[M], rows: Iterable[Row]) -> list[M]:
    """:func:`of` for each row, in order."""
    build = _builder(model)
    return [build(r) for r in rows]
