"""Media (upload, URL, download, delete), templates (list, paging, create, review) and nodes."""

from __future__ import annotations

import hashlib
from typing import Any

import aiohttp
import pytest
from jsonschema import Draft202012Validator

from pytake_simulator import Simulator
from pytake_simulator.contract import Contract

from .support import CUSTOMER, PHONE_ID, WABA_ID, Graph, Receiver, error_of


def validate(schema: str, body: Any) -> None:
    Draft202012Validator(Contract.default().schemas[schema]).validate(body)


def upload_form(data: bytes, mime: str, *, product: str | None = "whatsapp") -> aiohttp.FormData:
    form = aiohttp.FormData()
    if product is not None:
        form.add_field("messaging_product", product)
    form.add_field("file", data, filename="upload.bin", content_type=mime)
    form.add_field("type", mime)
    return form


# --- media ----------------------------------------------------------------------------------------


async def test_media_round_trip(sim: Simulator, graph: Graph) -> None:
    data = b"\x89PNG\r\n\x1a\n" + b"pixels" * 100
    status, body = await graph.call(
        "POST", f"/{PHONE_ID}/media", data=upload_form(data, "image/png")
    )
    assert status == 200
    validate("upload_media_response", body)
    media_id = body["id"]

    status, info = await graph.call("GET", f"/{media_id}")
    assert status == 200
    validate("media_url_response", info)
    assert info == {
        "messaging_product": "whatsapp",
        "url": info["url"],
        "mime_type": "image/png",
        "sha256": hashlib.sha256(data).hexdigest(),
        "file_size": len(data),
        "id": media_id,
    }
    assert info["url"].startswith(sim.base_url or "?")

    async with graph.session.get(info["url"]) as response:
        assert response.status == 401  # the URL alone is not enough, as with Meta
    async with graph.session.get(
        info["url"], headers={"Authorization": "Bearer sim-access-token"}
    ) as response:
        assert response.status == 200
        assert response.content_type == "image/png"
        assert await response.read() == data

    # The URL is short-lived.
    sim.advance_clock(301)
    async with graph.session.get(
        info["url"], headers={"Authorization": "Bearer sim-access-token"}
    ) as response:
        assert response.status == 404

    status, body = await graph.call("DELETE", f"/{media_id}")
    assert (status, body) == (200, {"success": True})
    status, body = await graph.call("GET", f"/{media_id}")
    assert status == 400
    assert body["error"]["error_subcode"] == 33


async def test_media_lookup_checks_the_number(sim: Simulator, graph: Graph) -> None:
    _, body = await graph.call(
        "POST", f"/{PHONE_ID}/media", data=upload_form(b"%PDF-1", "application/pdf")
    )
    status, _ = await graph.call("GET", f"/{body['id']}", params={"phone_number_id": "1"})
    assert status == 400
    status, _ = await graph.call("GET", f"/{body['id']}", params={"phone_number_id": PHONE_ID})
    assert status == 200


@pytest.mark.parametrize(
    ("form", "code", "fragment"),
    [
        (upload_form(b"x", "image/png", product=None), 100, "messaging_product is required"),
        (upload_form(b"x", "image/gif"), 131053, "Unsupported media type"),
        (upload_form(b"x" * (500 * 1024 + 1), "image/webp"), 131053, "exceeds the sticker limit"),
    ],
)
async def test_media_upload_errors(
    graph: Graph, form: aiohttp.FormData, code: int, fragment: str
) -> None:
    status, body = await graph.call("POST", f"/{PHONE_ID}/media", data=form)
    assert status == 400
    got_code, details = error_of(body)
    assert got_code == code
    assert fragment in details


async def test_media_upload_needs_a_file(graph: Graph) -> None:
    form = aiohttp.FormData()
    form.add_field("messaging_product", "whatsapp")
    form.add_field("type", "image/png")
    status, body = await graph.call("POST", f"/{PHONE_ID}/media", data=form)
    assert status == 400
    assert "file is required" in error_of(body)[1]


async def test_uploaded_media_can_be_sent(sim: Simulator, graph: Graph) -> None:
    await sim.customer(CUSTOMER).send_text("hi")
    _, body = await graph.call(
        "POST", f"/{PHONE_ID}/media", data=upload_form(b"\xff\xd8\xff", "image/jpeg")
    )
    status, sent = await graph.send(
        {
            "messaging_product": "whatsapp",
            "to": CUSTOMER,
            "type": "image",
            "image": {"id": body["id"]},
        }
    )
    assert status == 200
    await sim.wait_for_status(sent["messages"][0]["id"], "delivered")


