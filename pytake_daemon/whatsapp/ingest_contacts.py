"""Which contact each inbound message belongs to, when a customer is known by BSUID, phone or
both (migrations/0016 explains the columns).

The rules (issue 15; shared/reference/whatsapp-2026-changes.md checklist 4 and 5):

- a contact is found by its BSUID first, then by its phone;
- a payload carrying both links them on one contact (a phone-only contact from before 2026
  gains its BSUID; a BSUID-only contact gains its phone);
- a phone that belongs to another contact, or differs from the one already linked, is never
  merged: it is written to ``phone_conflict`` for an agent to judge;
- a ``user_changed_number`` / ``user_changed_user_id`` system message re-keys the contact it
  names by the previous BSUID (or old phone); a redelivery finds it by the new BSUID and
  changes nothing;
- a phone the customer shared answering our contact request is stored as verified.

Cost on the webhook's hot path: one read per batch (index lookups on the two unique keys, and
on the wamid index for redeliveries) and, only when something is new or changed, one write
statement. Deciding in Python keeps the
statement simple; every lookup it needs is in that one read.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from pytake_daemon.db.pool import Connection
from pytake_daemon.whatsapp.webhook_identity import Rekey, Who


@dataclass(frozen=True, slots=True)
class Sighting:
    """What one message says about its sender."""

    who: Who
    verified_phone: str | None = None
    rekey: Rekey | None = None


@dataclass(slots=True)
class ContactRow:
    """A contact as read, or as it will be written."""

    id: uuid.UUID | None
    bsuid: str | None
    wa_id: str | None
    parent_bsuid: str | None = None
    username: str | None = None
    profile_name: str | None = None
    phone_verified: bool = False
    phone_conflict: str | None = None
    dirty: bool = field(default=False, compare=False)

    def set(self, name: str, value: object) -> None:
        if getattr(self, name) != value:
            setattr(self, name, value)
            self.dirty = True


class ContactBook:
    """The contacts a batch touches, by BSUID and by phone; decides without the database."""

    def __init__(self, rows: Sequence[ContactRow]) -> None:
        self.by_bsuid: dict[str, ContactRow] = {}
        self.by_phone: dict[str, ContactRow] = {}
        self.existing = list(rows)
        self.added: list[ContactRow] = []
        for row in rows:
            self._index(row)

    def _index(self, row: ContactRow) -> None:
        if row.bsuid is not None:
            self.by_bsuid.setdefault(row.bsuid, row)
        if row.wa_id is not None:
            self.by_phone.setdefault(row.wa_id, row)

    def _new(self, bsuid: str | None, phone: str | None, conflict: str | None = None) -> ContactRow:
        row = ContactRow(id=None, bsuid=bsuid, wa_id=phone, phone_conflict=conflict)
        self.added.append(row)
        self._index(row)
        return row

    def resolve(self, sighting: Sighting) -> ContactRow:
        """The contact a message belongs to, linked, re-keyed or flagged as it says."""
        change = sighting.rekey
        row = None
        if change is not None and change.bsuid is not None:
            # Already re-keyed (a redelivery), or the new id wrote before the notice came.
            row = self.by_bsuid.get(change.bsuid)
        if row is None:
            row = self._find(sighting.who, create=change is None)
        if row is None:
            assert change is not None
            row = self._unknown_rekeyed(change)
        if change is not None:
            self._rekey(row, change)
        self._describe(row, sighting.who)
        if sighting.verified_phone is not None:
            self._claim_phone(row, sighting.verified_phone, verified=True)
        return row

    def _unknown_rekeyed(self, change: Rekey) -> ContactRow:
        """An identity change about a customer we never saw: they are whom it names now."""
        if change.phone is not None and change.phone in self.by_phone:
            if change.bsuid is None:
                return self.by_phone[change.phone]
            return self._new(change.bsuid, None, conflict=change.phone)
        return self._new(change.bsuid, change.phone)

    def _find(self, who: Who, *, create: bool) -> ContactRow | None:
        row = self.by_bsuid.get(who.bsuid) if who.bsuid is not None else None
        if row is not None:
            if who.phone is not None:
                self._claim_phone(row, who.phone, verified=False)
            return row
        owner = self.by_phone.get(who.phone) if who.phone is not None else None
        if owner is not None and (who.bsuid is None or owner.bsuid is None):
            if who.bsuid is not None:
                owner.set("bsuid", who.bsuid)
                self.by_bsuid[who.bsuid] = owner
            return owner
        if not create:
            return None
        if owner is not None:
            # The phone is linked to another BSUID: for us this is someone else (a recycled
            # number, or another portfolio's id). Keep them apart; an agent decides.
            return self._new(who.bsuid, None, conflict=who.phone)
        return self._new(who.bsuid, who.phone)

    def _claim_phone(self, row: ContactRow, phone: str, *, verified: bool) -> None:
        if row.wa_id == phone:
            if verified:
                row.set("phone_verified", True)
            return
        if row.wa_id is None and phone not in self.by_phone:
            row.set("wa_id", phone)
            row.set("phone_verified", verified)
            self.by_phone[phone] = row
            return
        row.set("phone_conflict", phone)

    def _rekey(self, row: ContactRow, change: Rekey) -> None:
        if change.bsuid is not None and row.bsuid != change.bsuid:
            if change.bsuid in self.by_bsuid:
                return  # another contact already has the new id: never merge two customers
            row.set("bsuid", change.bsuid)
            self.by_bsuid[change.bsuid] = row
        if change.parent_bsuid is not None:
            row.set("parent_bsuid", change.parent_bsuid)
        if change.phone is not None and row.wa_id != change.phone:
            if change.phone in self.by_phone:
                row.set("phone_conflict", change.phone)
            else:
                # The customer's own new number, announced by WhatsApp: it replaces the old one.
                row.set("wa_id", change.phone)
                row.set("phone_verified", False)
                self.by_phone[change.phone] = row

    @staticmethod
    def _describe(row: ContactRow, who: Who) -> None:
        if who.parent_bsuid is not None:
            row.set("parent_bsuid", who.parent_bsuid)
        if who.username is not None:
            row.set("username", who.username)
        if who.profile_name:
            row.set("profile_name", who.profile_name)


# The two unique keys (tenant_id, bsuid) and (tenant_id, wa_id) each serve one arm of the OR.
# The same round trip says which of the batch's messages are stored already (Meta's
# redeliveries): their senders are not resolved again. That saves the work, and a message from
# a BSUID replaced since (user_changed_user_id) can't make a contact of its own when Meta
# delivers it again. ``stored`` is on every row; the LEFT JOIN keeps one row when no contact
# matches.
_READ = """
WITH stored AS (
    SELECT coalesce(array_agg(m.wa_message_id), '{}') AS wamids FROM messages m
     WHERE m.tenant_id = current_tenant_id() AND m.wa_message_id = ANY($3::text[]))
