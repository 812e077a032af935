"""Which flow a customer's message goes to, in the original priority:

1. a human agent has the conversation: nobody (the bot stays silent until it is handed back);
2. a reply to a template sent directly to the customer, when a published flow has a
   ``trigger_template`` for it: that flow, replacing any running session;
3. the conversation's active session (unless it expired);
4. the conversation waits in a queue: nobody (the customer is waiting for a human);
5. the first published flow with a matching ``trigger_keyword``;
6. the first published flow with a ``trigger_universal``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from pytake_daemon.db.pool import Connection
from pytake_daemon.flows import db
from pytake_daemon.flows.compiled import CompiledFlow, CompiledFlows
from pytake_daemon.protocol.flows import FlowDefinition


@dataclass(frozen=True)
class Start:
    flow: CompiledFlow
    trigger_id: str
    replaces: bool = False
    """Started by a template reply: ends whatever session is running."""


class PublishedFlows:
    """A tenant's published flow versions, compiled; reloaded when what is published changes."""

    def __init__(self, cache: CompiledFlows) -> None:
        self._cache = cache
        self._by_tenant: dict[uuid.UUID, tuple[list[str], list[CompiledFlow]]] = {}

    async def load(self, conn: Connection, tenant_id: uuid.UUID) -> list[CompiledFlow]:
        stamp = await db.published_stamp(conn)
        known = self._by_tenant.get(tenant_id)
        if known is not None and known[0] == stamp:
            return known[1]
        flows = []
        for row in await db.published_flows(conn):
            compiled = self._cache.get(row["id"], row["version"]) or self._cache.put(
                CompiledFlow(
                    row["id"], row["version"], FlowDefinition.model_validate(row["definition"])
                )
            )
            flows.append(compiled)
        self._by_tenant[tenant_id] = (stamp, flows)
        return flows

    async def version(self, conn: Connection, flow_id: uuid.UUID, version: int) -> CompiledFlow:
        """A session's own version (which may no longer be the published one)."""
        found = self._cache.get(flow_id, version)
        if found is not None:
            return found
        stored = await db.get_definition(conn, flow_id, version)
        return self._cache.put(
            CompiledFlow(flow_id, version, FlowDefinition.model_validate(stored))
        )


class OncePerBatch:
    """The tenant's published flows, read the first time a step of the batch asks."""

    def __init__(self, published: PublishedFlows, conn: Connection, tenant_id: uuid.UUID) -> None:
        self._published = published
        self._conn = conn
        self._tenant_id = tenant_id
        self._flows: list[CompiledFlow] | None = None

    async def load(self) -> list[CompiledFlow]:
        if self._flows is None:
            self._flows = await self._published.load(self._conn, self._tenant_id)
        return self._flows


def template_start(flows: list[CompiledFlow], template_name: str) -> Start | None:
    for flow in flows:
        trigger = flow.template_trigger(template_name)
        if trigger is not None:
            return Start(flow, trigger, replaces=True)
    return None


def new_start(flows: list[CompiledFlow], text: str) -> Start | None:
    for flow in flows:
        hit = flow.keyword_trigger(text)
        if hit is not None:
            return Start(flow, hit[0])
    for flow in flows:
        trigger = flow.universal_trigger()
        if trigger is not None:
            return Start(flow, trigger)
    return None
