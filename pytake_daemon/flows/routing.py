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
from datetime import datetime

from pytake_daemon.conversations import db as conversations_db
from pytake_daemon.db.pool import Connection
from pytake_daemon.flows import db
from pytake_daemon.flows.batch_db import ConversationState
from pytake_daemon.flows.compiled import CompiledFlow, CompiledFlows
from pytake_daemon.flows.stepping import Row, Step, inbound_of
from pytake_daemon.protocol import MessageOut
from pytake_daemon.protocol.flows import FlowDefinition
from pytake_daemon.queues import db as queues_db


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

    async def load(
        self, conn: Connection, tenant_id: uuid.UUID, stamp: list[str] | None = None
    ) -> list[CompiledFlow]:
        """The published flows; ``stamp`` when the caller already read it (a fan-out batch)."""
        if stamp is None:
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


@dataclass(frozen=True)
class Routed:
    """A message that needs writing: a start, its conversation's running session, or only an
    expired (or replaced) session to end."""

    conversation: Row
    session: Row | None
    """The running session the message continues; None for a start (or when ``idle``)."""
    start: Start | None
    ending: tuple[uuid.UUID, str] | None = None
    """A session to end first, and why (``replaced`` or ``expired``)."""
    idle: str | None = None
    """After the ending, no flow runs: the step's result (``queued`` or ``no flow``)."""


@dataclass(frozen=True)
class Known:
    """What a fan-out batch already did and read for a message (``flows.batch_db``)."""

    marked: bool
    """The batch marked the message processed (False: it was processed before)."""
    state: ConversationState | None
    """The conversation as the batch read it (its first message only; None: read it now)."""
    stamp: list[str] | None


async def route(
    conn: Connection,
    published: PublishedFlows,
    tenant_id: uuid.UUID,
    conversation_id: uuid.UUID,
    message: MessageOut,
    now: datetime,
    known: Known | None = None,
) -> Step | Routed:
    """Where a customer message goes, in the module's priority (the caller holds the
    conversation's flow lock): a ``Step`` when nothing is to be written, else what to run.
    Without ``known`` the message is marked processed here; with it, nothing is written, so a
    batch needs no savepoint for the messages no flow takes."""
    state = known.state if known is not None else None
    if state is not None:
        conversation: Row | None = state.conversation
    else:
        conversation = await conversations_db.get_conversation(conn, conversation_id)
    if conversation is None:
        return Step("gone")
    if conversation["assigned_user_id"] is not None:
        if known is None:
            await db.mark_processed(conn, message.id, None)
        return Step("human")
    fresh = known.marked if known is not None else await db.mark_processed(conn, message.id, None)
    if not fresh:
        return Step("duplicate")
    stamp = known.stamp if known is not None else None
    session = state.session if state is not None else await db.active_session(conn, conversation_id)
    start: Start | None = None
    if message.reply_to is not None:
        template = await db.template_replied_to(conn, conversation_id, message.reply_to)
        if template is not None:
            start = template_start(await published.load(conn, tenant_id, stamp), template)
    ending: tuple[uuid.UUID, str] | None = None
    if session is not None and (start is not None or session["expires_at"] <= now):
        ending = (session["id"], "replaced" if start is not None else "expired")
        session = None
    if start is None and session is None:
        waiting = (
            state.waiting
            if state is not None
            else await queues_db.is_waiting(conn, conversation_id)
        )
        if waiting:
            # Handed over to a queue: the customer waits for a human, so a new "oi" must not
            # start the menu again (a template reply still does).
            return Routed(conversation, None, None, ending, "queued") if ending else Step("queued")
        start = new_start(await published.load(conn, tenant_id, stamp), inbound_of(message).text)
        if start is None:
            return (
                Routed(conversation, None, None, ending, "no flow") if ending else Step("no flow")
            )
    return Routed(conversation, session, start, ending)
