"""The contact rules without a database (``ingest_contacts.ContactBook``): for any sequence of
sightings — BSUID only, phone only, both, shared phones, identity changes — no two customers are
merged and nothing a payload said is lost: each BSUID and each phone belongs to at most one
contact, a sighting's BSUID is its contact's, and its phone is its contact's or flagged there."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pytake_daemon.whatsapp.ingest_contacts import ContactBook, ContactRow, Sighting
from pytake_daemon.whatsapp.webhook_identity import Rekey, Who

BSUIDS = [f"US.{n}" for n in range(1, 6)]
PHONES = [f"5511{n:07d}" for n in range(1, 5)]

whos = st.builds(
    Who,
    bsuid=st.sampled_from([None, *BSUIDS]),
    phone=st.sampled_from([None, *PHONES]),
    username=st.sampled_from([None, "ana.s", "bruno"]),
).filter(lambda w: w.bsuid is not None or w.phone is not None)

rekeys = st.builds(
    Rekey,
    previous_bsuid=st.sampled_from([None, *BSUIDS]),
    bsuid=st.sampled_from(BSUIDS),
    parent_bsuid=st.none(),
    phone=st.sampled_from([None, *PHONES]),
)

sightings = st.builds(
    Sighting,
    who=whos,
    verified_phone=st.sampled_from([None, *PHONES]),
    rekey=st.one_of(st.none(), rekeys),
)

existing = st.lists(
    st.tuples(st.sampled_from([None, *BSUIDS]), st.sampled_from([None, *PHONES])).filter(
        lambda t: t[0] is not None or t[1] is not None
    ),
    max_size=4,
)


def _book(rows: list[tuple[str | None, str | None]]) -> ContactBook:
    seen_b: set[str] = set()
    seen_p: set[str] = set()
    kept: list[ContactRow] = []
    for bsuid, phone in rows:
        # The database's unique keys: skip rows that would break them.
        if (bsuid and bsuid in seen_b) or (phone and phone in seen_p):
            continue
        seen_b.update([bsuid] if bsuid else [])
        seen_p.update([phone] if phone else [])
        kept.append(ContactRow(id=None, bsuid=bsuid, wa_id=phone))
    return ContactBook(kept)


@given(existing, st.lists(sightings, min_size=1, max_size=8))
def test_no_two_customers_merge_and_nothing_said_is_lost(
    rows: list[tuple[str | None, str | None]], seen: list[Sighting]
) -> None:
    book = _book(rows)
    # With an identity change in the batch, a customer's old ids legitimately lead to their
    # re-keyed contact: only the unique keys are judged then.
    plain = all(s.rekey is None for s in seen)
    for sighting in seen:
        contact = book.resolve(sighting)
        if plain and sighting.who.bsuid is not None:
            assert contact.bsuid == sighting.who.bsuid
        if plain and sighting.who.phone is not None:
            # Linked, or kept apart and flagged for an agent (never merged); the flag holds
            # one phone, the latest (a shared phone that conflicts too).
            flagged = (sighting.who.phone, sighting.verified_phone)
            assert contact.wa_id == sighting.who.phone or contact.phone_conflict in flagged
    contacts = {id(r): r for r in [*book.existing, *book.added]}.values()
    # The unique keys still hold: a BSUID or a phone names at most one contact.
    bsuids = [c.bsuid for c in contacts if c.bsuid is not None]
    phones = [c.wa_id for c in contacts if c.wa_id is not None]
    assert len(bsuids) == len(set(bsuids))
    assert len(phones) == len(set(phones))
    # Every contact can be stored (one of the two keys).
    assert all(c.bsuid is not None or c.wa_id is not None for c in contacts)


@given(st.lists(sightings.filter(lambda s: s.rekey is None), min_size=1, max_size=8))
def test_resolving_the_same_batch_twice_changes_nothing_the_second_time(
    seen: list[Sighting],
) -> None:
    # A redelivery reads what the first delivery wrote: it finds every contact and adds none.
    # (Not with identity changes: the book alone would make a contact for a replaced BSUID;
    # resolve_contacts skips messages already stored, tested in test_identity_ingest.py.)
    first = ContactBook([])
    for s in seen:
        first.resolve(s)
    stored = [
        ContactRow(
            id=None,
            bsuid=c.bsuid,
            wa_id=c.wa_id,
            parent_bsuid=c.parent_bsuid,
            username=c.username,
            profile_name=c.profile_name,
            phone_verified=c.phone_verified,
            phone_conflict=c.phone_conflict,
        )
        for c in first.added
    ]
    again = ContactBook(stored)
    for s in seen:
        again.resolve(s)
    assert again.added == []
