"""Contact search and profiles: the chat's side panel and its contact finder."""

from __future__ import annotations

import uuid

from pydantic import ValidationError

from pytake_daemon.protocol.contacts import (
    ContactNoteList,
    ContactNoteOut,
    ContactPage,
    ContactProfile,
    ContactQuery,
    ContactUpdate,
)
from pytake_daemon.protocol.conversations import NoteCreate, TagsUpdate
from pytake_tui.api.transport import API_PREFIX, DaemonError, Endpoints, parse
from pytake_tui.i18n import N_

_CONTACTS = f"{API_PREFIX}/contacts"


class ContactEndpoints(Endpoints):
    """``/contacts/…``."""

    async def contacts(self, query: ContactQuery) -> ContactPage:
        """A page of contacts, newest first; ``query.q`` searches name, @username, phone, BSUID."""
        params = query.model_dump(mode="json", exclude_none=True)
        return await self._transport.get(ContactPage, _CONTACTS, params=params)

    async def search_contacts(self, text: str, *, limit: int = 20) -> ContactPage:
        """Contacts matching ``text`` (at least 3 characters: the daemon's trigram index)."""
        try:
            query = ContactQuery(q=text.strip(), limit=limit)
        except ValidationError as error:
            raise DaemonError.invalid(N_("Check the search"), error) from None
        return await self.contacts(query)

    async def contact_profile(self, contact_id: uuid.UUID) -> ContactProfile:
        """Everything the side panel shows about a contact."""
        return await self._transport.get(ContactProfile, f"{_CONTACTS}/{contact_id}")

    async def update_contact(self, contact_id: uuid.UUID, change: ContactUpdate) -> ContactProfile:
        """Change the team's name for the contact and its attributes (merged; a None value
        removes that attribute, ``name=None`` set explicitly removes the team's name)."""
        # Only the fields set are sent, nulls included: a null there means "remove".
        response = await self._transport.send(
            "PATCH", f"{_CONTACTS}/{contact_id}", body=change, explicit_nulls=True
        )
        return parse(ContactProfile, response)

    async def set_contact_tags(self, contact_id: uuid.UUID, tags: list[str]) -> ContactProfile:
        """Replace the contact's tags (the daemon trims, lower-cases and sorts them)."""
        try:
            update = TagsUpdate(tags=tags)
        except ValidationError as error:
            raise DaemonError.invalid(N_("Check the tags"), error) from None
        path = f"{_CONTACTS}/{contact_id}/tags"
        return await self._transport.call(ContactProfile, "PUT", path, update)

    async def contact_notes(self, contact_id: uuid.UUID) -> ContactNoteList:
        """The contact's notes, newest first."""
        return await self._transport.get(ContactNoteList, f"{_CONTACTS}/{contact_id}/notes")

    async def add_contact_note(self, contact_id: uuid.UUID, body: str) -> ContactNoteOut:
        """A note about the customer for the team (never sent to them)."""
        try:
            note = NoteCreate(body=body)
        except ValidationError as error:
            raise DaemonError.invalid(N_("Check the note"), error) from None
        path = f"{_CONTACTS}/{contact_id}/notes"
        return await self._transport.call(ContactNoteOut, "POST", path, note)