# --- nodes ----------------------------------------------------------------------------------------


async def test_phone_number_node(sim: Simulator, graph: Graph) -> None:
    status, body = await graph.call("GET", f"/{PHONE_ID}")
    assert status == 200
    validate("phone_number_response", body)
    assert body == {
        "verified_name": "PyTake Demo",
        "code_verification_status": "VERIFIED",
        "display_phone_number": "+1 555 0100",
        "quality_rating": "GREEN",
        "platform_type": "CLOUD_API",
        "throughput": {"level": "STANDARD"},
        "webhook_configuration": {"application": sim.webhook_url},
        "id": PHONE_ID,
    }
    status, body = await graph.call(
        "GET", f"/{PHONE_ID}", params={"fields": "name_status,quality_rating"}
    )
    assert body == {"quality_rating": "GREEN", "name_status": "APPROVED", "id": PHONE_ID}
    status, body = await graph.call("GET", f"/{PHONE_ID}", params={"fields": "colour"})
    assert status == 400
    assert "nonexisting field (colour)" in body["error"]["message"]


async def test_business_account_nodes(graph: Graph) -> None:
    status, body = await graph.call("GET", f"/{WABA_ID}")
    assert status == 200
    assert body["id"] == WABA_ID
    status, body = await graph.call("GET", f"/{WABA_ID}/phone_numbers")
    assert [n["id"] for n in body["data"]] == [PHONE_ID]


# --- templates ------------------------------------------------------------------------------------


async def list_templates(graph: Graph, **params: str) -> dict[str, Any]:
    status, body = await graph.call("GET", f"/{WABA_ID}/message_templates", params=params)
    assert status == 200, body
    validate("template_list_response", body)
    return dict(body)


async def test_seeded_templates(graph: Graph) -> None:
    body = await list_templates(graph)
    by_name = {t["name"]: t for t in body["data"]}
    assert {
        "hello_world",
        "order_update",
        "appointment_reminder",
        "shipping_photo",
        "track_order",
        "spring_sale",
        "miracle_cure",
    } <= set(by_name)
    assert by_name["appointment_reminder"]["parameter_format"] == "NAMED"
    assert by_name["appointment_reminder"]["language"] == "pt_BR"
    assert by_name["spring_sale"]["status"] == "PENDING"
    assert by_name["miracle_cure"]["status"] == "REJECTED"
    assert by_name["miracle_cure"]["rejected_reason"] == "INVALID_FORMAT"
    assert by_name["shipping_photo"]["components"][0] == {
        "type": "HEADER",
        "format": "IMAGE",
        "example": {"header_handle": ["https://example.com/parcel.jpg"]},
    }
    assert "next" not in body["paging"]


async def test_template_paging(graph: Graph) -> None:
    everything = [t["id"] for t in (await list_templates(graph))["data"]]
    seen: list[str] = []
    page = await list_templates(graph, limit="3")
    while True:
        seen.extend(t["id"] for t in page["data"])
        assert len(page["data"]) <= 3
        next_url = page["paging"].get("next")
        if next_url is None:
            break
        assert next_url.startswith("http://")
        assert "limit=3" in next_url
        async with graph.session.get(
            next_url, headers={"Authorization": "Bearer sim-access-token"}
        ) as response:
            page = await response.json()
    assert seen == everything
    # Going back from the last page with its "before" cursor.
    back = await list_templates(graph, limit="3", before=page["paging"]["cursors"]["before"])
    assert [t["id"] for t in back["data"]] == everything[
        -len(page["data"]) - 3 : -len(page["data"])
    ]
    status, _ = await graph.call(
        "GET", f"/{WABA_ID}/message_templates", params={"after": "garbage!"}
    )
    assert status == 400


async def test_template_filters_and_fields(graph: Graph) -> None:
    pending = await list_templates(graph, status="PENDING")
    assert [t["name"] for t in pending["data"]] == ["spring_sale"]
    pt = await list_templates(graph, language="pt_BR")
    assert [t["name"] for t in pt["data"]] == ["appointment_reminder"]
    marketing = await list_templates(graph, category="marketing")
    assert {t["category"] for t in marketing["data"]} == {"MARKETING"}
    named = await list_templates(graph, name="order")
    assert {t["name"] for t in named["data"]} == {"order_update", "track_order"}
    narrow = await list_templates(graph, fields="name,status", limit="1")
    assert set(narrow["data"][0]) == {"name", "status", "id"}


