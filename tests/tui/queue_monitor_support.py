"""A tenant's queues in memory for the queue monitor's tests, snapshots and bench: queues, items,
agents and AI alerts with fixed data, served by :class:`QueueClient` in-process.

The rules the monitor relies on are the daemon's: an agent at capacity is a 409, an ended item
can't move, only a waiting item's priority changes, a transfer ends the item and starts another.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from pytake_daemon.protocol import EventEnvelope, Me, MessageStatus, Role
from pytake_daemon.protocol.ai import AlertList, AlertOut, AlertQuery, AlertRule
from pytake_daemon.protocol.queues import (
    AgentLoad,
    AssignResult,
    Dashboard,
    ItemQuery,
    ItemStatus,
    Priority,
    QueueItemList,
    QueueItemOut,
    QueueList,
    QueueOut,
    QueueSummary,
)
from pytake_tui import PyTakeApp, build_app
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.stream import Disconnected, StreamEvent

from .fake_daemon import ScriptedClient, alice, hello_envelope
from .fake_world import FakeWorld
from .identities import ALICE_EMAIL, FAR_FUTURE, FIXED_AT, TENANT_ID

SERVER = "http://pytake.invalid:8420"
SUPPORT = uuid.UUID("00000000-0000-4000-8000-0000000a0001")
BILLING = uuid.UUID("00000000-0000-4000-8000-0000000a0002")
BRUNO = uuid.UUID("00000000-0000-4000-8000-0000000b0001")
CARLA = uuid.UUID("00000000-0000-4000-8000-0000000b0002")
DORA = uuid.UUID("00000000-0000-4000-8000-0000000b0003")


def item_id(n: int) -> uuid.UUID:
    return uuid.UUID(f"00000000-0000-4000-8000-0c{n:010d}")


def conversation_id(n: int) -> uuid.UUID:
    """The fake inbox's ids (``FakeWorld.add_conversation(n, …)``)."""
    return uuid.UUID(f"00000000-0000-4000-8000-c0{n:010d}")


