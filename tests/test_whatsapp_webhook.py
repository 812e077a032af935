"""WhatsApp webhook parsing, signatures, the subscription handshake and status ordering.

Sample payloads follow the shapes in shared/reference/whatsapp-cloud-api-notes.md (Meta's
developer documentation); they are plain dicts so each test shows exactly what Meta sends.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytake_daemon.whatsapp.signature import sign, verify_signature, verify_subscription
from pytake_daemon.whatsapp.webhook import (
    STATUS_RANK,
    ButtonContent,
    ContactsContent,
    InboundMessage,
    InteractiveContent,
    LocationContent,
    MediaContent,
    OrderContent,
    ReactionContent,
    SystemContent,
    TextContent,
    UnsupportedContent,
    WebhookPayloadError,
    advances,
    parse_notification,
)

WABA = "102290129340398"
PHONE_ID = "106540352242922"
CUSTOMER = "16315551181"
TS = "1700000000"
WHEN = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


def envelope(
    *,
    messages: list[dict[str, Any]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_ID},
    }
    if messages is not None:
        value["contacts"] = [{"profile": {"name": "Sheena Nelson"}, "wa_id": CUSTOMER}]
        value["messages"] = messages
    if statuses is not None:
        value["statuses"] = statuses
    if errors is not None:
        value["errors"] = errors
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA, "changes": [{"field": "messages", "value": value}]}],
    }


def message(msg_type: str, body: Any, **extra: Any) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "from": CUSTOMER,
        "id": f"wamid.HBgLMTYzMTU1NTExODEVAgASGBQzQUI{msg_type.upper()}",
        "timestamp": TS,
        "type": msg_type,
        **extra,
    }
    if body is not None:
        msg[msg_type] = body
    return msg


def only_message(msg: dict[str, Any]) -> InboundMessage:
    notification = parse_notification(envelope(messages=[msg]))
    assert len(notification.items) == 1
    [item] = notification.messages
    assert item.raw == msg
    return item


MEDIA = {"id": "1003383421387256", "mime_type": "image/jpeg", "sha256": "McCq8nkVkJ0="}

INBOUND_SAMPLES: dict[str, dict[str, Any]] = {
    "text": message("text", {"body": "Hello, is the shop open?"}),
    "image": message("image", {**MEDIA, "caption": "my receipt"}),
    "audio": message(
        "audio", {"id": "2", "mime_type": "audio/ogg; codecs=opus", "sha256": "x=", "voice": True}
    ),
    "video": message("video", {"id": "3", "mime_type": "video/mp4", "sha256": "y="}),
    "document": message(
        "document",
        {"id": "4", "mime_type": "application/pdf", "sha256": "z=", "filename": "invoice.pdf"},
    ),
    "sticker": message(
        "sticker", {"id": "5", "mime_type": "image/webp", "sha256": "s=", "animated": True}
    ),
    "location": message(
        "location",
        {
            "latitude": 37.483872,
            "longitude": -122.148358,
            "name": "Philz Coffee",
            "address": "101 Forest Ave, Palo Alto, CA 94301",
            "url": "https://philzcoffee.com",
        },
    ),
    "contacts": message(
        "contacts",
        [
            {
                "name": {"formatted_name": "Barbara Johnson", "first_name": "Barbara"},
                "phones": [{"phone": "+1 (940) 555-1234", "type": "HOME", "wa_id": "19405551234"}],
                "emails": [{"email": "bjohnson@example.com", "type": "WORK"}],
                "org": {"company": "Example Inc."},
                "birthday": "1999-01-23",
            }
        ],
    ),
    "interactive_button": message(
        "interactive",
        {"type": "button_reply", "button_reply": {"id": "yes-please", "title": "Yes"}},
    ),
    "interactive_list": message(
        "interactive",
        {
            "type": "list_reply",
            "list_reply": {"id": "row-2", "title": "Medium", "description": "12 inch"},
        },
    ),
    "interactive_flow": message(
        "interactive",
        {
            "type": "nfm_reply",
            "nfm_reply": {"name": "flow", "body": "Sent", "response_json": '{"a": 1}'},
        },
    ),
    "button": message("button", {"payload": "STOP_PROMOS", "text": "Stop promotions"}),
    "reaction": message(
        "reaction", {"message_id": "wamid.HBgLMTYzMTU1NTExODEVAgARGBI0", "emoji": "\U0001f44d"}
    ),
    "order": message(
        "order",
        {
            "catalog_id": "1537297853620321",
            "text": "please deliver after 6pm",
            "product_items": [
                {
                    "product_retailer_id": "sku-1",
                    "quantity": 2,
                    "item_price": 12.5,
                    "currency": "USD",
                }
            ],
        },
    ),
    "system": message(
        "system",
        {
            "body": "NAME changed from 16315551181 to 16315551182",
            "type": "user_changed_number",
            "wa_id": "16315551182",
        },
    ),
    "unsupported": message(
        "unsupported",
        None,
        errors=[
            {
                "code": 131051,
                "title": "Message type unknown",
                "message": "Message type unknown",
                "error_data": {"details": "Message type is currently not supported."},
            }
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(INBOUND_SAMPLES))
def test_every_inbound_sample_parses_with_common_fields(name: str) -> None:
    item = only_message(INBOUND_SAMPLES[name])
    assert item.waba_id == WABA
    assert item.phone_number_id == PHONE_ID
    assert item.display_phone_number == "15550783881"
    assert item.wa_id == CUSTOMER
    assert item.profile_name == "Sheena Nelson"
    assert item.timestamp == WHEN
    assert item.message_id.startswith("wamid.")


def test_text() -> None:
    item = only_message(INBOUND_SAMPLES["text"])
    assert item.type == "text"
    assert item.content == TextContent(body="Hello, is the shop open?")


def test_media_types() -> None:
    image = only_message(INBOUND_SAMPLES["image"]).content
    assert isinstance(image, MediaContent)
    assert (image.id, image.caption, image.mime_type) == (MEDIA["id"], "my receipt", "image/jpeg")
    audio = only_message(INBOUND_SAMPLES["audio"]).content
    assert isinstance(audio, MediaContent)
    assert audio.voice
    assert audio.mime_type == "audio/ogg; codecs=opus"
    video = only_message(INBOUND_SAMPLES["video"]).content
    assert isinstance(video, MediaContent)
    assert not video.voice
    document = only_message(INBOUND_SAMPLES["document"]).content
    assert isinstance(document, MediaContent)
    assert document.filename == "invoice.pdf"
    sticker = only_message(INBOUND_SAMPLES["sticker"]).content
    assert isinstance(sticker, MediaContent)
    assert sticker.animated


def test_location() -> None:
    content = only_message(INBOUND_SAMPLES["location"]).content
    assert isinstance(content, LocationContent)
    assert (content.latitude, content.longitude) == (37.483872, -122.148358)
    assert content.name == "Philz Coffee"


def test_shared_contacts_keep_unknown_keys() -> None:
    content = only_message(INBOUND_SAMPLES["contacts"]).content
    assert isinstance(content, ContactsContent)
    [card] = content.contacts
    assert card.name is not None
    assert card.name.formatted_name == "Barbara Johnson"
    assert card.phones[0]["wa_id"] == "19405551234"
    assert card.org == {"company": "Example Inc."}
    assert card.model_extra == {"birthday": "1999-01-23"}


def test_interactive_replies() -> None:
    button = only_message(INBOUND_SAMPLES["interactive_button"]).content
    assert isinstance(button, InteractiveContent)
    assert (button.type, button.id, button.title) == ("button_reply", "yes-please", "Yes")
    listed = only_message(INBOUND_SAMPLES["interactive_list"]).content
    assert isinstance(listed, InteractiveContent)
    assert (listed.id, listed.title, listed.description) == ("row-2", "Medium", "12 inch")
    flow = only_message(INBOUND_SAMPLES["interactive_flow"]).content
    assert isinstance(flow, InteractiveContent)
    assert flow.type == "nfm_reply"
    assert flow.id is None
    assert flow.reply == {"name": "flow", "body": "Sent", "response_json": '{"a": 1}'}


def test_unknown_interactive_subtype_is_tolerated() -> None:
    msg = message("interactive", {"type": "carousel_reply", "carousel_reply": {"card": 3}})
    content = only_message(msg).content
    assert isinstance(content, InteractiveContent)
    assert content.type == "carousel_reply"
    assert content.reply == {"card": 3}


def test_template_quick_reply_button() -> None:
    content = only_message(INBOUND_SAMPLES["button"]).content
    assert content == ButtonContent(payload="STOP_PROMOS", text="Stop promotions")


def test_reaction_and_its_removal() -> None:
    content = only_message(INBOUND_SAMPLES["reaction"]).content
    assert isinstance(content, ReactionContent)
    assert content.emoji == "\U0001f44d"
    assert not content.removed
    for body in ({"message_id": "wamid.X", "emoji": ""}, {"message_id": "wamid.X"}):
        removed = only_message(message("reaction", body)).content
        assert isinstance(removed, ReactionContent)
        assert removed.removed


def test_order() -> None:
    content = only_message(INBOUND_SAMPLES["order"]).content
    assert isinstance(content, OrderContent)
    assert content.catalog_id == "1537297853620321"
    assert content.product_items[0].quantity == 2
    assert content.text == "please deliver after 6pm"


def test_system() -> None:
    content = only_message(INBOUND_SAMPLES["system"]).content
    assert isinstance(content, SystemContent)
    assert (content.type, content.wa_id) == ("user_changed_number", "16315551182")


def test_unsupported_keeps_errors() -> None:
    item = only_message(INBOUND_SAMPLES["unsupported"])
    assert isinstance(item.content, UnsupportedContent)
    # Meta's own words (error_data.details), for the agent to read.
    assert item.content.reason == "Message type is currently not supported."
    [error] = item.errors
    assert error.code == 131051
    assert error.details == "Message type is currently not supported."


def test_unknown_message_type_is_kept_raw() -> None:
    msg = message("hologram", {"frames": [1, 2, 3]}, brand_new_field=True)
    item = only_message(msg)
    assert item.type == "hologram"
    assert item.content == UnsupportedContent(
        type="hologram",
        payload={"frames": [1, 2, 3]},
        reason="PyTake does not know messages of type 'hologram' yet",
    )
    assert item.raw["brand_new_field"] is True


def test_known_type_with_malformed_object_degrades_instead_of_failing() -> None:
    item = only_message(message("text", {"body": 42}))
    assert isinstance(item.content, UnsupportedContent)
    assert item.content.payload == {"body": 42}
    assert "body" in item.content.reason


def test_context_and_referral() -> None:
    msg = message(
        "text",
        {"body": "about this one"},
        context={"from": "15550783881", "id": "wamid.ORIGINAL", "forwarded": True},
        referral={
            "source_url": "https://fb.me/abc",
            "source_type": "ad",
            "source_id": "120200",
            "headline": "Spring sale",
            "body": "20% off",
            "media_type": "image",
            "image_url": "https://example.com/ad.jpg",
            "ctwa_clid": "ARAkLkA8",
        },
    )
    item = only_message(msg)
    assert item.context is not None
    assert (item.context.from_, item.context.id) == ("15550783881", "wamid.ORIGINAL")
    assert item.context.forwarded
    assert not item.context.frequently_forwarded
    assert item.referral is not None
    assert item.referral.source_type == "ad"
    assert item.referral.ctwa_clid == "ARAkLkA8"


def status(status_name: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "wamid.OUTBOUND1",
        "status": status_name,
        "timestamp": TS,
        "recipient_id": CUSTOMER,
        **extra,
    }


def test_statuses_keep_pricing_and_conversation_opaque() -> None:
    delivered = status(
        "delivered",
        conversation={"id": "c1", "origin": {"type": "service"}},
        pricing={"billable": False, "pricing_model": "PMP", "category": "service"},
    )
    notification = parse_notification(envelope(statuses=[status("sent"), delivered]))
    sent, got = notification.statuses
    assert sent.status == "sent"
    assert got.status == "delivered"
    assert got.message_id == "wamid.OUTBOUND1"
    assert got.recipient_id == CUSTOMER
    assert got.timestamp == WHEN
    assert got.pricing == delivered["pricing"]
    assert got.conversation == delivered["conversation"]
    assert got.raw == delivered


def test_failed_status_with_re_engagement_error() -> None:
    failed = status(
        "failed",
        errors=[
            {
                "code": 131047,
                "title": "Re-engagement message",
                "message": "Re-engagement message",
                "error_data": {"details": "Message failed to send because more than 24 hours"},
                "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
            }
        ],
    )
    [item] = parse_notification(envelope(statuses=[failed])).statuses
    assert item.status == "failed"
    [error] = item.errors
    assert error.code == 131047
    assert error.details is not None
    assert error.details.startswith("Message failed to send")


@pytest.mark.parametrize("odd", ["deleted", "warning", "played"])
def test_unknown_status_strings_are_kept(odd: str) -> None:
    [item] = parse_notification(envelope(statuses=[status(odd)])).statuses
    assert item.status == odd
    assert not advances("sent", odd)


def test_template_status_update() -> None:
    value = {
        "event": "REJECTED",
        "message_template_id": 1234567890,
        "message_template_name": "order_update",
        "message_template_language": "en_US",
        "reason": "INCORRECT_CATEGORY",
    }
    data = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": WABA,
                "time": 1700000000,
                "changes": [{"field": "message_template_status_update", "value": value}],
            }
        ],
    }
    [item] = parse_notification(data).template_status_updates
    assert item.event == "REJECTED"
    assert item.message_template_id == "1234567890"
    assert item.message_template_name == "order_update"
    assert item.message_template_language == "en_US"
    assert item.reason == "INCORRECT_CATEGORY"
    assert item.time == WHEN
    assert item.raw == value


def test_unknown_change_field_is_recorded() -> None:
    value = {"phone_number": "15550783881", "event": "VERIFIED_ACCOUNT"}
    change = {"field": "account_update", "value": value}
    data = {"object": "whatsapp_business_account", "entry": [{"id": WABA, "changes": [change]}]}
    [item] = parse_notification(data).other_changes
    assert (item.field, item.raw) == ("account_update", value)


def test_phone_number_quality_update_is_normalised() -> None:
    value = {
        "display_phone_number": "15550783881",
        "event": "DOWNGRADE",
        "old_limit": "TIER_2K",
        "max_daily_conversations_per_business": "TIER_250",
    }
    change = {"field": "phone_number_quality_update", "value": value}
    data = {"object": "whatsapp_business_account", "entry": [{"id": WABA, "changes": [change]}]}
    [item] = parse_notification(data).number_quality_updates
    assert (item.event, item.limit, item.old_limit) == ("DOWNGRADE", "TIER_250", "TIER_2K")
    assert (item.waba_id, item.raw) == (WABA, value)


def test_value_level_errors() -> None:
    err = {
        "code": 131000,
        "title": "Something went wrong",
        "message": "Something went wrong",
        "error_data": {"details": "Unknown error"},
    }
    [item] = parse_notification(envelope(errors=[err])).errors
    assert item.phone_number_id == PHONE_ID
    assert item.error.code == 131000
    assert item.error.details == "Unknown error"
    assert item.raw == err


def test_several_entries_changes_and_messages_in_one_post() -> None:
    first = envelope(
        messages=[INBOUND_SAMPLES["text"], INBOUND_SAMPLES["image"]], statuses=[status("read")]
    )
    second = envelope(messages=[INBOUND_SAMPLES["reaction"]])
    first["entry"][0]["changes"].append(
        {"field": "account_update", "value": {"event": "VERIFIED_ACCOUNT"}}
    )
    data = {"object": "whatsapp_business_account", "entry": first["entry"] + second["entry"]}
    notification = parse_notification(data)
    assert [i.kind for i in notification.items] == [
        "message",
        "message",
        "status",
        "other",
        "message",
    ]
    assert [m.type for m in notification.messages] == ["text", "image", "reaction"]


def test_extra_fields_everywhere_are_tolerated() -> None:
    data = envelope(messages=[INBOUND_SAMPLES["text"]])
    data["entry"][0]["changes"][0]["value"]["contacts"][0]["user_id"] = "US.123"
    data["entry"][0]["changes"][0]["value"]["brand_new"] = {"x": 1}
    data["entry"][0]["unexpected"] = True
    data["extra_top"] = []
    assert len(parse_notification(data).messages) == 1


@pytest.mark.parametrize(
    "breakage",
    [
        lambda d: d.update(entry={"not": "a list"}),
        lambda d: d.pop("entry"),
        lambda d: d["entry"][0].update(changes="nope"),
    ],
)
def test_malformed_envelope_raises_one_line_payload_error(breakage: Any) -> None:
    data = envelope(messages=[copy.deepcopy(INBOUND_SAMPLES["text"])])
    breakage(data)
    with pytest.raises(WebhookPayloadError) as info:
        parse_notification(data)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("breakage", "field"),
    [
        (lambda d: d["entry"][0]["changes"][0]["value"].pop("metadata"), "messages"),
        (
            lambda d: d["entry"][0]["changes"][0]["value"]["messages"][0].update(timestamp="soon"),
            "messages",
        ),
        (lambda d: d["entry"][0]["changes"][0]["value"]["messages"][0].update(id=7), "messages"),
        (lambda d: d["entry"][0]["changes"][0]["value"]["messages"].append("text"), "messages"),
    ],
)
def test_an_item_that_cannot_be_understood_is_kept_raw_with_its_reason(
    breakage: Any, field: str
) -> None:
    data = envelope(messages=[copy.deepcopy(INBOUND_SAMPLES["text"])])
    breakage(data)
    notification = parse_notification(data)
    [invalid] = notification.invalid
    assert invalid.field == field
    assert invalid.reason
    assert "\n" not in invalid.reason
    assert invalid.waba_id == WABA


def test_a_message_without_from_is_named_by_its_contact() -> None:
    data = envelope(messages=[copy.deepcopy(INBOUND_SAMPLES["text"])])
    del data["entry"][0]["changes"][0]["value"]["messages"][0]["from"]
    [item] = parse_notification(data).messages
    assert item.wa_id == CUSTOMER
    assert item.bsuid is None


# ---- Signatures and the subscription handshake ------------------------------------------------

SECRET = b"app-secret-from-meta"
BODY = json.dumps(envelope(messages=[INBOUND_SAMPLES["text"]])).encode()


def test_signature_valid() -> None:
    header = sign(SECRET, BODY)
    assert header.startswith("sha256=")
    assert len(header) == len("sha256=") + 64
    assert verify_signature(SECRET, BODY, header)


def test_signature_uppercase_hex_is_accepted() -> None:
    header = "sha256=" + sign(SECRET, BODY).removeprefix("sha256=").upper()
    assert verify_signature(SECRET, BODY, header)


def test_signature_wrong_secret() -> None:
    assert not verify_signature(b"another-secret", BODY, sign(SECRET, BODY))


def test_signature_one_flipped_byte_in_body() -> None:
    header = sign(SECRET, BODY)
    tampered = bytearray(BODY)
    tampered[len(tampered) // 2] ^= 0x01
    assert not verify_signature(SECRET, bytes(tampered), header)


def test_signature_is_over_raw_bytes_not_reserialised_json() -> None:
    reserialised = json.dumps(json.loads(BODY), separators=(",", ":")).encode()
    assert not verify_signature(SECRET, reserialised, sign(SECRET, BODY))


def test_signature_missing_header() -> None:
    assert not verify_signature(SECRET, BODY, None)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "sha256=",
        "sha1=" + "0" * 64,
        "sha256=" + "g" * 64,
        "sha256=" + "0" * 63,
        "sha256=" + "0" * 65,
        "SHA256=" + "0" * 64,
        " sha256=" + "0" * 64,
    ],
)
def test_signature_malformed_header(header: str) -> None:
    assert not verify_signature(SECRET, BODY, header)


def test_signature_malformed_header_even_with_right_digest_inside() -> None:
    digest = sign(SECRET, BODY).removeprefix("sha256=")
    assert not verify_signature(SECRET, BODY, digest)
    assert not verify_signature(SECRET, BODY, f"sha256={digest},sha256={digest}")


def test_signature_empty_secret_never_verifies() -> None:
    assert not verify_signature(b"", BODY, sign(b"", BODY))


def test_subscription_handshake() -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "tok-123", "hub.challenge": "1158201444"}
    assert verify_subscription(params, "tok-123") == "1158201444"


@pytest.mark.parametrize(
    ("params", "token"),
    [
        ({"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"}, "tok"),
        ({"hub.mode": "unsubscribe", "hub.verify_token": "tok", "hub.challenge": "1"}, "tok"),
        ({"hub.verify_token": "tok", "hub.challenge": "1"}, "tok"),
        ({"hub.mode": "subscribe", "hub.challenge": "1"}, "tok"),
        ({"hub.mode": "subscribe", "hub.verify_token": "tok"}, "tok"),
        ({"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}, ""),
        ({"hub.mode": "subscribe", "hub.verify_token": "t\u00f6k", "hub.challenge": "1"}, "tok"),
    ],
)
def test_subscription_handshake_refused(params: dict[str, str], token: str) -> None:
    assert verify_subscription(params, token) is None


# ---- Status ordering --------------------------------------------------------------------------

STATUSES = [*STATUS_RANK, "deleted", "warning", "played"]


def test_advances_examples() -> None:
    assert advances(None, "sent")
    assert advances(None, "failed")
    assert advances("sent", "read")
    assert not advances("read", "delivered")
    assert not advances("delivered", "delivered")
    assert advances("sent", "failed")
    assert advances("pending", "failed")
    assert not advances("delivered", "failed")
    assert not advances("failed", "sent")
    assert advances("failed", "delivered")
    assert advances("failed", "read")
    assert not advances("failed", "failed")
    assert not advances("read", "deleted")


def apply(events: list[str]) -> list[str]:
    """States visited, starting from pending, when each event is applied in order."""
    states = ["pending"]
    for event in events:
        if advances(states[-1], event):
            states.append(event)
    return states


@given(st.lists(st.sampled_from(STATUSES), max_size=12))
def test_final_status_does_not_depend_on_arrival_order(events: list[str]) -> None:
    final = apply(events)[-1]
    ranked = [e for e in ["pending", *events] if e in STATUS_RANK]
    if any(e in ("delivered", "read") for e in events):
        assert final == max(ranked, key=STATUS_RANK.__getitem__)
    elif "failed" in events:
        assert final == "failed"
    else:
        assert final == max(ranked, key=STATUS_RANK.__getitem__)


@given(st.lists(st.sampled_from(STATUSES), max_size=12))
def test_status_never_moves_backwards(events: list[str]) -> None:
    states = apply(events)
    assert all(s in STATUS_RANK or s == "failed" for s in states)
    ranked = [STATUS_RANK[s] for s in states if s != "failed"]
    assert ranked == sorted(ranked)
    assert len(set(ranked)) == len(ranked)
    if "failed" in states:
        # Failure only ever follows pending/accepted/sent, and only delivered/read follow it.
        i = states.index("failed")
        assert states[i - 1] in ("pending", "accepted", "sent")
        assert all(s in ("delivered", "read") for s in states[i + 1 :])


# ---- Parse robustness -------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, child in node.items():
            found += paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += paths(child, (*prefix, index))
    return found


def replaced(node: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    clone = copy.copy(node)
    clone[path[0]] = replaced(node[path[0]], path[1:], new)
    return clone


def parses_or_payload_error(data: Any) -> None:
    # Only the envelope can refuse a POST; anything inside becomes an item (maybe InvalidItem).
    message = ""
    try:
        parse_notification(data)
    except WebhookPayloadError as exc:
        message = str(exc)
    assert "\n" not in message


@settings(max_examples=300)
@given(json_values)
def test_arbitrary_json_only_raises_payload_error(data: Any) -> None:
    parses_or_payload_error(data)


ALL_SAMPLES = envelope(
    messages=list(INBOUND_SAMPLES.values()),
    statuses=[status("failed", errors=[{"code": 131047}]), status("read", pricing={})],
    errors=[{"code": 1}],
)


@settings(max_examples=300)
@given(st.data())
def test_realistic_payload_with_one_node_replaced_only_raises_payload_error(
    data: st.DataObject,
) -> None:
    # Random JSON alone almost never gets past the envelope; corrupting one node of a realistic
    # payload exercises every nested model.
    path = data.draw(st.sampled_from(paths(ALL_SAMPLES)))
    parses_or_payload_error(replaced(ALL_SAMPLES, path, data.draw(json_values)))
