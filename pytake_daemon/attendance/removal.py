"""Removing a queue: only one that nothing points at.

A queue that ever held a conversation stays (its items, history and reports refer to it; the
admin deactivates it instead). Neither may one go that another queue diverts or moves
conversations to, or that a flow's ``action_transfer_to_queue`` names (by id or by name, as
``flows/transfer.py`` resolves it): the flow would fail at that step with a customer waiting.
Each refusal says who points at it, so the admin knows what to change first.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import asyncpg

from pytake_daemon.attendance import queues_db
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import Conflict
from pytake_daemon.flows import db as flows_db

_TARGETS = {
    "timeout_queue_id": "moves timed-out conversations",
    "overflow_queue_id": "diverts its overflow",
    "out_of_hours_queue_id": "diverts out-of-hours conversations",
}

# queue_items_ended_idx (tenant_id, queue_id, ended_at) answers the NOT EXISTS. The item rows'
# foreign key makes a concurrent enqueue wait for this delete (or fail after it), so no item
# can slip in between the check and the delete.
_DELETE_UNUSED = """
DELETE FROM queues q
 WHERE q.tenant_id = current_tenant_id() AND q.id = $1
   AND NOT EXISTS (SELECT 1 FROM queue_items i
                    WHERE i.tenant_id = q.tenant_id AND i.queue_id = q.id)
RETURNING id
"""


def _transfers(node: Any) -> Iterator[dict[str, Any]]:
    """Every ``action_transfer_to_queue`` node anywhere in a flow definition."""
    if isinstance(node, dict):
        if node.get("type") == "action_transfer_to_queue":
            yield node
        for value in node.values():
            yield from _transfers(value)
    elif isinstance(node, list):
        for value in node:
            yield from _transfers(value)


async def _flow_naming(conn: Connection, queue: asyncpg.Record) -> str | None:
    names = {str(queue["id"]), queue["name"].lower()}
    for version in await flows_db.all_versions(conn):
        for node in _transfers(version["definition"]):
            if str(node.get("queueId", "")).lower() in names:
                flow = await flows_db.get_flow(conn, version["flow_id"])
                return f"{flow['name']!r} (version {version['version']})" if flow else "a flow"
    return None


async def remove_queue(conn: Connection, queue: asyncpg.Record) -> None:
    """Delete ``queue`` (a row of ``queues_db.get_queue``) or raise Conflict saying what holds
    it."""
    for other in await queues_db.list_queues(conn):
        for column, what in _TARGETS.items():
            if other[column] == queue["id"]:
                raise Conflict(f"queue {other['name']!r} {what} here: change that first")
    flow = await _flow_naming(conn, queue)
    if flow is not None:
        raise Conflict(f"flow {flow} transfers conversations here: change the flow first")
    if await conn.fetchval(_DELETE_UNUSED, queue["id"]) is None:
        raise Conflict(
            "this queue has held conversations, which its history and reports keep: "
            "deactivate it instead"
        )
