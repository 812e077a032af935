"""``POST /{phone-number-id}/messages``: Meta's rules, error codes, statuses and limits."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from pytake_simulator import NumberConfig, Simulator
from pytake_simulator.config import CustomersConfig, PairRateLimitConfig, TimingConfig
from pytake_simulator.contract import Contract

from .support import CUSTOMER, PHONE_ID, Graph, Receiver, SimFactory, error_of, graph_for

WA = {"messaging_product": "whatsapp", "to": CUSTOMER}


def contract_schema(name: str) -> Draft202012Validator:
    return Draft202012Validator(Contract.default().schemas[name])


async def open_window(sim: Simulator, wa_id: str = CUSTOMER) -> str:
    return await sim.customer(wa_id).send_text("hi")


# --- authentication and routing ------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "wrong-token"])
async def test_missing_or_bad_token_is_401_with_code_190(graph: Graph, token: str | None) -> None:
    status, body = await graph.call("POST", f"/{PHONE_ID}/messages", json=WA, token=token)
    assert status == 401
    assert body["error"]["code"] == 190
    assert body["error"]["type"] == "OAuthException"
    contract_schema("graph_error").validate(body)


async def test_token_is_also_accepted_as_a_query_parameter(graph: Graph, sim: Simulator) -> None:
    status, body = await graph.call(
        "GET", f"/{PHONE_ID}", token=None, params={"access_token": "sim-access-token"}
    )
    assert status == 200
    assert body["id"] == PHONE_ID


async def test_unknown_number_is_an_unsupported_request(graph: Graph) -> None:
    status, body = await graph.call("POST", "/123456/messages", json=WA)
    assert status == 400
    assert (body["error"]["code"], body["error"]["error_subcode"]) == (100, 33)
    assert body["error"]["type"] == "GraphMethodException"
    assert "Unsupported post request" in body["error"]["message"]


async def test_any_version_and_unknown_paths(sim: Simulator, graph: Graph) -> None:
    await open_window(sim)
    graph.base = graph.base.replace("v23.0", "v19.0")
    status, _ = await graph.text(CUSTOMER)
    assert status == 200
    status, body = await graph.call("GET", "/me/whatever")
    assert status == 400
    assert body["error"]["code"] == 100
    assert "Unknown path components" in body["error"]["message"]


# --- success shape and statuses ------------------------------------------------------------------


async def test_text_send_succeeds_with_metas_shape(sim: Simulator, graph: Graph) -> None:
    await open_window(sim)
    status, body = await graph.send({**WA, "to": "+55 11 99999-0001", "text": {"body": "Olá"}})
    assert status == 200
    contract_schema("send_message_response").validate(body)
    assert body["messaging_product"] == "whatsapp"
    assert body["contacts"] == [{"input": "+55 11 99999-0001", "wa_id": CUSTOMER}]
    [message] = body["messages"]
    assert message["id"].startswith("wamid.")
    assert message["message_status"] == "accepted"  # every send since 2026, not only templates
    [sent] = await sim.wait_for_outbound(to=CUSTOMER)
    assert sent.id == message["id"]
    assert sent.type == "text"  # "type" defaulted as Meta documents
    assert sent.text == "Olá"


async def test_statuses_sent_delivered_read_with_pricing(
    sim: Simulator, graph: Graph, receiver: Receiver
) -> None:
    await open_window(sim)
    sim.set_customer(CUSTOMER, reads=True)
    _, body = await graph.send(
        {**WA, "type": "text", "text": {"body": "x"}, "biz_opaque_callback_data": "ref-1"}
    )
    wamid = body["messages"][0]["id"]
    await sim.wait_for_status(wamid, "read")
    await sim.wait_settled()
    statuses = [s for s in receiver.statuses() if s["id"] == wamid]
    assert [s["status"] for s in statuses] == ["sent", "delivered", "read"]
    sent, delivered, read = statuses
    for status in statuses:
        assert status["recipient_id"] == CUSTOMER
        assert status["timestamp"].isdigit()
        assert status["biz_opaque_callback_data"] == "ref-1"
    assert sent["pricing"] == {
        "billable": False,
        "pricing_model": "PMP",
        "category": "service",
        "type": "free_customer_service",
    }
    assert sent["conversation"]["origin"] == {"type": "service"}
    assert sent["conversation"]["expiration_timestamp"].isdigit()
    assert delivered["conversation"]["id"] == sent["conversation"]["id"]
    assert "expiration_timestamp" not in delivered["conversation"]
    assert "pricing" not in read


async def test_customer_reads_on_demand(sim: Simulator, graph: Graph) -> None:
    await open_window(sim)
    sim.set_customer(CUSTOMER, reads=False)
    _, body = await graph.text(CUSTOMER)
    wamid = body["messages"][0]["id"]
    await sim.wait_for_status(wamid, "delivered")
    assert sim.store.outbound[wamid].status == "delivered"
    assert await sim.customer(CUSTOMER).read() == [wamid]
    assert sim.store.outbound[wamid].status == "read"
    assert await sim.customer(CUSTOMER).read() == []


# --- the 24-hour window, undeliverable customers, unknown media ----------------------------------


async def test_free_form_outside_the_window_fails_later_with_131047(
    sim: Simulator, graph: Graph, receiver: Receiver
) -> None:
    status, body = await graph.text("5511988887777")
    assert status == 200  # Meta accepts it...
    wamid = body["messages"][0]["id"]
    message = await sim.wait_for_status(wamid, "failed")  # ...then fails it
    [error] = message.statuses[-1].errors
    assert error.code == 131047
    await sim.wait_settled()
    [failed] = [s for s in receiver.statuses() if s["id"] == wamid]
    assert failed["status"] == "failed"
    assert failed["errors"] == [
        {
            "code": 131047,
            "title": "Re-engagement message",
            "message": "Re-engagement message",
            "error_data": {
                "details": "Message failed to send because more than 24 hours have passed "
                "since the customer last replied to this number."
            },
            "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
        }
    ]


async def test_window_closes_24_hours_after_the_last_customer_message(
    sim: Simulator, graph: Graph
) -> None:
    await open_window(sim)
    sim.advance_clock(23 * 3600)
    _, inside = await graph.text(CUSTOMER)
    await sim.wait_for_status(inside["messages"][0]["id"], "delivered")
    sim.advance_clock(2 * 3600)
    _, outside = await graph.text(CUSTOMER)
    await sim.wait_for_status(outside["messages"][0]["id"], "failed")
    # Templates are allowed outside the window, and the business's own messages never reopen it.
    _, template = await graph.send(
        {
            **WA,
            "type": "template",
            "template": {"name": "hello_world", "language": {"code": "en_US"}},
        }
    )
    message = await sim.wait_for_status(template["messages"][0]["id"], "delivered")
    assert message.billable
    _, again = await graph.text(CUSTOMER)
    await sim.wait_for_status(again["messages"][0]["id"], "failed")


async def test_customer_not_on_whatsapp_fails_with_131026(make_sim: SimFactory) -> None:
    sim = await make_sim(customers=CustomersConfig(not_on_whatsapp_prefixes=["1555000"]))
    async with graph_for(sim) as graph:
        status, body = await graph.send(
            {
                **WA,
                "to": "15550001234",
                "type": "template",
                "template": {"name": "hello_world", "language": {"code": "en_US"}},
            }
        )
    assert status == 200
    message = await sim.wait_for_status(body["messages"][0]["id"], "failed")
    assert [e.code for e in message.statuses[-1].errors] == [131026]
    assert not message.has("sent")


async def test_unknown_media_id_fails_later_with_131053(sim: Simulator, graph: Graph) -> None:
    await open_window(sim)
    _, body = await graph.send({**WA, "type": "image", "image": {"id": "999999"}})
    message = await sim.wait_for_status(body["messages"][0]["id"], "failed")
    assert [e.code for e in message.statuses[-1].errors] == [131053]


# --- validation: the contract and Meta's documented rules ----------------------------------------


async def rejected(graph: Graph, body: dict[str, Any]) -> tuple[int, int, str]:
    status, payload = await graph.send(body)
    code, details = error_of(payload)
    return status, code, details


def interactive_buttons(*titles: str, ids: list[str] | None = None) -> dict[str, Any]:
    button_ids = ids or [f"b{i}" for i in range(len(titles))]
    return {
        **WA,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Pick one"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": i, "title": t}}
                    for i, t in zip(button_ids, titles, strict=True)
                ]
            },
        },
    }


def interactive_list(
    rows_per_section: list[int], *, row_title: str = "Row", button: str = "Options"
) -> dict[str, Any]:
    sections = [
        {
            "title": f"Section {s}",
            "rows": [{"id": f"r{s}-{r}", "title": row_title} for r in range(rows)],
        }
        for s, rows in enumerate(rows_per_section)
    ]
    return {
        **WA,
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": "Choose"},
            "action": {"button": button, "sections": sections},
        },
    }


@pytest.mark.parametrize(
    ("body", "code", "fragment"),
    [
        ({**WA, "type": "text", "text": {"body": "x" * 4097}}, 100, "at most 4096"),
        ({**WA, "type": "text", "text": {"body": "  "}}, 100, "text['body'] is required"),
        ({**WA, "type": "text", "text": {}}, 100, "text['body'] is required"),
        (
            {**WA, "type": "text", "text": {"body": "x"}, "colour": "red"},
            100,
            'Unexpected key "colour"',
        ),
        (
            {"to": CUSTOMER, "type": "text", "text": {"body": "x"}},
            100,
            "messaging_product is required",
        ),
        (
            {**WA, "messaging_product": "sms", "text": {"body": "x"}},
            100,
            "must be one of {WHATSAPP}",
        ),
        ({**WA, "type": "hologram"}, 100, "Param type must be one of"),
        ({**WA, "to": "call me maybe", "text": {"body": "x"}}, 131009, "Invalid 'to'"),
        ({**WA, "type": "image", "image": {"caption": "no id"}}, 100, "image['id'] is required"),
        ({**WA, "type": "location", "location": {"latitude": 1}}, 100, "longitude"),
    ],
)
async def test_invalid_bodies(graph: Graph, body: dict[str, Any], code: int, fragment: str) -> None:
    status, got_code, details = await rejected(graph, body)
    assert (status, got_code) == (400, code)
    assert fragment in details


async def test_text_of_exactly_4096_characters_is_fine(sim: Simulator, graph: Graph) -> None:
    await open_window(sim)
    status, _ = await graph.send({**WA, "type": "text", "text": {"body": "x" * 4096}})
    assert status == 200


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (interactive_buttons(), "between 1 and 3"),
        (interactive_buttons("a", "b", "c", "d"), "between 1 and 3"),
        (interactive_buttons("x" * 21), "Max length: 20"),
        (interactive_buttons("Yes", "Yes"), "titles must be unique"),
        (interactive_buttons("Yes", ids=["x" * 257]), "Max length: 256"),
        (interactive_buttons("Yes", "No", ids=["same", "same"]), "ids must be unique"),
        (interactive_list([6, 5]), "Total row count exceed max allowed count: 10"),
        (interactive_list([1] * 11), "at most 10"),
        (interactive_list([2], row_title="x" * 25), "Max length: 24"),
        (interactive_list([2], button="x" * 21), "Max length: 20"),
    ],
)
async def test_interactive_limits_are_131009(
    graph: Graph, body: dict[str, Any], fragment: str
) -> None:
    status, code, details = await rejected(graph, body)
    assert (status, code) == (400, 131009)
    assert fragment in details


async def test_interactive_limits_at_their_boundaries_pass(sim: Simulator, graph: Graph) -> None:
    await open_window(sim)
    for body in (
        interactive_buttons("x" * 20, "y" * 20, "z" * 20, ids=["a" * 256, "b", "c"]),
        interactive_list([5, 5], row_title="x" * 24, button="y" * 20),
    ):
        status, payload = await graph.send(body)
        assert status == 200, payload


async def test_interactive_needs_a_body(graph: Graph) -> None:
    body = interactive_buttons("Yes")
    del body["interactive"]["body"]
    status, code, details = await rejected(graph, body)
    assert (status, code) == (400, 100)
    assert "interactive['body']" in details


# --- templates -----------------------------------------------------------------------------------


def template(
    name: str, language: str = "en_US", components: list[Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "language": {"code": language}}
    if components is not None:
        body["components"] = components
    return {**WA, "type": "template", "template": body}


def body_params(*texts: str) -> dict[str, Any]:
    return {"type": "body", "parameters": [{"type": "text", "text": t} for t in texts]}


async def test_template_success_is_accepted(sim: Simulator, graph: Graph) -> None:
    status, body = await graph.send(template("order_update", components=[body_params("Ana", "#1")]))
    assert status == 200
    assert body["messages"][0]["message_status"] == "accepted"
    contract_schema("send_message_response").validate(body)
    [message] = await sim.wait_for_outbound(to=CUSTOMER)
    assert message.template_name == "order_update"
    assert message.pricing_category == "utility"


@pytest.mark.parametrize(
    ("name", "language"),
    [
        ("no_such_template", "en_US"),
        ("order_update", "pt_BR"),
        ("spring_sale", "en_US"),
        ("miracle_cure", "en_US"),
    ],
)
async def test_missing_or_unapproved_template_is_132001(
    graph: Graph, name: str, language: str
) -> None:
    status, code, details = await rejected(graph, template(name, language))
    assert (status, code) == (404, 132001)
    assert details == f"template name ({name}) does not exist in {language}"


@pytest.mark.parametrize(
    "components",
    [
        None,
        [body_params("only one")],
        [body_params("a", "b", "c")],
        [body_params("a", "b"), {"type": "header", "parameters": [{"type": "text", "text": "h"}]}],
    ],
)
async def test_parameter_count_mismatch_is_132000(
    graph: Graph, components: list[Any] | None
) -> None:
    status, code, details = await rejected(graph, template("order_update", components=components))
    assert (status, code) == (400, 132000)
    assert "does not match the expected number of params" in details


async def test_named_parameters(sim: Simulator, graph: Graph) -> None:
    def named(**params: str) -> list[Any]:
        return [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "parameter_name": k, "text": v} for k, v in params.items()
                ],
            }
        ]

    ok = template("appointment_reminder", "pt_BR", named(customer_name="Maria", time="15:30"))
    assert (await graph.send(ok))[0] == 200
    wrong = template("appointment_reminder", "pt_BR", named(customer_name="Maria", hour="15:30"))
    status, code, details = await rejected(graph, wrong)
    assert (status, code) == (400, 132000)
    assert "customer_name, time" in details


async def test_header_media_and_url_button_parameters(graph: Graph) -> None:
    image = {
        "type": "header",
        "parameters": [{"type": "image", "image": {"link": "https://x/y.jpg"}}],
    }
    status, _ = await graph.send(template("shipping_photo", components=[image, body_params("#1")]))
    assert status == 200
    text_header = {"type": "header", "parameters": [{"type": "text", "text": "oops"}]}
    status, code, details = await rejected(
        graph, template("shipping_photo", components=[text_header, body_params("#1")])
    )
    assert (status, code) == (400, 132012)
    assert "expected IMAGE" in details

    button = {
        "type": "button",
        "sub_type": "url",
        "index": "0",
        "parameters": [{"type": "text", "text": "4821"}],
    }
    status, _ = await graph.send(template("track_order", components=[body_params("#1"), button]))
    assert status == 200
    status, code, _ = await rejected(graph, template("track_order", components=[body_params("#1")]))
    assert (status, code) == (400, 132000)


# --- mark as read --------------------------------------------------------------------------------


async def test_mark_as_read_with_typing_indicator(sim: Simulator, graph: Graph) -> None:
    wamid = await open_window(sim)
    status, body = await graph.send(
        {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": wamid,
            "typing_indicator": {"type": "text"},
        }
    )
    assert (status, body) == (200, {"success": True})
    inbound = sim.inbound_message(wamid)
    assert inbound.read_by_business
    assert inbound.typing_indicator


async def test_mark_as_read_of_an_unknown_message_is_131009(graph: Graph) -> None:
    status, body = await graph.send(
        {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.nope"}
    )
    assert status == 400
    assert error_of(body)[0] == 131009


# --- limits --------------------------------------------------------------------------------------


async def test_throughput_limit_is_130429(make_sim: SimFactory) -> None:
    sim = await make_sim(numbers=[NumberConfig(throughput_mps=3)])
    codes = []
    async with graph_for(sim) as graph:
        for _ in range(5):
            status, body = await graph.send(template("hello_world", components=None))
            codes.append(200 if status == 200 else error_of(body)[0])
    assert codes == [200, 200, 200, 130429, 130429]
    assert sim.stats().rejected_by_code == {"130429": 2}


async def test_pair_rate_limit_is_131056_per_customer(make_sim: SimFactory) -> None:
    sim = await make_sim(pair_rate_limit=PairRateLimitConfig(burst=2, interval=60))
    async with graph_for(sim) as graph:
        first = [(await graph.send(template("hello_world")))[0] for _ in range(2)]
        status, body = await graph.send(template("hello_world"))
        other, _ = await graph.send({**template("hello_world"), "to": "5511999990002"})
    assert first == [200, 200]
    assert status == 400
    assert error_of(body) == (
        131056,
        "Message failed to send because there were too many messages sent from this phone "
        "number to the same phone number in a short period of time.",
    )
    assert other == 200


async def test_read_probability_zero_means_no_read(make_sim: SimFactory) -> None:
    sim = await make_sim(timing=TimingConfig(sent_delay=0, delivered_delay=0, read_probability=0))
    await open_window(sim)
    async with graph_for(sim) as graph:
        _, body = await graph.text(CUSTOMER)
    message = await sim.wait_for_status(body["messages"][0]["id"], "delivered")
    await sim.wait_settled()
    assert message.status == "delivered"
