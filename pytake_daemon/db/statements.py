"""Statements assembled at run time from constant fragments, every value a bind parameter.

Why not one statement with optional filters (``($2::text IS NULL OR category = $2)``): asyncpg
prepares every statement, and after five runs PostgreSQL may keep the generic plan, planned
without the values. For a catch-all filter that plan guesses a selectivity that fits none of
the combinations users send, and it read a user's whole notification history where a page
needed fifty rows (CI, 2026-12-05; tests/notifications/test_plans.py). A statement that holds
only the filters that are set gets a plan of its own per combination, each with its index.

Usage::

    st = Statement("tenant_id = current_tenant_id()")
    st.where("user_id = {}", user_id)
    if category is not None:
        st.where("category = {}", category)
    return st.finish(f"SELECT … FROM t WHERE {st.conditions} ORDER BY … LIMIT {st.bind(50)}")

Fragments are constants of the module that owns the SQL: values never enter the text, only
their ``$n`` placeholders. A fragment's ``{}`` (or ``{0}``, to use one value twice) stands for
a value; a literal brace in a fragment is written ``{{`` or ``}}``.
"""

from __future__ import annotations

import string
from typing import NamedTuple

_FORMATTER = string.Formatter()


class BoundStatement(NamedTuple):
    """The SQL text and its arguments, in the order of their placeholders."""

    sql: str
    args: list[object]


class Statement:
    """Conditions and arguments of one statement being assembled."""

    __slots__ = ("_args", "_conditions")

    def __init__(self, *conditions: str) -> None:
        """Start with fixed conditions (fragments without values)."""
        self._args: list[object] = []
        self._conditions = list(conditions)

    def bind(self, value: object) -> str:
        """A placeholder for ``value`` (for a place outside the conditions, such as LIMIT)."""
        self._args.append(value)
        return f"${len(self._args)}"

    def where(self, fragment: str, *values: object) -> None:
        """Add the condition ``fragment`` with its ``{}`` bound to ``values``."""
        fields = [name for _, name, _, _ in _FORMATTER.parse(fragment) if name is not None]
        # Each value is used and each placeholder has one: a mismatch would bind a value to
        # nothing or leave a brace in the SQL.
        used = (
            len(fields) == len(values)
            if all(name == "" for name in fields)
            else set(fields) == {str(i) for i in range(len(values))}
        )
        if not used:
            raise ValueError(f"{fragment!r} does not use its {len(values)} values each")
        self._conditions.append(fragment.format(*(self.bind(v) for v in values)))

    @property
    def conditions(self) -> str:
        """The conditions joined with AND (``true`` when there are none)."""
        return " AND ".join(self._conditions) if self._conditions else "true"

    def finish(self, sql: str) -> BoundStatement:
        """``sql`` (built with :attr:`conditions` and :meth:`bind`) with the arguments."""
        return BoundStatement(sql, list(self._args))
