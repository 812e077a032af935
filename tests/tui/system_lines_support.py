"""The chat actions' fake inbox with a conversation's life (issue 17): each message page carries
its system lines, as the daemon's ``MessageList.events`` do, and conversations name who attends
them and from which queue.

Ana's thread: queued in Support, Bob took it, closed, rated ★★★★, reopened, assigned to Alice
past capacity by Carla, a note by Bob. Carla Dias is Bob's in Billing; Bruno Lima waits in Sales.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields
from datetime import timedelta
from typing import Any

from pytake_daemon.protocol import MessageList
from pytake_daemon.protocol.conversations import ConversationEventOut, NamedRef, TimelineKind

from .chat_actions_support import BILLING_ID, CARLA_AGENT_ID, SALES_ID, ActionsWorld, actions_world
from .fake_world import BOB_ID
from .identities import USER_ID

SUPPORT_ID = uuid.UUID("00000000-0000-4000-8000-0000000a0003")
ALICE = NamedRef(id=USER_ID, name="Alice Example")
BOB = NamedRef(id=BOB_ID, name="Bob Agent")
CARLA = NamedRef(id=CARLA_AGENT_ID, name="Carla Reis")
SUPPORT = NamedRef(id=SUPPORT_ID, name="Support")
SALES = NamedRef(id=SALES_ID, name="Sales")
BILLING = NamedRef(id=BILLING_ID, name="Billing")


@dataclass
class LifeWorld(ActionsWorld):
    """Pages carry their system lines (all on the one page: the fake never pages)."""

    events: dict[uuid.UUID, list[ConversationEventOut]] = field(default_factory=dict)

    def page(self, conversation_id: uuid.UUID) -> MessageList:
        lines = sorted(self.events.get(conversation_id, []), key=lambda e: e.at, reverse=True)
        return super().page(conversation_id).model_copy(update={"events": lines})

    def add_event(
        self, conversation_id: uuid.UUID, kind: TimelineKind, *, ago: timedelta, **refs: Any
    ) -> ConversationEventOut:
        """A system line ``ago`` before the clock (``actor``, ``agent``, ``queue``, ``detail``)."""
        listed = self.events.setdefault(conversation_id, [])
        event = ConversationEventOut(
            id=uuid.UUID(f"00000000-0000-4000-8000-e0{len(listed) + 1:010d}"),
            conversation_id=conversation_id,
            kind=kind,
            at=self.now - ago,
            **refs,
        )
        listed.append(event)
        return event


def life_world() -> LifeWorld:
    """:func:`actions_world` with Ana's life, and who attends each conversation."""
    base = actions_world()
    world = LifeWorld(**{f.name: getattr(base, f.name) for f in fields(base) if f.init})
    by_name = {c.contact.profile_name: c for c in world.conversations.values()}
    ana = by_name["Ana Souza"].id
    world.update(ana, assignee=ALICE, queue=SUPPORT)
    world.update(by_name["Carla Dias"].id, assignee=BOB, queue=BILLING)
    world.update(by_name["Bruno Lima"].id, queue=SALES)
    minutes = timedelta(minutes=1)
    world.add_event(ana, TimelineKind.QUEUED, ago=40.5 * minutes, queue=SUPPORT)
    world.add_event(
        ana, TimelineKind.ASSIGNED, ago=39.5 * minutes, actor=BOB, agent=BOB, queue=SUPPORT
    )
    world.add_event(ana, TimelineKind.CLOSED, ago=25 * minutes, actor=BOB, agent=BOB)
    world.add_event(ana, TimelineKind.RATED, ago=24 * minutes, agent=BOB, detail={"rating": 4})
    world.add_event(ana, TimelineKind.REOPENED, ago=21 * minutes, queue=SUPPORT)
    world.add_event(
        ana,
        TimelineKind.ASSIGNED,
        ago=20.5 * minutes,
        actor=CARLA,
        agent=ALICE,
        queue=SUPPORT,
        detail={"override_capacity": True},
    )
    world.add_event(ana, TimelineKind.NOTE_ADDED, ago=8 * minutes, actor=BOB)
    return world
