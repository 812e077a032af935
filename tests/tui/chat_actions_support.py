"""A fake inbox that also knows the chat actions (notes, tags, transfer, canned responses,
suggestions), and a scripted client on it that records every call and lets a test push live
events, as another console's actions would arrive.

It follows the daemon's rules the console relies on: tags normalised by ``TagsUpdate``, a
note's counter on the conversation, a 409 for an agent at capacity, and the events the daemon
publishes after each action (``NoteAdded``, ``ConversationUpdated``), also to the console that
acted.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from pytake_daemon.protocol import ConversationOut, ConversationStatus, EventEnvelope, Me
from pytake_daemon.protocol.agents import AgentList, AgentOut, AgentStatus
from pytake_daemon.protocol.ai import (
    ReplyKind,
    ReplyList,
    ReplyOut,
    Suggestion,
    SuggestionList,
)
from pytake_daemon.protocol.conversations import (
    NoteList,
    NoteOut,
    TagsUpdate,
    TransferRequest,
)
from pytake_daemon.protocol.events import ConversationUpdated, NoteAdded
from pytake_daemon.protocol.queues import QueueList, QueueOut
from pytake_tui import PyTakeApp, build_app
from pytake_tui.client import DaemonClient
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.stream import Connected, Received, StreamEvent

from .fake_daemon import ScriptedClient, _answer, hello_envelope
from .fake_world import BOB_ID, FakeProblem, FakeWorld, demo_world
from .identities import ALICE_EMAIL, FAR_FUTURE, FIXED_AT, TENANT_ID, USER_ID

SERVER = "http://pytake.invalid:8420"
CARLA_AGENT_ID = uuid.UUID("00000000-0000-4000-8000-000000000003")
SALES_ID = uuid.UUID("00000000-0000-4000-8000-0000000a0001")
BILLING_ID = uuid.UUID("00000000-0000-4000-8000-0000000a0002")


def _n(n: int) -> uuid.UUID:
    return uuid.UUID(f"00000000-0000-4000-8000-f0{n:010d}")


def _queue(queue_id: uuid.UUID, name: str, waiting: int) -> QueueOut:
    return QueueOut(
        id=queue_id,
        name=name,
        waiting=waiting,
        assigned=1,
        open_now=True,
        created_at=FIXED_AT,
        updated_at=FIXED_AT,
    )


def _agent(agent_id: uuid.UUID, name: str, status: AgentStatus, active: int) -> AgentOut:
    return AgentOut(
        id=agent_id,
        name=name,
        email=f"{name.split(maxsplit=1)[0].lower()}@example.com",
        role="agent",
        status=status,
        status_changed_at=FIXED_AT,
        capacity=3,
        active=active,
        skills=[],
        departments=[],
        working_hours=None,
        timezone="UTC",
        busy_at_capacity=False,
        last_activity_at=None,
    )


def _reply(n: int, title: str, body: str, kind: ReplyKind = ReplyKind.CANNED) -> ReplyOut:
    return ReplyOut(
        id=_n(n),
        kind=kind,
        title=title,
        body=body,
        intents=[],
        language="en",
        created_at=FIXED_AT,
        updated_at=FIXED_AT,
    )


@dataclass
class ActionsWorld(FakeWorld):
    """The demo inbox plus queues, agents, notes, canned responses and suggestions."""

    notes: dict[uuid.UUID, list[NoteOut]] = field(default_factory=dict)
    queues: list[QueueOut] = field(default_factory=list)
    agents: list[AgentOut] = field(default_factory=list)
    replies: list[ReplyOut] = field(default_factory=list)
    suggestions: dict[uuid.UUID, SuggestionList] = field(default_factory=dict)
    full_agents: set[uuid.UUID] = field(default_factory=set)
    """Agents the daemon will refuse with a 409 (their capacity filled meanwhile)."""

    def add_note(
        self,
        conversation_id: uuid.UUID,
        body: str,
        *,
        author: tuple[uuid.UUID, str],
        ago: timedelta,
    ) -> tuple[ConversationOut, NoteOut]:
        conversation = self.get(conversation_id)
        listed = self.notes.setdefault(conversation_id, [])
        note = NoteOut(
            id=_n(500 + sum(len(n) for n in self.notes.values())),
            conversation_id=conversation_id,
            author_id=author[0],
            author_name=author[1],
            body=body,
            created_at=self.now - ago,
        )
        listed.append(note)
        changed = self.update(conversation.id, notes_count=len(listed))
        return changed, note

    def note_list(self, conversation_id: uuid.UUID) -> NoteList:
        self.get(conversation_id)
        return NoteList(items=self.notes.get(conversation_id, []))

    def set_tags(self, conversation_id: uuid.UUID, tags: list[str]) -> ConversationOut:
        return self.update(conversation_id, tags=TagsUpdate(tags=tags).tags)

    def transfer(
        self, conversation_id: uuid.UUID, request: TransferRequest
    ) -> tuple[ConversationOut, NoteOut | None]:
        self.get(conversation_id)
        if request.agent_id in self.full_agents:
            raise FakeProblem(409, "Conflict", "the agent is at capacity (3 of 3)")
        changed = self.update(conversation_id, assigned_user_id=request.agent_id)
        note = None
        if request.note:
            changed, note = self.add_note(
                conversation_id, request.note, author=(USER_ID, "Alice Example"), ago=timedelta(0)
            )
        return changed, note

    def suggest(self, conversation_id: uuid.UUID) -> SuggestionList:
        self.get(conversation_id)
        return self.suggestions.get(
            conversation_id, SuggestionList(intent="unknown", language="en", items=[])
        )


def actions_world() -> ActionsWorld:
    """:func:`demo_world`'s inbox; Ana is angry and wants to cancel, and has one note."""
    demo = demo_world()
    world = ActionsWorld(
        conversations=demo.conversations,
        messages=demo.messages,
        templates=demo.templates,
        media=demo.media,
    )
    world._numbers = demo._numbers
    ana = next(c for c in world.conversations.values() if c.contact.profile_name == "Ana Souza")
    world.add_message(
        ana,
        "in",
        "This is ridiculous, two weeks late! Cancel my order.",
        ago=timedelta(minutes=3),
    )
    world.add_note(
        ana.id,
        "Second complaint this month: offer the refund first.",
        author=(BOB_ID, "Bob Agent"),
        ago=timedelta(minutes=8),
    )
    world.queues = [_queue(SALES_ID, "Sales", 2), _queue(BILLING_ID, "Billing", 0)]
    world.agents = [
        _agent(USER_ID, "Alice Example", AgentStatus.ONLINE, 1),
        _agent(BOB_ID, "Bob Agent", AgentStatus.ONLINE, 1),
        _agent(CARLA_AGENT_ID, "Carla Reis", AgentStatus.BREAK, 3),
    ]
    world.replies = [
        _reply(1, "Greeting", "Hi {{first_name}}, I'm {{agent_name}}. How can I help?"),
        _reply(2, "Refund policy", "Refunds reach {{phone}}'s card in 5 days.", ReplyKind.SNIPPET),
        _reply(3, "Order number", "Could you send me the order number, {{customer_name}}?"),
    ]
    world.suggestions[ana.id] = SuggestionList(
        intent="complaint",
        language="en",
        items=[
            Suggestion(
                source="builtin",
                reply_id=None,
                title="Apology",
                text="Ana, I'm really sorry about this. I'll take care of your case personally "
                "and get back to you today.",
                score=0.91,
                missing_variables=[],
            ),
            Suggestion(
                source="builtin",
                reply_id=None,
                title="Cancellation",
                text="Ana, I'm sorry it didn't work out. I can cancel right away, but may I "
                "first try to fix what went wrong?",
                score=0.74,
                missing_variables=[],
            ),
            Suggestion(
                source="canned",
                reply_id=_n(3),
                title="Order number",
                text="Could you send me the order number, Ana Souza?",
                score=0.32,
                missing_variables=[],
            ),
        ],
    )
    return world


