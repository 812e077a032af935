"""Plans of message-path queries, executed and measured: ``EXPLAIN (ANALYZE, BUFFERS, FORMAT
JSON)`` as the daemon's role, in the caller's tenant transaction, so row-level security's
condition is in the plan exactly as in production.

Why both plans: asyncpg prepares every statement, and after five runs PostgreSQL may switch a
prepared statement to its generic plan (parameters unknown), which can differ from the plan for
the values at hand; :func:`explain` gives either. Why buffers and not time: a plan that walks
the tenant's history is fast on a small test database and slow in production, but the pages it
touches say so at any size, without a clock.

Usage (see tests/ai/test_plans.py)::

    async with app_conn.transaction():
        await set_tenant(app_conn, tenant_id)
        for generic in (False, True):
            plan = await explain(app_conn, SQL, conversation_id, 10, generic=generic)
            assert_bounded(plan, uses={"messages_thread_idx"}, max_blocks=500)

Statements that write really write under ANALYZE: run them in a transaction that is rolled
back (``tr = conn.transaction(); await tr.start(); ...; await tr.rollback()``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pytake_daemon.db.pool import Connection

_PROBE = "plan_probe"


@dataclass(frozen=True)
class Plan:
    """One executed plan (the ``Plan`` object of EXPLAIN's JSON)."""

    root: dict[str, Any]

    def nodes(self) -> Iterator[dict[str, Any]]:
        stack = [self.root]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(node.get("Plans", []))

    @property
    def indexes(self) -> set[str]:
        """Indexes the plan scans (index, index-only and bitmap scans)."""
        return {n["Index Name"] for n in self.nodes() if "Index Name" in n}

    @property
    def seq_scans(self) -> set[str]:
        """Tables the plan reads from end to end."""
        return {n["Relation Name"] for n in self.nodes() if n["Node Type"] == "Seq Scan"}

    @property
    def blocks(self) -> int:
        """Shared buffers hit or read by the whole execution (children are included in the
        root's counts; planning is not)."""
        return int(self.root["Shared Hit Blocks"]) + int(self.root["Shared Read Blocks"])

    def __str__(self) -> str:
        return json.dumps(self.root, indent=1, default=str)


async def explain(conn: Connection, sql: str, *args: Any, generic: bool = False) -> Plan:
    """Execute ``sql`` under EXPLAIN (ANALYZE, BUFFERS) in the caller's transaction.

    ``generic``: the plan a prepared statement gets when PostgreSQL stops planning for the
    values (``plan_cache_mode = force_generic_plan``, for this transaction only).
    """
    options = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)"
    if not generic:
        return _plan(await conn.fetchval(f"{options} {sql}", *args))
    await conn.execute(f"PREPARE {_PROBE} AS {sql}")
    try:
        types: list[str] = await conn.fetchval(
            "SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = $1", _PROBE
        )
        # EXECUTE takes no protocol parameters: the values go in as literals, which the
        # server itself writes (quote_nullable of each value's text form).
        literals = [
            await conn.fetchval(f"SELECT quote_nullable($1::{t}::text) || '::{t}'", arg)
            for t, arg in zip(types, args, strict=True)
        ]
        call = f"{_PROBE}({', '.join(literals)})" if literals else _PROBE
        mode = await conn.fetchval("SELECT current_setting('plan_cache_mode')")
        await conn.execute("SELECT set_config('plan_cache_mode', 'force_generic_plan', true)")
        raw = await conn.fetchval(f"{options} EXECUTE {call}")
        await conn.execute("SELECT set_config('plan_cache_mode', $1, true)", mode)
    finally:
        await conn.execute(f"DEALLOCATE {_PROBE}")
    return _plan(raw)


def _plan(raw: Any) -> Plan:
    # The pool's connections decode json; a bare asyncpg connection hands back the text.
    document = json.loads(raw) if isinstance(raw, str) else raw
    return Plan(document[0]["Plan"])


def assert_bounded(
    plan: Plan,
    *,
    uses: Iterable[str | tuple[str, ...]] = (),
    avoids: Iterable[str] = (),
    never_scans: Iterable[str] = ("messages", "ai_message_analysis", "conversations"),
    max_blocks: int = 500,
) -> None:
    """The plan scans the ``uses`` indexes (a tuple: any one of them), none of ``avoids``, reads
    none of ``never_scans`` end to end, and touches fewer than ``max_blocks`` shared buffers."""
    alternatives = [(u,) if isinstance(u, str) else u for u in uses]
    missing = [a for a in alternatives if not set(a) & plan.indexes]
    assert not missing, f"index {missing} not used:\n{plan}"
    unwanted = set(avoids) & plan.indexes
    assert not unwanted, f"index {sorted(unwanted)} used:\n{plan}"
    scanned = set(never_scans) & plan.seq_scans
    assert not scanned, f"sequential scan of {sorted(scanned)}:\n{plan}"
    assert plan.blocks < max_blocks, f"{plan.blocks} buffers (limit {max_blocks}):\n{plan}"
