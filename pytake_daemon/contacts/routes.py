"""``/api/v1/contacts``: contact search and profiles (the console's side panel), and the team's
fields on a contact: name, attributes, tags, notes.

Every agent reads and edits them (``service.visible_contact`` holds the visibility rule); each
write happens in one transaction with its audit record.
"""

from __future__ import annotations

from aiohttp import web

from pytake_daemon.audit.entries import difference
from pytake_daemon.audit.http import audit_in
from pytake_daemon.contacts import db, service
from pytake_daemon.db.pool import tenant_transaction
from pytake_daemon.http.api import RouteTable, identity, path_uuid
from pytake_daemon.keys import DB_POOL, EVENT_BUS
from pytake_daemon.protocol import EventEnvelope, Role
from pytake_daemon.protocol.contacts import (
    ContactNoteList,
    ContactNoteOut,
    ContactPage,
    ContactProfile,
    ContactQuery,
    ContactUpdate,
)
from pytake_daemon.protocol.conversations import NoteCreate, TagsUpdate
from pytake_daemon.protocol.events import ContactUpdated
from pytake_daemon.realtime.bus import number_events

routes = RouteTable(tag="contacts")


def _updated(profile: ContactProfile) -> ContactUpdated:
    """What consoles and outbound webhooks (contact.updated) are told of a change."""
    return ContactUpdated(
        contact=profile.contact,
        name=profile.name,
        tags=profile.tags,
        attributes=profile.attributes,
    )


def _viewer(request: web.Request) -> service.Viewer:
    caller = identity(request)
    return service.Viewer(caller.user_id, caller.role)


@routes.get(
    "/api/v1/contacts",
    summary="Contacts, newest first; ?q= searches name, @username, phone digits and BSUID",
    query=ContactQuery,
    response=ContactPage,
    role=Role.AGENT,
    errors=(400,),
)
async def list_contacts(request: web.Request, query: ContactQuery) -> ContactPage:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        return await service.search(conn, query)


@routes.get(
    "/api/v1/contacts/{id}",
    summary="A contact's profile: identity, tags, attributes, notes, past attendances with "
    "their outcome and rating, mood over time",
    response=ContactProfile,
    role=Role.AGENT,
    errors=(404,),
)
async def get_contact(request: web.Request) -> ContactProfile:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        return await service.profile(conn, path_uuid(request), _viewer(request))


@routes.patch(
    "/api/v1/contacts/{id}",
    summary="Change the team's name for a contact and its custom attributes (merged; null removes)",
    body=ContactUpdate,
    response=ContactProfile,
    role=Role.AGENT,
    errors=(404, 422),
)
async def update_contact(request: web.Request, body: ContactUpdate) -> ContactProfile:
    caller = identity(request)
    contact_id = path_uuid(request)
    announced: list[EventEnvelope] = []
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        before, after = await service.update(conn, contact_id, body, _viewer(request))
        profile = await service.profile_of(conn, after)
        if after is not before:
            await audit_in(
                request,
                conn,
                "contact.update",
                target_type="contact",
                target_id=contact_id,
                diff=difference(service.audit_view(before), service.audit_view(after)),
            )
            announced = await number_events(conn, caller.tenant_id, [_updated(profile)])
    await request.app[EVENT_BUS].deliver(announced)
    return profile


@routes.put(
    "/api/v1/contacts/{id}/tags",
    summary="Replace a contact's tags (trimmed, lower-cased, sorted)",
    body=TagsUpdate,
    response=ContactProfile,
    role=Role.AGENT,
    errors=(404,),
)
async def set_contact_tags(request: web.Request, body: TagsUpdate) -> ContactProfile:
    caller = identity(request)
    contact_id = path_uuid(request)
    viewer = _viewer(request)
    announced: list[EventEnvelope] = []
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        before, changed = await service.set_tags(conn, contact_id, body.tags, viewer)
        profile = await service.profile(conn, contact_id, viewer)
        if changed:
            await audit_in(
                request,
                conn,
                "contact.tags",
                target_type="contact",
                target_id=contact_id,
                diff=difference({"tags": before}, {"tags": body.tags}),
            )
            announced = await number_events(conn, caller.tenant_id, [_updated(profile)])
    await request.app[EVENT_BUS].deliver(announced)
    return profile


@routes.get(
    "/api/v1/contacts/{id}/notes",
    summary="A contact's notes, newest first (the latest 200)",
    response=ContactNoteList,
    role=Role.AGENT,
    errors=(404,),
)
async def list_contact_notes(request: web.Request) -> ContactNoteList:
    caller = identity(request)
    contact_id = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        await service.visible_contact(conn, contact_id, _viewer(request))
        rows = await db.list_notes(conn, contact_id, limit=service.NOTES_LISTED)
    return ContactNoteList(items=rows)


@routes.post(
    "/api/v1/contacts/{id}/notes",
    summary="Add a note about the customer (for the team; the customer never sees it)",
    body=NoteCreate,
    response=ContactNoteOut,
    status=201,
    role=Role.AGENT,
    errors=(404,),
)
async def add_contact_note(request: web.Request, body: NoteCreate) -> ContactNoteOut:
    caller = identity(request)
    contact_id = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        row = await service.add_note(conn, contact_id, body.body, _viewer(request))
        # The note's text stays out of the audit log, as a conversation note's does.
        await audit_in(
            request,
            conn,
            "contact.note",
            target_type="contact",
            target_id=contact_id,
            diff=difference(None, {"note_id": str(row.id)}),
        )
    return row