@dataclass
class QueueWorld:
    """Queues, their items and agents; ``now`` is the app's fixed clock."""

    now: datetime = FIXED_AT
    queues: dict[uuid.UUID, str] = field(default_factory=dict)
    items: dict[uuid.UUID, QueueItemOut] = field(default_factory=dict)
    agents: dict[uuid.UUID, AgentLoad] = field(default_factory=dict)
    alerts: list[AlertOut] = field(default_factory=list)
    inbox: FakeWorld = field(default_factory=FakeWorld)
    _next: int = 1000

    def add_queue(self, queue_id: uuid.UUID, name: str) -> None:
        self.queues[queue_id] = name

    def add_agent(self, agent_id: uuid.UUID, name: str, status: str, active: int, cap: int) -> None:
        self.agents[agent_id] = AgentLoad(
            agent_id=agent_id, name=name, status=status, active=active, capacity=cap
        )

    def add_item(
        self,
        n: int,
        queue_id: uuid.UUID,
        name: str | None,
        *,
        waited: timedelta,
        priority: Priority = Priority.NORMAL,
        status: ItemStatus = ItemStatus.WAITING,
        agent: uuid.UUID | None = None,
        handled: timedelta | None = None,
        sentiment: str | None = None,
        last_message: str | None = None,
        rating: int | None = None,
    ) -> QueueItemOut:
        entered = self.now - waited
        assigned_at = ended_at = None
        if status is not ItemStatus.WAITING and agent is not None:
            assigned_at = entered + timedelta(minutes=1)
        if status not in (ItemStatus.WAITING, ItemStatus.ASSIGNED):
            ended_at = (assigned_at or entered) + (handled or timedelta(minutes=2))
        item = QueueItemOut.model_validate(
            {
                "id": item_id(n),
                "queue_id": queue_id,
                "conversation_id": conversation_id(n),
                "contact_wa_id": f"55119999{n:05d}",
                "contact_name": name,
                "priority": priority,
                "status": status,
                "agent_id": agent,
                "source": "flow",
                "position": None,
                "entered_at": entered,
                "wait_deadline": None,
                "assigned_at": assigned_at,
                "ended_at": ended_at,
                "wait_seconds": ((assigned_at or ended_at or self.now) - entered).total_seconds(),
                "sentiment": sentiment,
                "last_message": last_message,
                "rating": rating,
            }
        )
        self.items[item.id] = item
        return item

    def add_alert(self, n: int, rule: AlertRule, detail: str, ago: timedelta) -> AlertOut:
        alert = AlertOut(
            id=uuid.UUID(f"00000000-0000-4000-8000-0000000d{n:04d}"),
            conversation_id=conversation_id(n),
            rule=rule,
            message_id=None,
            detail=detail,
            created_at=self.now - ago,
        )
        self.alerts.insert(0, alert)
        return alert

    # What the API answers

    def queue_list(self) -> QueueList:
        return QueueList(
            items=[
                QueueOut(
                    id=queue_id,
                    name=name,
                    waiting=self._count(queue_id, ItemStatus.WAITING),
                    assigned=self._count(queue_id, ItemStatus.ASSIGNED),
                    open_now=True,
                    created_at=self.now,
                    updated_at=self.now,
                )
                for queue_id, name in sorted(self.queues.items(), key=lambda q: q[1])
            ]
        )

    def _count(self, queue_id: uuid.UUID, status: ItemStatus) -> int:
        return sum(1 for i in self.items.values() if i.queue_id == queue_id and i.status == status)

    def dashboard(self) -> Dashboard:
        # One pass over the items: the bench keeps 10,000 of them in the app's own process
        # (a daemon answers from its database, in another one), and a pass per figure and
        # queue held the app's event loop for tens of milliseconds every dashboard read.
        statuses: dict[uuid.UUID, Counter[ItemStatus]] = {q: Counter() for q in self.queues}
        urgent: Counter[uuid.UUID] = Counter()
        waits: dict[uuid.UUID, list[float]] = {q: [] for q in self.queues}
        for i in self.items.values():
            if i.queue_id not in statuses:
                continue
            statuses[i.queue_id][i.status] += 1
            if i.status == ItemStatus.WAITING and i.priority == Priority.URGENT:
                urgent[i.queue_id] += 1
            if i.assigned_at is not None:
                waits[i.queue_id].append(i.wait_seconds)
        summaries = []
        for queue_id, name in sorted(self.queues.items(), key=lambda q: q[1]):
            counts, started = statuses[queue_id], waits[queue_id]
            summaries.append(
                QueueSummary(
                    queue_id=queue_id,
                    name=name,
                    waiting=counts[ItemStatus.WAITING],
                    assigned=counts[ItemStatus.ASSIGNED],
                    urgent_waiting=urgent[queue_id],
                    oldest_wait_seconds=None,
                    open_now=True,
                    completed_today=counts[ItemStatus.COMPLETED],
                    abandoned_today=counts[ItemStatus.ABANDONED] + counts[ItemStatus.TIMED_OUT],
                    avg_wait_seconds_today=sum(started) / len(started) if started else None,
                )
            )
        return Dashboard(queues=summaries, agents=list(self.agents.values()), recent=[])

    def item_list(self, queue_id: uuid.UUID, query: ItemQuery) -> QueueItemList:
        mine = [i for i in self.items.values() if i.queue_id == queue_id]
        if query.status == "ended":
            ended = [i for i in mine if i.ended_at is not None]
            ended.sort(key=lambda i: i.ended_at or self.now, reverse=True)
            return QueueItemList(items=ended[: query.limit])
        wanted = {
            "active": (ItemStatus.WAITING, ItemStatus.ASSIGNED),
            "waiting": (ItemStatus.WAITING,),
            "assigned": (ItemStatus.ASSIGNED,),
        }[query.status]
        active = [i for i in mine if i.status in wanted]
        active.sort(key=lambda i: (i.status != ItemStatus.WAITING, -i.priority, i.entered_at))
        items = []
        for position, item in enumerate(active, start=1):
            waiting = item.status == ItemStatus.WAITING
            items.append(item.model_copy(update={"position": position if waiting else None}))
        return QueueItemList(items=items[: query.limit])

    def _active(self, queue_id: uuid.UUID, item: uuid.UUID) -> QueueItemOut:
        found = self.items.get(item)
        if found is None or found.queue_id != queue_id:
            raise DaemonError(404, "Not Found", "no such item in this queue")
        if found.status not in (ItemStatus.WAITING, ItemStatus.ASSIGNED):
            raise DaemonError(409, "Conflict", f"this item has already ended ({found.status})")
        return found

    def assign(
        self, queue_id: uuid.UUID, item: uuid.UUID, agent_id: uuid.UUID, *, override: bool = False
    ) -> AssignResult:
        found = self._active(queue_id, item)
        agent = self.agents.get(agent_id)
        if agent is None:
            raise DaemonError(404, "Not Found", "no such agent")
        if agent.active >= agent.capacity and not override:
            raise DaemonError(
                409, "Conflict", f"the agent is at capacity ({agent.active} of {agent.capacity})"
            )
        self.agents[agent_id] = agent.model_copy(update={"active": agent.active + 1})
        assigned = found.model_copy(
            update={
                "status": ItemStatus.ASSIGNED,
                "agent_id": agent_id,
                "assigned_at": self.now,
                "position": None,
            }
        )
        self.items[item] = assigned
        return AssignResult(items=[assigned])

    def transfer(self, queue_id: uuid.UUID, item: uuid.UUID, to_queue: uuid.UUID) -> AssignResult:
        found = self._active(queue_id, item)
        if to_queue not in self.queues:
            raise DaemonError(404, "Not Found", "no such target queue")
        self.items[item] = found.model_copy(
            update={"status": ItemStatus.TRANSFERRED, "ended_at": self.now}
        )
        self._next += 1
        moved = found.model_copy(
            update={
                "id": item_id(self._next),
                "queue_id": to_queue,
                "status": ItemStatus.WAITING,
                "agent_id": None,
                "assigned_at": None,
                "source": "transfer",
            }
        )
        self.items[moved.id] = moved
        return AssignResult(items=[moved])

    def set_priority(
        self, queue_id: uuid.UUID, item: uuid.UUID, priority: Priority
    ) -> QueueItemOut:
        found = self._active(queue_id, item)
        if found.status != ItemStatus.WAITING:
            raise DaemonError(409, "Conflict", "only a waiting item's priority can change")
        changed = found.model_copy(update={"priority": priority})
        self.items[item] = changed
        return changed


