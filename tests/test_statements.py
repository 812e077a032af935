"""The statement builder: values only as placeholders, numbered in the order they are bound,
and a fragment that doesn't use each of its values is refused (it would shift the others). The
statements it builds are executed by each domain's plan tests (tests/**/test_plans*.py)."""

from __future__ import annotations

import pytest

from pytake_daemon.db.pool import Connection
from pytake_daemon.db.statements import Statement


def test_values_are_placeholders_in_the_order_bound() -> None:
    st = Statement("tenant_id = current_tenant_id()")
    st.where("user_id = {}", "u'; DROP TABLE x; --")
    st.where("read_at IS NULL")
    st.where("(created_at, id) < ({}, {})", 10, 20)
    st.where("(label = {0} OR name = {0})", "ana")
    sql, args = st.finish(f"SELECT 1 FROM t WHERE {st.conditions} LIMIT {st.bind(51)}")
    assert sql == (
        "SELECT 1 FROM t WHERE tenant_id = current_tenant_id() AND user_id = $1"
        " AND read_at IS NULL AND (created_at, id) < ($2, $3) AND (label = $4 OR name = $4)"
        " LIMIT $5"
    )
    assert args == ["u'; DROP TABLE x; --", 10, 20, "ana", 51]


def test_no_conditions_is_true_and_literal_braces_stay() -> None:
    st = Statement()
    assert st.conditions == "true"
    st.where("tags <> '{{}}'")
    st.where("tags @> {}::text[]", ["vip"])
    assert st.finish(st.conditions) == ("tags <> '{}' AND tags @> $1::text[]", [["vip"]])


@pytest.mark.parametrize(
    ("fragment", "values"),
    [("a = {}", ()), ("a = {}", (1, 2)), ("a = {0} OR b = {0}", (1, 2)), ("a = 1", (1,))],
)
def test_a_fragment_uses_each_of_its_values(fragment: str, values: tuple[object, ...]) -> None:
    with pytest.raises(ValueError, match="does not use"):
        Statement().where(fragment, *values)


async def test_the_server_gets_the_values_as_parameters(admin_conn: Connection) -> None:
    st = Statement()
    st.where("v.x = {}", "it's")
    st.where("v.n < {}", 3)
    sql, args = st.finish(
        f"SELECT count(*) FROM (VALUES ('it''s', 1), ('it''s', 5), ('x', 1)) AS v(x, n)"
        f" WHERE {st.conditions}"
    )
    assert await admin_conn.fetchval(sql, *args) == 1