SELECT s.wamids AS stored, c.id, c.bsuid, c.wa_id, c.parent_bsuid, c.username, c.profile_name,
       c.phone_verified, c.phone_conflict
  FROM stored s
  LEFT JOIN contacts c
    ON c.tenant_id = current_tenant_id()
   AND (c.bsuid = ANY($1::text[]) OR c.wa_id = ANY($2::text[]))
"""

# Changed rows in id order (so concurrent writers lock them in the same order), then the new
# ones; a new one another writer inserted meanwhile is skipped and the batch resolved again.
_WRITE = """
WITH changed AS (
    UPDATE contacts c
       SET bsuid = u.bsuid, wa_id = u.wa_id, parent_bsuid = u.parent_bsuid,
           username = u.username, profile_name = u.profile_name,
           phone_verified = u.phone_verified, phone_conflict = u.phone_conflict,
           updated_at = now()
      FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                  $7::boolean[], $8::text[])
           AS u(id, bsuid, wa_id, parent_bsuid, username, profile_name, phone_verified,
                phone_conflict)
     WHERE c.tenant_id = current_tenant_id() AND c.id = u.id
    RETURNING c.id),
added AS (
    INSERT INTO contacts (tenant_id, bsuid, wa_id, parent_bsuid, username, profile_name,
                          phone_verified, phone_conflict)
    SELECT current_tenant_id(), a.* FROM unnest($9::text[], $10::text[], $11::text[],
                                                $12::text[], $13::text[], $14::boolean[],
                                                $15::text[]) AS a
    ON CONFLICT DO NOTHING
    RETURNING id, bsuid, wa_id)
SELECT id, bsuid, wa_id, (SELECT count(*) FROM changed) AS changed FROM added
"""

_ATTEMPTS = 3


def _columns(rows: Sequence[ContactRow], *, with_id: bool) -> list[list[object]]:
    columns: list[list[object]] = [
        [r.bsuid for r in rows],
        [r.wa_id for r in rows],
        [r.parent_bsuid for r in rows],
        [r.username for r in rows],
        [r.profile_name for r in rows],
        [r.phone_verified for r in rows],
        [r.phone_conflict for r in rows],
    ]
    return [[r.id for r in rows], *columns] if with_id else columns


def _ids(rows: Sequence[ContactRow | None]) -> list[uuid.UUID | None]:
    ids = [None if r is None else r.id for r in rows]
    assert all(i is not None for i, r in zip(ids, rows, strict=True) if r is not None)
    return ids


async def resolve_contacts(
    conn: Connection, sightings: Sequence[Sighting], wamids: Sequence[str]
) -> list[uuid.UUID | None]:
    """The contact id of each sighting (same order), creating, linking and re-keying as the
    rules above say, in the caller's tenant-scoped transaction; ``None`` for a sighting whose
    message (``wamids``, same order) is stored already."""
    bsuids: set[str] = set()
    phones: set[str] = set()
    for s in sightings:
        bsuids.update(v for v in (s.who.bsuid,) if v)
        phones.update(v for v in (s.who.phone, s.verified_phone) if v)
        if s.rekey is not None:
            bsuids.update(v for v in (s.rekey.bsuid, s.rekey.previous_bsuid) if v)
            phones.update(v for v in (s.rekey.phone,) if v)
    for _ in range(_ATTEMPTS):
        read = await conn.fetch(_READ, sorted(bsuids), sorted(phones), list(wamids))
        stored = set(read[0]["stored"])
        rows = [dict(r) for r in read if r["id"] is not None]
        book = ContactBook(
            [ContactRow(**{k: v for k, v in r.items() if k != "stored"}) for r in rows]
        )
        resolved = [
            None if w in stored else book.resolve(s) for s, w in zip(sightings, wamids, strict=True)
        ]
        changed = sorted((r for r in book.existing if r.dirty), key=lambda r: str(r.id))
        if not changed and not book.added:
            return _ids(resolved)
        written = await conn.fetch(
            _WRITE,
            *_columns(changed, with_id=True),
            *_columns(book.added, with_id=False),
        )
        ids = {(r["bsuid"], r["wa_id"]): r["id"] for r in written}
        for row in book.added:
            row.id = ids.get((row.bsuid, row.wa_id))
        if all(row.id is not None for row in book.added):
            return _ids(resolved)
        # Another writer created one of these customers meanwhile: read again and link to it.
    raise RuntimeError("contacts kept changing under this batch; it will be retried")
