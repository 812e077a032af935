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
model built from other columns) is passed to :func:`of` or :func:`one` as a keyword value, by
the field's name, and replaces the column of that name; a builder is generated for each model
and set of computed names, so this costs what the hand-written line did. A joined table's
prefixed columns are read as a row of their own through :class:`Prefixed`. Rows that stay
internal state (read back by the same module's SQL or logic: ids, counters, a claimed job, an
engine's state, the message path's few-column reads) stay records: building a model for them
would cost time and type nothing a caller sees.
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


class Prefixed:
    """The columns of ``row`` that start with ``prefix``, named without it: a joined table's
    columns (``contact_id``, ``contact_wa_id``) read as a row of their own."""

    __slots__ = ("_prefix", "_row")

    def __init__(self, row: Row, prefix: str) -> None:
        self._row = row
        self._prefix = prefix

    def __getitem__(self, key: str, /) -> Any:
        return self._row[self._prefix + key]

    def __contains__(self, key: object, /) -> bool:
        return isinstance(key, str) and self._prefix + key in self._row


Build = Callable[[Row, "dict[str, object] | None"], Any]
_builders: dict[type[Any], Build] = {}
_computed: dict[tuple[type[Any], frozenset[str]], Build] = {}


def _keys(model: type[Any]) -> tuple[tuple[str, str, str], ...]:
    """(field, column, argument): a pydantic field with an alias is given under the alias."""
    if issubclass(model, BaseModel):
        return tuple((name, *(f.alias or name,) * 2) for name, f in model.model_fields.items())
    if dataclasses.is_dataclass(model):
        return tuple((f.name,) * 3 for f in dataclasses.fields(model) if f.init)
    raise TypeError(f"{model.__qualname__} is neither a pydantic model nor a dataclass")


def _make(model: type[Any], given: frozenset[str]) -> Build:
    """The builder for ``model`` whose fields named in ``given`` come from the caller's values."""
    keys = _keys(model)
    unknown = given - {name for name, _, _ in keys}
    if unknown:
        raise TypeError(f"{model.__qualname__} has no field {', '.join(sorted(unknown))}")
    pydantic = issubclass(model, BaseModel)

    def partial(row: Row, values: dict[str, object] | None) -> Any:
        # A query that leaves out a field with a default: only the columns it has.
        data = {
            arg: values[name] if values is not None and name in given else row[col]
            for name, col, arg in keys
            if name in given or col in row
        }
        return model.model_validate(data) if pydantic else model(**data)

    # Field names are identifiers and the columns are quoted by repr, so the source is safe.
    source = [f"values[{n!r}]" if n in given else f"row[{c!r}]" for n, c, _ in keys]
    if pydantic:
        args = (f"{c!r}: {v}" for (_, c, _), v in zip(keys, source, strict=True))
        call = "validate({" + ", ".join(args) + "})"
    else:
        call = "model(" + ", ".join(f"{a}={v}" for (_, _, a), v in zip(keys, source, strict=True))
        call += ")"
    code = (
        f"def build(row, values):\n try:\n  return {call}\n"
        " except KeyError:\n  return partial(row, values)\n"
    )
    scope: dict[str, Any] = {
        "validate": getattr(model, "model_validate", None),
        "model": model,
        "partial": partial,
    }
    exec(code, scope)  # noqa: S102 - generated from the model's own field names
    return cast("Build", scope["build"])


def _builder(model: type[Any]) -> Build:
    build = _builders.get(model)
    if build is None:
        build = _builders[model] = _make(model, frozenset())
    return build


def of(model: type[M], row: Row, /, **values: object) -> M:
    """``model`` built from ``row``'s columns of the same names (other columns ignored);
    ``values`` are fields computed outside the SQL, by field name, in place of those columns."""
    if not values:
        return cast("M", _builder(model)(row, None))
    key = (model, frozenset(values))
    build = _computed.get(key)
    if build is None:
        build = _computed[key] = _make(model, key[1])
    return cast("M", build(row, values))


def one(model: type[M], row: Row | None, /, **values: object) -> M | None:
    """:func:`of`, or None when the query found no row."""
    return None if row is None else of(model, row, **values)


def many(model: type[M], rows: Iterable[Row]) -> list[M]:
    """:func:`of` for each row, in order."""
    build = _builder(model)
    return [build(r, None) for r in rows]
