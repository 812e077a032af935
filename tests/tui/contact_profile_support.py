"""A scripted daemon for the contact profile panel and the contact finder: profiles in memory
under the daemon's rules (attributes merged, None removes; ``name`` None gives Meta's name
back; tags trimmed, lower-cased and sorted; notes newest first; search from three characters
over name, @username, phone digits and BSUID), every call recorded, and the fixed customers of
the tests and snapshots: Ana of the demo inbox with a history, and Mari, a username customer
with a hidden phone and no conversation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from pytake_daemon.protocol import ContactOut, EventEnvelope, Me, Role
from pytake_daemon.protocol.contacts import (
    HIDDEN_PHONE,
    AttendanceOut,
    ContactNoteList,
    ContactNoteOut,
    ContactPage,
    ContactProfile,
    ContactSummary,
    ContactUpdate,
    MoodPoint,
)
from pytake_daemon.protocol.conversations import TagsUpdate
from pytake_daemon.protocol.queues import ItemStatus
from pytake_tui import PyTakeApp, build_app
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.credentials import CredentialStore, SavedSession

from .canned_replies_support import RepliesClient, RepliesWorld
from .dashboard_support import me_as
from .fake_daemon import hello_envelope
from .fake_world import BOB_ID, FakeWorld, demo_world
from .identities import ALICE_EMAIL, FAR_FUTURE, FIXED_AT, USER_ID

SERVER = "http://pytake.invalid:8420"
SUPPORT_QUEUE = uuid.UUID("00000000-0000-4000-8000-00000000c0e1")
MARI_ID = uuid.UUID("00000000-0000-4000-8000-00000000a4a1")
MARI_BSUID = "BR.88120945551203"
_SENTIMENTS = (-0.7, -0.5, -0.6, -0.2, 0.0, 0.1, -0.1, 0.3, 0.5, 0.4, 0.7, 0.8)


def _mood(conversation_id: uuid.UUID) -> list[MoodPoint]:
    return [
        MoodPoint(
            message_id=uuid.UUID(int=0xA00 + n),
            conversation_id=conversation_id,
            at=FIXED_AT - timedelta(days=12 - n),
            sentiment=s,
            label="negative" if s < -0.25 else "positive" if s > 0.25 else "neutral",
        )
        for n, s in enumerate(_SENTIMENTS)
    ]


def _attendance(
    n: int, conversation_id: uuid.UUID, outcome: ItemStatus, agent: str | None, rating: int | None
) -> AttendanceOut:
    entered = FIXED_AT - timedelta(days=3 * n + 1)
    return AttendanceOut(
        item_id=uuid.UUID(int=0xB00 + n),
        conversation_id=conversation_id,
        queue_id=SUPPORT_QUEUE,
        queue_name="Support" if n % 2 == 0 else "Billing",
        agent_id=None if agent is None else (USER_ID if agent == "Alice Example" else BOB_ID),
        agent_name=agent,
        outcome=outcome,
        entered_at=entered,
        ended_at=None if outcome is ItemStatus.ASSIGNED else entered + timedelta(minutes=20),
        rating=rating,
        rating_comment=None,
    )


def _note(n: int, contact_id: uuid.UUID, author: str, body: str, ago: timedelta) -> ContactNoteOut:
    return ContactNoteOut(
        id=uuid.UUID(int=0xD00 + n),
        contact_id=contact_id,
        author_id=USER_ID if author == "Alice Example" else BOB_ID,
        author_name=author,
        body=body,
        created_at=FIXED_AT - ago,
    )


def _profile(contact: ContactOut, **fields: Any) -> ContactProfile:
    phone = f"+{contact.wa_id}" if contact.wa_id else HIDDEN_PHONE
    values: dict[str, Any] = {
        "contact": contact,
        "name": contact.display_name,
        "name_override": None,
        "phone": phone,
        "tags": [],
        "attributes": {},
        "created_at": FIXED_AT - timedelta(days=40),
        "notes": [],
        "conversations": [],
        "attendances": [],
        "rating_average": None,
        "mood": [],
    }
    return ContactProfile(**(values | fields))


@dataclass
class ContactsWorld:
    """Profiles by contact id, and the calls the console made."""

    profiles: dict[uuid.UUID, ContactProfile] = field(default_factory=dict)
    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    notes_added: int = 0

    def get(self, contact_id: uuid.UUID) -> ContactProfile:
        if contact_id not in self.profiles:
            raise DaemonError(404, "Not Found", "no such contact")
        return self.profiles[contact_id]

    def search(self, text: str) -> ContactPage:
        needle = text.strip().lower().removeprefix("@")
        digits = "".join(ch for ch in needle if ch.isdigit())
        items = [
            ContactSummary(
                contact=p.contact, name=p.name, phone=p.phone, tags=p.tags, created_at=p.created_at
            )
            for p in self.profiles.values()
            if needle in p.name.lower()
            or needle in (p.contact.username or "")
            or needle in (p.contact.bsuid or "").lower()
            or (len(digits) >= 3 and digits in (p.contact.wa_id or ""))
        ]
        return ContactPage(items=items, next_cursor=None)

    def update(self, contact_id: uuid.UUID, change: ContactUpdate) -> ContactProfile:
        before = self.get(contact_id)
        values = change.model_dump(exclude_unset=True)
        update: dict[str, Any] = {}
        if "name" in values:
            update["name_override"] = values["name"]
            update["name"] = values["name"] or before.contact.display_name
        if "attributes" in values:
            merged = dict(before.attributes)
            for key, value in values["attributes"].items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            update["attributes"] = merged
        after = before.model_copy(update=update)
        self.profiles[contact_id] = after
        return after

    def set_tags(self, contact_id: uuid.UUID, tags: list[str]) -> ContactProfile:
        after = self.get(contact_id).model_copy(update={"tags": TagsUpdate(tags=tags).tags})
        self.profiles[contact_id] = after
        return after

    def add_note(self, contact_id: uuid.UUID, body: str, me: Me) -> ContactNoteOut:
        before = self.get(contact_id)
        self.notes_added += 1
        note = ContactNoteOut(
            id=uuid.UUID(int=0xE00 + self.notes_added),
            contact_id=contact_id,
            author_id=me.user_id,
            author_name=me.name,
            body=body.strip(),
            created_at=FIXED_AT,
        )
        self.profiles[contact_id] = before.model_copy(update={"notes": [note, *before.notes]})
        return note


def contacts_world(inbox: FakeWorld) -> ContactsWorld:
    """A profile for each customer of ``inbox``; Ana's with a history; Mari with none."""
    world = ContactsWorld()
    for conversation in inbox.conversations.values():
        world.profiles[conversation.contact.id] = _profile(conversation.contact)
    ana_conversation = next(
        c for c in inbox.conversations.values() if c.contact.profile_name == "Ana Souza"
    )
    ana = ana_conversation.contact
    world.profiles[ana.id] = _profile(
        ana,
        name="Ana Souza (VIP)",
        name_override="Ana Souza (VIP)",
        tags=["late-delivery", "vip"],
        attributes={"city": "Recife", "plan": "gold", "order_id": "A-2291"},
        notes=[
            _note(1, ana.id, "Bob Agent", "Prefers e-mail for invoices", timedelta(days=2)),
            _note(2, ana.id, "Alice Example", "Asked twice about pix", timedelta(days=9)),
        ],
        attendances=[
            _attendance(0, ana_conversation.id, ItemStatus.ASSIGNED, "Alice Example", None),
            _attendance(1, ana_conversation.id, ItemStatus.COMPLETED, "Bob Agent", 5),
            _attendance(2, ana_conversation.id, ItemStatus.TRANSFERRED, "Bob Agent", None),
            _attendance(3, ana_conversation.id, ItemStatus.ABANDONED, None, None),
            _attendance(4, ana_conversation.id, ItemStatus.COMPLETED, "Alice Example", 3),
        ],
        rating_average=4.0,
        mood=_mood(ana_conversation.id),
    )
    mari = ContactOut(
        id=MARI_ID, wa_id=None, profile_name=None, bsuid=MARI_BSUID, username="mari.lima"
    )
    world.profiles[MARI_ID] = _profile(mari, tags=["lead"])
    return world


