"""The parser constructs its normalised items from validated parts (``model_construct``, for
speed: three status callbacks per automated reply). Here every variant Meta sends today is parsed
and each item must be exactly what validating its own fields gives: no field of the wrong type,
none missing, no default lost."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from pytake_daemon.whatsapp.webhook import (
    InboundMessage,
    Notification,
    StatusUpdate,
    parse_notification,
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