NEW_TEMPLATE = {
    "name": "delivery_window",
    "language": "en_US",
    "category": "UTILITY",
    "components": [
        {
            "type": "BODY",
            "text": "Your delivery arrives between {{1}} and {{2}}.",
            "example": {"body_text": [["9:00", "11:00"]]},
        },
        {"type": "FOOTER", "text": "Reply STOP to opt out"},
    ],
}


async def test_create_template_then_approval_webhook(
    sim: Simulator, graph: Graph, receiver: Receiver
) -> None:
    status, body = await graph.call("POST", f"/{WABA_ID}/message_templates", json=NEW_TEMPLATE)
    assert status == 200
    validate("create_template_response", body)
    assert body == {"id": body["id"], "status": "PENDING", "category": "UTILITY"}
    send = {
        "messaging_product": "whatsapp",
        "to": CUSTOMER,
        "type": "template",
        "template": {
            "name": "delivery_window",
            "language": {"code": "en_US"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "9:00"},
                        {"type": "text", "text": "11:00"},
                    ],
                }
            ],
        },
    }
    status, rejected = await graph.send(send)
    assert (status, rejected["error"]["code"]) == (404, 132001)  # not approved yet

    await receiver.wait_for(lambda: any("event" in v for v in receiver.values()))
    [event] = [v for v in receiver.values() if "event" in v]
    assert event == {
        "event": "APPROVED",
        "message_template_id": int(body["id"]),
        "message_template_name": "delivery_window",
        "message_template_language": "en_US",
        "reason": None,
    }
    status, _ = await graph.send(send)
    assert status == 200


async def test_rejected_template(sim: Simulator, graph: Graph, receiver: Receiver) -> None:
    template = {**NEW_TEMPLATE, "name": "please_reject_me"}
    status, _ = await graph.call("POST", f"/{WABA_ID}/message_templates", json=template)
    assert status == 200
    await receiver.wait_for(lambda: any("event" in v for v in receiver.values()))
    [event] = [v for v in receiver.values() if "event" in v]
    assert (event["event"], event["reason"]) == ("REJECTED", "INVALID_FORMAT")
    listed = await list_templates(graph, name="please_reject_me")
    assert listed["data"][0]["status"] == "REJECTED"


async def test_duplicate_template(graph: Graph) -> None:
    status, body = await graph.call(
        "POST",
        f"/{WABA_ID}/message_templates",
        json={**NEW_TEMPLATE, "name": "order_update"},
    )
    assert status == 400
    error = body["error"]
    assert (error["code"], error["error_subcode"]) == (100, 2388024)
    assert error["error_user_title"] == "Content in This Language Already Exists"
    # Same name in another language is a new translation, which is fine.
    status, _ = await graph.call(
        "POST",
        f"/{WABA_ID}/message_templates",
        json={**NEW_TEMPLATE, "name": "order_update", "language": "es"},
    )
    assert status == 200


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"name": "Has Spaces"}, "lowercase alphanumeric"),
        ({"category": "SPAM"}, "category"),
        ({"language": "english"}, "Invalid language code"),
        ({"components": [{"type": "FOOTER", "text": "no body"}]}, "needs a BODY"),
        ({"components": [{"type": "BODY", "text": "Hi {{2}}"}]}, "sequential"),
        ({"components": [{"type": "BODY", "text": "x" * 1025}]}, "at most 1024"),
        (
            {
                "components": [
                    {"type": "BODY", "text": "ok"},
                    {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "x" * 26}]},
                ]
            },
            "at most 25",
        ),
    ],
)
async def test_invalid_templates(graph: Graph, change: dict[str, Any], fragment: str) -> None:
    status, body = await graph.call(
        "POST", f"/{WABA_ID}/message_templates", json={**NEW_TEMPLATE, **change}
    )
    assert status == 400
    code, details = error_of(body)
    assert code == 100
    assert fragment in details


async def test_delete_template(graph: Graph) -> None:
    status, body = await graph.call(
        "DELETE", f"/{WABA_ID}/message_templates", params={"name": "spring_sale"}
    )
    assert (status, body) == (200, {"success": True})
    assert (await list_templates(graph, name="spring_sale"))["data"] == []
    status, body = await graph.call(
        "DELETE", f"/{WABA_ID}/message_templates", params={"name": "spring_sale"}
    )
    assert status == 400