def demo_queues() -> QueueWorld:
    """Two queues: Support with five waiting (one urgent, one high, one angry customer with an
    alert), Billing with two; two attendances; three ended ones (one rated)."""
    world = QueueWorld()
    world.add_queue(SUPPORT, "Support")
    world.add_queue(BILLING, "Billing")
    world.add_agent(BRUNO, "Bruno Lima", "online", 1, 3)
    world.add_agent(CARLA, "Carla Dias", "busy", 2, 2)
    world.add_agent(DORA, "Dora Melo", "offline", 0, 3)
    minutes = timedelta(minutes=1)
    world.add_item(1, SUPPORT, "Ana Souza", waited=12 * minutes, sentiment="neutral")
    world.add_item(2, SUPPORT, "Caio Prado", waited=9 * minutes, sentiment="negative")
    world.add_item(3, SUPPORT, None, waited=4 * minutes)
    world.add_item(4, SUPPORT, "Eva Nunes", waited=2 * minutes, priority=Priority.URGENT)
    world.add_item(5, SUPPORT, "Fabio Reis", waited=1 * minutes, priority=Priority.HIGH)
    world.add_item(6, BILLING, "Gil Moura", waited=7 * minutes, sentiment="positive")
    world.add_item(7, BILLING, "Hana Ito", waited=3 * minutes)
    world.add_item(
        8,
        SUPPORT,
        "Iris Lopes",
        waited=20 * minutes,
        status=ItemStatus.ASSIGNED,
        agent=BRUNO,
        last_message="The invoice still shows the old address",
    )
    world.add_item(
        9,
        BILLING,
        "João Alves",
        waited=31 * minutes,
        status=ItemStatus.ASSIGNED,
        agent=CARLA,
        sentiment="negative",
        last_message="This is the third time I ask!!",
    )
    world.add_item(
        10,
        SUPPORT,
        "Kika Rocha",
        waited=50 * minutes,
        status=ItemStatus.COMPLETED,
        agent=BRUNO,
        handled=8 * minutes,
        rating=5,
    )
    world.add_item(11, SUPPORT, "Leo Dias", waited=40 * minutes, status=ItemStatus.ABANDONED)
    world.add_item(12, BILLING, "Mia Tanaka", waited=45 * minutes, status=ItemStatus.TIMED_OUT)
    world.add_alert(9, AlertRule.STRONGLY_NEGATIVE, "very negative message", 2 * minutes)
    conversation = world.inbox.add_conversation(2, "Caio Prado", "5511999900002")
    world.inbox.add_message(
        conversation, "in", "My order never arrived", ago=10 * minutes, status=MessageStatus.READ
    )
    world.inbox.add_message(
        conversation,
        "in",
        "Hello?? Anyone there? This is ridiculous",
        ago=9 * minutes,
        status=MessageStatus.READ,
    )
    return world


