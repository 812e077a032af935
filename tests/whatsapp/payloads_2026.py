"""Meta's 2026 webhook shapes, one builder per variant (shared/reference/whatsapp-2026-changes.md):
phone + BSUID, BSUID only, parent present, failed statuses with and without contacts, system
messages without contacts, a contact-request reply, an edit and a revoke.

Each returns a full signed-ready envelope for a :class:`~tests.whatsapp.wa_support.Number`.
"""

from __future__ import annotations

import secrets
from typing import Any

from tests.whatsapp.wa_support import Number, digits


def bsuid(country: str = "US", *, parent: bool = False) -> str:
    middle = "ENT." if parent else ""
    return f"{country}.{middle}{digits(20)}"


def wamid() -> str:
    return f"wamid.{secrets.token_urlsafe(24)}"


def value_envelope(number: Number, value: dict[str, Any]) -> dict[str, Any]:
    full = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550100", "phone_number_id": number.phone_number_id},
        **value,
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": number.waba_id, "changes": [{"field": "messages", "value": full}]}],
    }


def contact(
    *,
    user_id: str | None,
    phone: str | None = None,
    parent: str | None = None,
    username: str | None = None,
    name: str | None = "Ana Souza",
) -> dict[str, Any]:
    found: dict[str, Any] = {}
    profile: dict[str, Any] = {}
    if name is not None:
        profile["name"] = name
    if username is not None:
        profile["username"] = username
    if profile:
        found["profile"] = profile
    if phone is not None:
        found["wa_id"] = phone
    if user_id is not None:
        found["user_id"] = user_id
    if parent is not None:
        found["parent_user_id"] = parent
    return found


def inbound(
    *,
    user_id: str | None,
    phone: str | None = None,
    parent: str | None = None,
    body: str = "hello",
    ts: int = 1_700_000_000,
    **extra: Any,
) -> dict[str, Any]:
    msg: dict[str, Any] = {"id": wamid(), "timestamp": str(ts), "type": "text"}
    msg["text"] = {"body": body}
    if phone is not None:
        msg["from"] = phone
    if user_id is not None:
        msg["from_user_id"] = user_id
    if parent is not None:
        msg["from_parent_user_id"] = parent
    msg.update(extra)
    return msg


def text_from(
    number: Number,
    *,
    user_id: str | None,
    phone: str | None = None,
    parent: str | None = None,
    username: str | None = None,
    name: str | None = "Ana Souza",
    body: str = "hello",
    ts: int = 1_700_000_000,
) -> tuple[dict[str, Any], str]:
    """A text message (phone + BSUID, BSUID only, with a parent…) and its wamid."""
    msg = inbound(user_id=user_id, phone=phone, parent=parent, body=body, ts=ts)
    who = contact(user_id=user_id, phone=phone, parent=parent, username=username, name=name)
    return value_envelope(number, {"contacts": [who], "messages": [msg]}), msg["id"]


def system_change(
    number: Number,
    *,
    kind: str,
    previous: str,
    new: str,
    old_phone: str | None = None,
    new_phone: str | None = None,
) -> tuple[dict[str, Any], str]:
    """``user_changed_number`` / ``user_changed_user_id``: no ``contacts`` array."""
    system: dict[str, Any] = {
        "type": kind,
        "user_id": new,
        "previous_user_id": previous,
    }
    if kind == "user_changed_number":
        system["body"] = f"User Ana changed from {old_phone} to {new_phone}"
        system["wa_id"] = new_phone
    else:
        system["body"] = "User Ana's business-scoped id changed"
    msg: dict[str, Any] = {
        "id": wamid(),
        "timestamp": "1700000100",
        "type": "system",
        "system": system,
    }
    if old_phone is not None:
        msg["from"] = old_phone
    return value_envelope(number, {"messages": [msg]}), msg["id"]


def contact_request_reply(
    number: Number, *, user_id: str, phone: str, at_message_level: bool = True
) -> tuple[dict[str, Any], str]:
    """The customer's answer to our request for their phone (``origin: contact_request``)."""
    card: dict[str, Any] = {
        "name": {"formatted_name": "Ana Souza", "first_name": "Ana"},
        "phones": [{"phone": f"+{phone}", "type": "MOBILE", "wa_id": phone}],
        "vcard": "BEGIN:VCARD\nVERSION:3.0\nFN:Ana Souza\nEND:VCARD",
    }
    msg: dict[str, Any] = {
        "from_user_id": user_id,
        "id": wamid(),
        "timestamp": "1700000200",
        "type": "contacts",
        "contacts": [card],
    }
    if at_message_level:
        msg["origin"] = "contact_request"
    else:
        card["origin"] = "contact_request"
    who = contact(user_id=user_id, username="ana.s")
    return value_envelope(number, {"contacts": [who], "messages": [msg]}), msg["id"]


def edit_of(
    number: Number, original: str, *, user_id: str | None, phone: str | None, body: str
) -> tuple[dict[str, Any], str]:
    msg = inbound(user_id=user_id, phone=phone, ts=1_700_000_300)
    del msg["text"]
    msg["type"] = "edit"
    msg["edit"] = {
        "original_message_id": original,
        "message": {"type": "text", "text": {"body": body}},
    }
    who = contact(user_id=user_id, phone=phone)
    return value_envelope(number, {"contacts": [who], "messages": [msg]}), msg["id"]


def revoke_of(
    number: Number, original: str, *, user_id: str | None, phone: str | None
) -> tuple[dict[str, Any], str]:
    msg = inbound(user_id=user_id, phone=phone, ts=1_700_000_400)
    del msg["text"]
    msg["type"] = "revoke"
    msg["revoke"] = {"original_message_id": original}
    who = contact(user_id=user_id, phone=phone)
    return value_envelope(number, {"contacts": [who], "messages": [msg]}), msg["id"]


def status_of(
    number: Number,
    message_wamid: str,
    state: str,
    *,
    recipient_id: str | None = None,
    recipient_user_id: str | None = None,
    parent: str | None = None,
    parent_spelling: str = "recipient_parent_user_id",
    contacts: list[dict[str, Any]] | None = None,
    errors: list[dict[str, Any]] | None = None,
    ts: int = 1_700_000_500,
) -> dict[str, Any]:
    """A status callback; ``contacts=None`` omits the array (failed statuses may)."""
    st: dict[str, Any] = {"id": message_wamid, "status": state, "timestamp": str(ts)}
    if recipient_id is not None:
        st["recipient_id"] = recipient_id
    if recipient_user_id is not None:
        st["recipient_user_id"] = recipient_user_id
    if parent is not None:
        st[parent_spelling] = parent
    if errors is not None:
        st["errors"] = errors
    value: dict[str, Any] = {"statuses": [st]}
    if contacts is not None:
        value["contacts"] = contacts
    return value_envelope(number, value)