class ProfileClient(RepliesClient):
    """The scripted chat client with replies and the contact calls."""

    def __init__(
        self,
        server: str,
        contacts: ContactsWorld,
        me: Me,
        envelopes: list[EventEnvelope],
        inbox: FakeWorld,
    ) -> None:
        super().__init__(server, RepliesWorld(), me, envelopes, inbox)
        self.people = contacts

    async def search_contacts(self, text: str, *, limit: int = 20) -> ContactPage:
        self.people.calls.append(("GET", "contacts", text))
        return self.people.search(text)

    async def contact_profile(self, contact_id: uuid.UUID) -> ContactProfile:
        self.people.calls.append(("GET", str(contact_id), None))
        return self.people.get(contact_id)

    async def update_contact(self, contact_id: uuid.UUID, change: ContactUpdate) -> ContactProfile:
        self.people.calls.append(("PATCH", str(contact_id), change))
        return self.people.update(contact_id, change)

    async def set_contact_tags(self, contact_id: uuid.UUID, tags: list[str]) -> ContactProfile:
        self.people.calls.append(("PUT", str(contact_id), tags))
        return self.people.set_tags(contact_id, tags)

    async def contact_notes(self, contact_id: uuid.UUID) -> ContactNoteList:
        return ContactNoteList(items=self.people.get(contact_id).notes)

    async def add_contact_note(self, contact_id: uuid.UUID, body: str) -> ContactNoteOut:
        self.people.calls.append(("POST", str(contact_id), body))
        return self.people.add_note(contact_id, body, self._me)


def profile_app(
    tmp: Path, *, inbox: FakeWorld | None = None, contacts: ContactsWorld | None = None
) -> tuple[PyTakeApp, ContactsWorld, FakeWorld]:
    """The chat as Alice (an agent) over the demo inbox and its customers' profiles."""
    credentials = tmp / "config" / "credentials.json"
    CredentialStore(credentials).save(
        SavedSession(server=SERVER, token="saved", expires_at=FAR_FUTURE, email=ALICE_EMAIL)
    )
    world = inbox or demo_world()
    profiles = contacts or contacts_world(world)
    who = me_as(Role.AGENT)

    def client(server: str) -> DaemonClient:
        return ProfileClient(server, profiles, who, [hello_envelope(1)], world)

    app = build_app(
        server=SERVER,
        credentials_path=credentials,
        client_factory=client,
        clock=lambda: FIXED_AT,
        downloads_dir=tmp / "downloads",
    )
    return app, profiles, world
