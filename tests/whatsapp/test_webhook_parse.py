"""The parser constructs its normalised items from validated parts (``model_construct``, for
speed: three status callbacks per automated reply). Here every variant Meta sends today is parsed
and each item must be exactly what validating its own fields gives: no field of the wrong type,
none missing, no default lost."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import ValidationError

from pytake_daemon.whatsapp.webhook import (
    InboundMessage,
    Notification,
    StatusUpdate,
    parse_notification,
)
from pytake_daemon.whatsapp.webhook_wire import (
    Entry,
    EntryWire,
    EnvelopeWire,
    MessagesValue,
    Value,
    one_line,
    read_envelope,
    read_messages_value,
)
from tests.whatsapp import payloads_2026 as p
from tests.whatsapp.wa_support import Number

NUMBER = Number(
    id=uuid.uuid4(),
    phone_number_id="100000000000001",
    waba_id="200000000000001",
    app_secret="secret",
    verify_token="token",
    access_token="access",
)
USER = "US.12345678901234567890"
PHONE = "5511999990001"
_FAILED = [
    {
        "code": 131047,
        "title": "Re-engagement message",
        "message": "Re-engagement message",
        "error_data": {"details": "Message failed to send because more than 24 hours have passed"},
    }
]


def _payloads() -> list[tuple[str, dict[str, Any]]]:
    wamid = p.wamid()
    with_pricing = p.status_of(NUMBER, wamid, "sent", recipient_id=PHONE, recipient_user_id=USER)
    status = with_pricing["entry"][0]["changes"][0]["value"]["statuses"][0]
    status["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "service"}
    status["conversation"] = {"id": "c1", "origin": {"type": "service"}}
    return [
        ("text, phone and BSUID", p.text_from(NUMBER, user_id=USER, phone=PHONE)[0]),
        ("text, BSUID only", p.text_from(NUMBER, user_id=USER, username="ana")[0]),
        ("text, with a parent", p.text_from(NUMBER, user_id=USER, parent=p.bsuid(parent=True))[0]),
        ("contact request reply", p.contact_request_reply(NUMBER, user_id=USER, phone=PHONE)[0]),
        ("edit", p.edit_of(NUMBER, wamid, user_id=USER, phone=None, body="new")[0]),
        ("revoke", p.revoke_of(NUMBER, wamid, user_id=USER, phone=PHONE)[0]),
        ("status with pricing", with_pricing),
        ("status, BSUID only", p.status_of(NUMBER, wamid, "read", recipient_user_id=USER)),
        ("failed, no contacts", p.status_of(NUMBER, wamid, "failed", errors=_FAILED)),
        (
            "failed, with a parent",
            p.status_of(
                NUMBER,
                wamid,
                "failed",
                recipient_user_id=USER,
                parent=p.bsuid(parent=True),
                parent_spelling="parent_recipient_user_id",
                errors=_FAILED,
            ),
        ),
    ]


@pytest.mark.parametrize(("name", "payload"), _payloads(), ids=[n for n, _ in _payloads()])
def test_constructed_items_are_what_validation_gives(name: str, payload: dict[str, Any]) -> None:
    notification = parse_notification(payload)
    assert notification.items, name
    for item in notification.items:
        assert isinstance(item, InboundMessage | StatusUpdate), item
        validated = type(item).model_validate(dict(item))
        assert validated == item
        assert validated.model_dump() == item.model_dump()
        assert item.model_fields_set >= set(type(item).model_fields) - {"kind"}
    assert Notification.model_validate(dict(notification)) == notification


def _envelope_fields(obj: str, entries: list[Entry] | list[EntryWire]) -> object:
    return obj, [(e.id, e.time, [(c.field, c.value) for c in e.changes]) for e in entries]


def _value_fields(value: Value | MessagesValue) -> object:
    if isinstance(value, MessagesValue):
        value = Value(
            value.metadata.phone_number_id,
            value.metadata.display_phone_number,
            value.contacts,
            value.messages,
            value.statuses,
            value.errors,
        )
    return value


_VALUE = {"metadata": {"phone_number_id": "1", "display_phone_number": "15550001"}}
_ODD_ENVELOPES: list[object] = [
    {"object": "whatsapp_business_account", "entry": []},
    {"object": 1, "entry": []},
    {"object": "x", "entry": None},
    {"object": "x", "entry": [{"id": 12, "time": 1700000000, "changes": []}]},
    {"object": "x", "entry": [{"id": True, "changes": []}]},
    {"object": "x", "entry": [{"id": "1", "time": "17x", "changes": []}]},
    {"object": "x", "entry": [{"id": "1", "time": 10**30, "changes": []}]},
    {"object": "x", "entry": [{"id": "1", "time": None, "changes": [{"field": "f"}]}]},
    {"object": "x", "entry": [{"id": "1", "changes": [{"field": 2, "value": {}}]}]},
    {"object": "x", "entry": [{"id": "1", "changes": [{"field": "f", "value": {"a": [1]}}]}]},
    {"object": "x", "entry": ["not an entry"]},
]
_ODD_VALUES: list[dict[str, Any]] = [
    _VALUE,
    {**_VALUE, "messaging_product": 3},
    {**_VALUE, "messages": None},
    {**_VALUE, "contacts": [1, {"wa_id": "2"}], "statuses": [{}], "errors": [None]},
    {"metadata": {"phone_number_id": 5}},
    {"metadata": {"phone_number_id": "5", "display_phone_number": 7}},
    {"metadata": None},
    {},
]


@pytest.mark.parametrize(
    "data", [pl for _, pl in _payloads()] + _ODD_ENVELOPES, ids=lambda d: str(d)[:40]
)
def test_plain_envelope_read_is_the_models(data: dict[str, Any]) -> None:
    try:
        expected = EnvelopeWire.model_validate(data)
    except ValidationError as exc:
        refused: str | None = one_line(exc)
    else:
        refused = None
    if refused is not None:
        with pytest.raises(ValidationError) as raised:
            read_envelope(data)
        assert one_line(raised.value) == refused
        return
    assert _envelope_fields(*read_envelope(data)) == _envelope_fields(
        expected.object, expected.entry
    )


@pytest.mark.parametrize(
    "raw",
    [pl["entry"][0]["changes"][0]["value"] for _, pl in _payloads()] + _ODD_VALUES,
    ids=lambda d: str(d)[:40],
)
def test_plain_messages_value_read_is_the_models(raw: dict[str, Any]) -> None:
    try:
        expected = MessagesValue.model_validate(raw)
    except ValidationError as exc:
        refused: str | None = one_line(exc)
    else:
        refused = None
    if refused is not None:
        with pytest.raises(ValidationError) as raised:
            read_messages_value(raw)
        assert one_line(raised.value) == refused
        return
    assert _value_fields(read_messages_value(raw)) == _value_fields(expected)


@pytest.mark.parametrize(("name", "payload"), _payloads(), ids=[n for n, _ in _payloads()])
def test_built_items_are_what_model_construct_gives(name: str, payload: dict[str, Any]) -> None:
    notification = parse_notification(payload)
    for item in [*notification.items, notification]:
        given = {n: v for n, v in item.__dict__.items() if n in item.model_fields_set}
        expected = type(item).model_construct(**given)
        assert list(item.__dict__.items()) == list(expected.__dict__.items()), name
        assert item.model_fields_set == expected.model_fields_set
        assert item.__pydantic_extra__ == expected.__pydantic_extra__
        assert item.__pydantic_private__ == expected.__pydantic_private__
