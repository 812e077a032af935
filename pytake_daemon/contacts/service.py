"""Contact profiles' rules: who sees a contact, how the team's fields change, what a profile
holds. Functions work in the caller's tenant transaction.

Visibility mirrors the conversations' routes: every agent sees every conversation of the
tenant today (``conversations/routes.py``), so every agent sees every contact. It is decided in
:func:`visible_contact` alone, so narrowing it later (agents seeing only their queues'
conversations) changes one function.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from pytake_daemon.contacts import db, views
from pytake_daemon.conversations.cursors import decode, encode
from pytake_daemon.conversations.db import search_patterns
from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import NotFound, UnprocessableEntity
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.contacts import (
    MAX_ATTRIBUTES,
    ContactNoteOut,
    ContactPage,
    ContactProfile,
    ContactQuery,
    ContactUpdate,
)

NOT_FOUND = "no such contact"
NOTES_IN_PROFILE = 20
NOTES_LISTED = 200
"""The latest notes ``GET /api/v1/contacts/{id}/notes`` returns."""
ATTENDANCES_IN_PROFILE = 20
CONVERSATIONS_IN_PROFILE = 20
MOOD_POINTS = 50


@dataclass(frozen=True)
class Viewer:
    user_id: uuid.UUID | None
    role: Role


async def visible_contact(
    conn: Connection, contact_id: uuid.UUID, viewer: Viewer, *, lock: bool = False
) -> asyncpg.Record:
    """The contact if the viewer may see it (today: any of the tenant's), else NotFound."""
    row = await (db.lock_contact if lock else db.get_contact)(conn, contact_id)
    if row is None:
        raise NotFound(NOT_FOUND)
    return row


async def search(conn: Connection, query: ContactQuery) -> ContactPage:
    """A page of contacts, newest first, matching ``q`` when given."""
    after: tuple[datetime, uuid.UUID] | None = None
    if query.cursor:
        at, last_id = decode(query.cursor)
        assert at is not None  # decode() refuses a null timestamp unless nullable
        after = (at, last_id)
    patterns = None
    if query.q is not None and query.q.strip():
        # '@ana' is how the console shows a username: search for the name itself.
        patterns = search_patterns(query.q.strip().removeprefix("@"))
    found = await db.list_contacts(conn, patterns=patterns, after=after, limit=query.limit + 1)
    page = found[: query.limit]
    next_cursor = None
    if len(found) > query.limit:
        next_cursor = encode(page[-1]["created_at"], page[-1]["id"])
    return ContactPage(items=[views.summary_out(r) for r in page], next_cursor=next_cursor)


def audit_view(row: asyncpg.Record) -> dict[str, Any]:
    """What the audit log keeps of the team's fields (attribute values included: they are
    what the team typed, and a change of them is what an audit must show)."""
    return {"name": row["name_override"], "attributes": dict(row["attributes"])}


async def update(
    conn: Connection, contact_id: uuid.UUID, body: ContactUpdate, viewer: Viewer
) -> tuple[asyncpg.Record, asyncpg.Record]:
    """Apply a PATCH; returns the contact before and after (the same row when nothing
    changed). Raises NotFound, UnprocessableEntity (too many attributes)."""
    before = await visible_contact(conn, contact_id, viewer, lock=True)
    given = body.model_fields_set
    name = body.name if "name" in given else before["name_override"]
    attributes: dict[str, Any] = dict(before["attributes"])
    for key, value in (body.attributes or {}).items():
        if value is None:
            attributes.pop(key, None)
        else:
            attributes[key] = value
    if len(attributes) > MAX_ATTRIBUTES:
        raise UnprocessableEntity(
            f"attributes: a contact has at most {MAX_ATTRIBUTES} attributes "
            f"({len(attributes)} with this change)"
        )
    if name == before["name_override"] and attributes == dict(before["attributes"]):
        return before, before
    after = await db.update_profile(conn, contact_id, name_override=name, attributes=attributes)
    assert after is not None  # locked above
    return before, after


async def set_tags(
    conn: Connection, contact_id: uuid.UUID, tags: list[str], viewer: Viewer
) -> tuple[list[str], bool]:
    """Replace the tags (already normalised by the body model); returns the old ones and
    whether anything changed."""
    before = await visible_contact(conn, contact_id, viewer, lock=True)
    return list(before["tags"]), await db.set_tags(conn, contact_id, tags)


async def add_note(
    conn: Connection, contact_id: uuid.UUID, body: str, viewer: Viewer
) -> ContactNoteOut:
    await visible_contact(conn, contact_id, viewer)
    return await db.insert_note(conn, contact_id, viewer.user_id, body)


async def profile(conn: Connection, contact_id: uuid.UUID, viewer: Viewer) -> ContactProfile:
    """Everything the side panel shows, each part bounded."""
    row = await visible_contact(conn, contact_id, viewer)
    return await profile_of(conn, row)


async def profile_of(conn: Connection, row: asyncpg.Record) -> ContactProfile:
    """The profile of a contact row already read (and checked) in this transaction."""
    contact_id = row["id"]
    notes = await db.list_notes(conn, contact_id, limit=NOTES_IN_PROFILE)
    conversations = await db.conversations_of(conn, contact_id, limit=CONVERSATIONS_IN_PROFILE)
    attendances = await db.attendances_of(conn, contact_id, limit=ATTENDANCES_IN_PROFILE)
    mood = await db.mood_of(conn, contact_id, limit=MOOD_POINTS)
    ratings = [a.rating for a in attendances if a.rating is not None]
    contact = views.contact_out(row)
    return rows.of(
        ContactProfile,
        row,
        contact=contact,
        name=views.name_of(row, contact),
        phone=views.phone_of(contact),
        notes=notes,
        conversations=conversations,
        attendances=attendances,
        rating_average=round(sum(ratings) / len(ratings), 2) if ratings else None,
        mood=mood,
    )
