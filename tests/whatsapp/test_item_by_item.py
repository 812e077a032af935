"""A validly signed POST is answered 200 once every item that can be stored is committed; an
item that can't be understood is kept raw with its reason and counted, never costing its
neighbours (issue 15, item 3). Also the webhook's second address (item 10)."""

from __future__ import annotations

import copy
import secrets
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytake_daemon.db.pool import Connection
from pytake_daemon.keys import REDIS, SETTINGS
from pytake_daemon.whatsapp.signature import sign
from tests.conftest import MakeTenant
from tests.whatsapp.payloads_2026 import bsuid, contact, inbound, value_envelope
from tests.whatsapp.test_ingest import rows
from tests.whatsapp.wa_support import (
    ApiClient,
    Number,
    add_number,
    digits,
    post_signed,
    stage_settled,
)


async def _invalid_count(api: ApiClient) -> int:
    key = f"{api.app[SETTINGS].redis.key_prefix}whatsapp:invalid_items"
    return int(await api.app[REDIS].get(key) or 0)


async def test_a_bsuid_only_message_next_to_a_normal_one_stores_both(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    # Measured on 2026-12-04 before this change: 400, and neither message stored.
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    phone, with_phone, hidden = digits(12), bsuid(), bsuid()
    normal = inbound(user_id=with_phone, phone=phone, body="I have a phone")
    username_only = inbound(user_id=hidden, body="I only have a username")
    payload = value_envelope(
        number,
        {
            "contacts": [
                contact(user_id=with_phone, phone=phone),
                contact(user_id=hidden, username="ana.s", name=None),
            ],
            "messages": [normal, username_only],
        },
    )
    code, body = await post_signed(api, payload, number.app_secret)
    assert code == 200, body
    stored = await rows(
        admin_conn,
        tenant.id,
        "SELECT m.wa_message_id, ct.wa_id, ct.bsuid, ct.username FROM messages m"
        " JOIN conversations c ON c.id = m.conversation_id"
        " JOIN contacts ct ON ct.id = c.contact_id ORDER BY m.text",
    )
    assert [(r["wa_message_id"], r["wa_id"], r["bsuid"]) for r in stored] == [
        (normal["id"], phone, with_phone),
        (username_only["id"], None, hidden),
    ]
    assert stored[1]["username"] == "ana.s"


async def test_an_item_naming_nobody_is_kept_raw_with_its_reason_and_counted(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    good = inbound(user_id=bsuid(), body="fine")
    nobody = inbound(user_id=None, body="who am I")
    broken = {"id": "wamid.x", "type": "text", "timestamp": "soon", "from": digits(12)}
    payload = value_envelope(number, {"messages": [good, nobody, broken, "not an object"]})
    before = await _invalid_count(api)
    for _ in range(2):  # a redelivery stores nothing twice
        code, body = await post_signed(api, payload, number.app_secret)
        assert code == 200, body
    messages = await rows(admin_conn, tenant.id, "SELECT wa_message_id FROM messages")
    assert [m["wa_message_id"] for m in messages] == [good["id"]]
    events = await rows(
        admin_conn,
        tenant.id,
        "SELECT kind, field, phone_number_id, reason, payload FROM webhook_events ORDER BY id",
    )
    assert [e["kind"] for e in events] == ["invalid"] * 3
    assert {e["phone_number_id"] for e in events} == {number.phone_number_id}
    reasons = [e["reason"] for e in events]
    assert "no sender" in reasons[0]
    assert "timestamp" in reasons[1]
    assert "JSON object" in reasons[2]
    assert events[0]["payload"] == nobody
    # Counted on each delivery (what Meta keeps sending is worth seeing).
    assert await _invalid_count(api) == before + 6


async def test_undocumented_fields_never_cause_a_rejection(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    user = bsuid()
    msg = inbound(user_id=user, from_logical_id="123", context="not an object")
    msg["referral"] = ["odd"]
    who = contact(user_id=user) | {"country_code": "US", "profile": None}
    status = {
        "id": "wamid.s",
        "status": "sent",
        "timestamp": "1700000000",
        "recipient_user_id": user,
        "recipient_logical_id": "9",
        "internal_1p_only_data": {"x": 1},
    }
    payload = value_envelope(number, {"contacts": [who], "messages": [msg], "statuses": [status]})
    code, body = await post_signed(api, payload, number.app_secret)
    assert code == 200, body
    [stored] = await rows(admin_conn, tenant.id, "SELECT raw FROM messages")
    assert stored["raw"] == msg


async def test_the_webhook_answers_at_webhook_whatsapp_too(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    ok = await api.get(
        "/webhook/whatsapp",
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": number.verify_token,
            "hub.challenge": "42",
        },
    )
    assert (ok.status, await ok.text()) == (200, "42")
    msg = inbound(user_id=bsuid())
    raw = orjson.dumps(value_envelope(number, {"messages": [msg]}))
    resp = await api.post(
        "/webhook/whatsapp",
        data=raw,
        headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": sign(number.app_secret.encode(), raw),
        },
    )
    assert resp.status == 200
    await stage_settled(api, tenant.id)
    assert len(await rows(admin_conn, tenant.id, "SELECT 1 FROM messages")) == 1
    unsigned = await api.post("/webhook/whatsapp", data=raw)
    assert unsigned.status == 401


# ---- property: any mix of valid and invalid items -------------------------------------------

_BREAKAGES: list[Any] = [
    lambda m: m.pop("from_user_id"),  # names nobody (no phone either)
    lambda m: m.update(timestamp="later"),
    lambda m: m.update(id=None),
    lambda m: m.update(type=17),
    lambda m: f"a string, not a message ({m['id']})",
    lambda m: m.update(from_user_id="not a bsuid"),
    lambda m: None,  # JSON null where a message should be
]


def _item(number: Number, kind: str, breakage: int) -> tuple[Any, str | None]:
    """A message (valid or broken) or a status; returns it and the wamid it must store."""
    if kind == "status":
        return {
            "id": f"wamid.{secrets.token_urlsafe(9)}",
            "status": "read",
            "timestamp": "1700000000",
            "recipient_user_id": bsuid(),
        }, None
    msg = inbound(user_id=bsuid(), phone=digits(12) if kind == "phone" else None)
    if kind != "broken":
        return msg, msg["id"]
    broken = copy.deepcopy(msg)
    breaking = _BREAKAGES[breakage % len(_BREAKAGES)]
    if breaking is _BREAKAGES[-1]:
        return None, None
    result = breaking(broken)
    return (result if isinstance(result, str) else broken), None


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plan=st.lists(
        st.tuples(
            st.sampled_from(["bsuid", "phone", "broken", "status"]),
            st.integers(min_value=0, max_value=100),
        ),
        min_size=1,
        max_size=8,
    ),
    deliveries=st.integers(min_value=1, max_value=2),
)
async def test_every_valid_item_is_stored_exactly_once_whatever_its_neighbours(
    api: ApiClient,
    make_tenant: MakeTenant,
    admin_conn: Connection,
    plan: list[tuple[str, int]],
    deliveries: int,
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    messages: list[Any] = []
    statuses: list[Any] = []
    expected: list[str] = []
    broken: set[bytes] = set()
    for kind, breakage in plan:
        item, wamid = _item(number, kind, breakage)
        (statuses if kind == "status" else messages).append(item)
        if wamid is not None:
            expected.append(wamid)
        elif kind == "broken":
            # Kept once per distinct content (two nulls are one record).
            broken.add(orjson.dumps(item, option=orjson.OPT_SORT_KEYS))
    payload = value_envelope(number, {"messages": messages, "statuses": statuses})
    for _ in range(deliveries):
        code, body = await post_signed(api, payload, number.app_secret)
        assert code == 200, body
    stored = await rows(admin_conn, tenant.id, "SELECT wa_message_id FROM messages")
    assert sorted(r["wa_message_id"] for r in stored) == sorted(expected)
    invalid = await rows(
        admin_conn, tenant.id, "SELECT 1 FROM webhook_events WHERE kind = 'invalid'"
    )
    assert len(invalid) == len(broken)