def supervisor() -> Me:
    return alice().model_copy(update={"role": Role.SUPERVISOR, "name": "Sam Supervisor"})


class QueueClient(ScriptedClient):
    """The scripted client with the queue endpoints of a :class:`QueueWorld`."""

    def __init__(
        self, server: str, envelopes: list[EventEnvelope], world: QueueWorld, me: Me
    ) -> None:
        super().__init__(server, envelopes, world.inbox, me)
        self.queue_world = world
        self.item_reads = 0
        self.unreachable = False
        """The event stream never connects (the header shows it)."""

    async def events(self) -> AsyncGenerator[StreamEvent, None]:
        if not self.unreachable:
            async with aclosing(super().events()) as items:
                async for item in items:
                    yield item
            return
        yield Disconnected(f"cannot reach {self.server}", retry_in=4.0)
        await asyncio.Event().wait()

    async def queues(self) -> QueueList:
        return self.queue_world.queue_list()

    async def queue_dashboard(self) -> Dashboard:
        return self.queue_world.dashboard()

    async def queue_items(self, queue_id: uuid.UUID, query: ItemQuery) -> QueueItemList:
        self.item_reads += 1
        return self.queue_world.item_list(queue_id, query)

    async def assign_item(
        self,
        queue_id: uuid.UUID,
        item_id: uuid.UUID,
        agent_id: uuid.UUID,
        *,
        override_capacity: bool = False,
    ) -> AssignResult:
        return self.queue_world.assign(queue_id, item_id, agent_id, override=override_capacity)

    async def transfer_item(
        self, queue_id: uuid.UUID, item_id: uuid.UUID, to_queue_id: uuid.UUID
    ) -> AssignResult:
        return self.queue_world.transfer(queue_id, item_id, to_queue_id)

    async def set_item_priority(
        self, queue_id: uuid.UUID, item_id: uuid.UUID, priority: Priority
    ) -> QueueItemOut:
        return self.queue_world.set_priority(queue_id, item_id, priority)

    async def ai_alerts(self, query: AlertQuery) -> AlertList:
        return AlertList(items=self.queue_world.alerts[: query.limit])


def queue_app(
    tmp: Path,
    world: QueueWorld,
    *,
    envelopes: list[EventEnvelope] | None = None,
    me: Me | None = None,
    unreachable: bool = False,
) -> PyTakeApp:
    """An app resumed from a saved session as a supervisor, clock at ``FIXED_AT``."""
    credentials = tmp / "config" / "credentials.json"
    CredentialStore(credentials).save(
        SavedSession(server=SERVER, token="saved", expires_at=FAR_FUTURE, email=ALICE_EMAIL)
    )
    stream = envelopes or [hello_envelope(1)]

    def client(server: str) -> DaemonClient:
        made = QueueClient(server, stream, world, me or supervisor())
        made.unreachable = unreachable
        return made

    return build_app(
        server=SERVER,
        credentials_path=credentials,
        client_factory=client,
        clock=lambda: world.now,
        downloads_dir=tmp / "downloads",
    )


def envelope(seq: int, event: object) -> EventEnvelope:
    return EventEnvelope.model_validate(
        {"seq": seq, "tenant_id": TENANT_ID, "at": FIXED_AT, "event": event}
    )