def envelope(seq: int, event: Any) -> EventEnvelope:
    return EventEnvelope(seq=seq, tenant_id=TENANT_ID, at=FIXED_AT, event=event)


class ActionsClient(ScriptedClient):
    """Records ``(method, path, body)`` of every chat-action call; publishes what the daemon
    would, on a live stream the test may also push to (``push``)."""

    def __init__(self, server: str, world: ActionsWorld, me: Me | None = None) -> None:
        super().__init__(server, [hello_envelope(1)], world, me)
        self.actions_world = world
        self.calls: list[tuple[str, str, Any]] = []
        self._live: asyncio.Queue[EventEnvelope] = asyncio.Queue()
        self._seq = 1

    def push(self, event: Any) -> None:
        """An event as the daemon would send it (from this console's action or another's)."""
        self._seq += 1
        self._live.put_nowait(envelope(self._seq, event))

    async def events(self) -> AsyncGenerator[StreamEvent, None]:
        yield Connected(hello_envelope(1))
        while True:
            yield Received(await self._live.get())

    def _path(self, conversation_id: uuid.UUID, tail: str) -> str:
        return f"/api/v1/conversations/{conversation_id}/{tail}"

    async def notes(self, conversation_id: uuid.UUID) -> NoteList:
        self.calls.append(("GET", self._path(conversation_id, "notes"), None))
        return _answer(lambda: self.actions_world.note_list(conversation_id))

    async def add_note(self, conversation_id: uuid.UUID, body: str) -> NoteOut:
        self.calls.append(("POST", self._path(conversation_id, "notes"), body))
        me = self._me
        conversation, note = _answer(
            lambda: self.actions_world.add_note(
                conversation_id, body.strip(), author=(me.user_id, me.name), ago=timedelta(0)
            )
        )
        self.push(NoteAdded(conversation=conversation, note=note))
        return note

    async def set_tags(self, conversation_id: uuid.UUID, tags: list[str]) -> ConversationOut:
        self.calls.append(("PUT", self._path(conversation_id, "tags"), tags))
        changed = _answer(lambda: self.actions_world.set_tags(conversation_id, tags))
        self.push(ConversationUpdated(conversation=changed))
        return changed

    async def transfer(
        self, conversation_id: uuid.UUID, request: TransferRequest
    ) -> ConversationOut:
        self.calls.append(("POST", self._path(conversation_id, "transfer"), request))
        changed, note = _answer(lambda: self.actions_world.transfer(conversation_id, request))
        self.push(ConversationUpdated(conversation=changed))
        if note is not None:
            self.push(NoteAdded(conversation=changed, note=note))
        return changed

    async def set_status(
        self, conversation_id: uuid.UUID, status: ConversationStatus
    ) -> ConversationOut:
        self.calls.append(("PATCH", self._path(conversation_id, "status"), status))
        return await super().set_status(conversation_id, status)

    async def queues(self) -> QueueList:
        self.calls.append(("GET", "/api/v1/queues", None))
        return QueueList(items=self.actions_world.queues)

    async def agents(self) -> AgentList:
        self.calls.append(("GET", "/api/v1/agents", None))
        return AgentList(items=self.actions_world.agents)

    async def canned_replies(self) -> ReplyList:
        self.calls.append(("GET", "/api/v1/ai/replies", None))
        return ReplyList(items=self.actions_world.replies)

    async def reply_suggestions(self, conversation_id: uuid.UUID) -> SuggestionList:
        self.calls.append(("GET", self._path(conversation_id, "suggestions"), None))
        return _answer(lambda: self.actions_world.suggest(conversation_id))


def actions_app(
    tmp: Path, world: ActionsWorld, me: Me | None = None
) -> tuple[PyTakeApp, ActionsClient]:
    """An app resumed from a saved session on ``world`` (clock at ``FIXED_AT``), and its client;
    ``me`` another identity than Alice the owner (an agent takes the agents' paths)."""
    credentials = tmp / "config" / "credentials.json"
    CredentialStore(credentials).save(
        SavedSession(server=SERVER, token="saved", expires_at=FAR_FUTURE, email=ALICE_EMAIL)
    )
    client = ActionsClient(SERVER, world, me)

    def factory(server: str) -> DaemonClient:
        return client

    app = build_app(
        server=SERVER,
        credentials_path=credentials,
        client_factory=factory,
        clock=lambda: FIXED_AT,
        downloads_dir=tmp / "downloads",
    )
    return app, client
