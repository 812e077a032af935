"""Who a webhook item is about: the customer's BSUID, phone, parent BSUID and username.

Meta's 2026 rules (shared/reference/whatsapp-2026-changes.md §1, checklist 2 to 5): the sender is
``messages[].from_user_id``, else ``contacts[].user_id``, else ``from`` / ``contacts[].wa_id``;
a status's recipient is ``recipient_user_id``, else ``contacts[].user_id``, else
``recipient_id``. None of these fields is required; an item naming nobody can't be stored and
is kept raw instead (``InvalidItem``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from pytake_daemon.whatsapp.webhook_content import IDENTITY_CHANGES, SystemContent
from pytake_daemon.whatsapp.webhook_wire import Contact, MessageWire, StatusWire

# Chatwoot's pattern (alphanumerics); pywa's digits-only one is too narrow. Same as the CHECK on
# contacts.bsuid (migrations/0016).
BSUID = re.compile(r"[A-Za-z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}")
_PHONE = re.compile(r"[0-9]{1,32}")
USERNAME_CHARS = 256


def bsuid_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and BSUID.fullmatch(value) else None


def phone_or_none(value: object) -> str | None:
    """Meta's wa_id is digits; a leading '+' (seen in some relays) is dropped."""
    if not isinstance(value, str):
        return None
    value = value.removeprefix("+")
    return value if value.isascii() and _PHONE.fullmatch(value) else None


@dataclass(frozen=True, slots=True)
class Who:
    """A customer as one item names them; ``bsuid`` or ``phone`` is always set."""

    bsuid: str | None
    phone: str | None
    parent_bsuid: str | None = None
    username: str | None = None
    profile_name: str | None = None


def parse_contacts(raw: list[Any]) -> list[Contact]:
    """The value's ``contacts[]``, skipping any item that isn't a contact at all."""
    found: list[Contact] = []
    for item in raw:
        try:
            found.append(Contact.model_validate(item))
        except ValidationError:
            continue
    return found


def _contact_for(contacts: list[Contact], user_id: str | None, phone: str | None) -> Contact | None:
    for contact in contacts:
        if user_id is not None and contact.user_id == user_id:
            return contact
    for contact in contacts:
        if phone is not None and contact.wa_id is not None and contact.wa_id == phone:
            return contact
    # One message, one contact: Meta's usual shape, where the message itself may name nobody.
    return contacts[0] if len(contacts) == 1 and user_id is None and phone is None else None


def _who(
    contact: Contact | None, user_id: str | None, phone: str | None, parent: str | None
) -> Who | None:
    bsuid = bsuid_or_none(user_id) or bsuid_or_none(contact.user_id if contact else None)
    found_phone = phone_or_none(phone) or phone_or_none(contact.wa_id if contact else None)
    if bsuid is None and found_phone is None:
        return None
    profile = contact.profile if contact else None
    parent = parent or (contact.parent_user_id if contact else None)
    username = profile.username if profile else None
    if username is not None and len(username) > USERNAME_CHARS:
        username = None
    return Who(
        bsuid=bsuid,
        phone=found_phone,
        parent_bsuid=bsuid_or_none(parent)
        or bsuid_or_none(contact.parent_user_id if contact else None),
        username=username or None,
        profile_name=profile.name if profile else None,
    )


def sender(msg: MessageWire, contacts: list[Contact]) -> Who | None:
    """The customer who sent ``msg``, or None when nothing names them."""
    contact = _contact_for(contacts, msg.from_user_id, msg.from_)
    return _who(contact, msg.from_user_id, msg.from_, msg.from_parent_user_id)


def recipient(status: StatusWire, contacts: list[Contact]) -> Who | None:
    """The customer a status is about (None for a failed status naming nobody, which is fine:
    the wamid is what a status applies to)."""
    contact = _contact_for(contacts, status.recipient_user_id, status.recipient_id)
    parent = status.recipient_parent_user_id or status.parent_recipient_user_id
    return _who(contact, status.recipient_user_id, status.recipient_id, parent)


@dataclass(frozen=True, slots=True)
class Rekey:
    """A system message's identity change: the customer known as ``previous_bsuid`` (or by the
    message's phone) is now ``bsuid``, and has the phone ``phone`` when Meta shares it."""

    previous_bsuid: str | None
    bsuid: str | None
    parent_bsuid: str | None
    phone: str | None


def rekey(content: SystemContent) -> Rekey | None:
    """The identity change a system message announces, if it is one."""
    if content.type not in IDENTITY_CHANGES:
        return None
    new_phone = phone_or_none(content.wa_id) if content.type == "user_changed_number" else None
    change = Rekey(
        previous_bsuid=bsuid_or_none(content.previous_user_id),
        bsuid=bsuid_or_none(content.user_id),
        parent_bsuid=bsuid_or_none(content.parent_user_id),
        phone=new_phone,
    )
    return change if change.bsuid is not None or change.phone is not None else None


def system_sender(msg: MessageWire, change: Rekey | None) -> Who | None:
    """Who a system message is about: it has no contacts array; the contact is found by the
    previous BSUID (or ``from_user_id``) and the old phone in ``from``."""
    previous = change.previous_bsuid if change else None
    bsuid = previous or bsuid_or_none(msg.from_user_id)
    phone = phone_or_none(msg.from_)
    if bsuid is None and phone is None:
        if change is not None and change.bsuid is not None:
            return Who(bsuid=change.bsuid, phone=change.phone)
        return None
    return Who(bsuid=bsuid, phone=phone, parent_bsuid=bsuid_or_none(msg.from_parent_user_id))
