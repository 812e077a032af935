"""Outgoing message protocol: WhatsApp's limits at their boundaries, and ``to_graph`` bodies checked
against Meta's OpenAPI contract.

The contract (``pytake_simulator/contract``) has three defects that make it reject Meta's own
examples; ``_repaired_components`` fixes exactly those, and ``test_contract_repairs_are_needed``
fails once Meta fixes them upstream so the repairs can be dropped.
"""

from __future__ import annotations

import copy
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from pydantic import TypeAdapter, ValidationError

from pytake_daemon.protocol import OutgoingContent, SendMessageRequest
from pytake_daemon.protocol.outgoing import ButtonsOut, ListOut, ReactionOut, TemplateOut, TextOut
from pytake_daemon.whatsapp.graph_send import GraphSendRequest, mark_read_body, to_graph
from pytake_daemon.whatsapp.recipient import Recipient

CONTRACT = (
    Path(__file__).resolve().parents[2]
    / "pytake_simulator/contract/whatsapp-business-messaging-api_v23.0.openapi.yaml"
)
CUSTOMER = "16505551234"
PHONE = Recipient(phone=CUSTOMER)
WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA"
MESSAGE_TYPES = [
    "TextMessage",
    "AudioMessage",
    "DocumentMessage",
    "ImageMessage",
    "LocationMessage",
    "VideoMessage",
    "StickerMessage",
    "ReactionMessage",
    "InteractiveMessage",
    "TemplateMessage",
    "ContactsMessage",
]

content_adapter: TypeAdapter[OutgoingContent] = TypeAdapter(OutgoingContent)


def parse(raw: dict[str, Any]) -> OutgoingContent:
    return content_adapter.validate_python(raw)


def errors_of(raw: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as info:
        parse(raw)
    return [
        (".".join(str(p) for p in e["loc"]), e["msg"]) for e in info.value.errors(include_url=False)
    ]


def message_of(raw: dict[str, Any]) -> str:
    return " | ".join(f"{loc}: {msg}" for loc, msg in errors_of(raw))


# ---- The contract ---------------------------------------------------------------------------


def _close_all_of(node: Any) -> None:
    """``allOf: [Base, {additionalProperties: false, …}]`` rejects Base's own fields, since
    ``additionalProperties`` only sees its sibling ``properties``; JSON Schema 2020-12 expresses
    the intent ("nothing beyond what the allOf describes") as ``unevaluatedProperties``."""
    if isinstance(node, dict):
        subschemas = node.get("allOf", [])
        closed = [
            s for s in subschemas if isinstance(s, dict) and s.get("additionalProperties") is False
        ]
        for sub in closed:
            del sub["additionalProperties"]
        if closed:
            node["unevaluatedProperties"] = False
        for value in node.values():
            _close_all_of(value)
    elif isinstance(node, list):
        for value in node:
            _close_all_of(value)


def _repaired_components(document: dict[str, Any]) -> dict[str, Any]:
    components: dict[str, Any] = copy.deepcopy(document["components"])
    schemas = components["schemas"]
    for name in MESSAGE_TYPES:
        _close_all_of(schemas[name])
    # "^[2-6, 11-14]$" is a one-character class that refuses Meta's own index "0".
    schemas["TemplateComponent"]["properties"]["index"]["pattern"] = "^[0-9]$"
    # Typed as strings while Meta's documentation and its own example send numbers.
    location = schemas["LocationMessage"]["allOf"][1]["properties"]["location"]["properties"]
    for key in ("latitude", "longitude"):
        location[key] = {"type": ["number", "string"]}
    _newer_than_the_contract(schemas)
    return components


def _newer_than_the_contract(schemas: dict[str, Any]) -> None:
    """What Meta added after the v23 contract was published (2026): ``recipient`` (a BSUID) next
    to ``to``, and the ``request_contact_info`` interactive message with its named action."""
    base = schemas["BaseMessageProperties"]
    base["properties"]["recipient"] = {
        "type": "string",
        "pattern": r"^[A-Za-z]{2}\.(ENT\.)?[A-Za-z0-9]{1,128}$",
    }
    base["required"] = [r for r in base["required"] if r != "to"]
    base["anyOf"] = [{"required": ["to"]}, {"required": ["recipient"]}]
    schemas["InteractiveObject"]["properties"]["type"]["enum"].append("request_contact_info")
    schemas["ActionObject"]["oneOf"].append(
        {
            "required": ["name"],
            "properties": {"name": {"type": "string", "enum": ["request_contact_info"]}},
            "additionalProperties": False,
        }
    )


class Contract:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.raw = Draft202012Validator(
            {"$ref": "#/components/schemas/Message", "components": document["components"]}
        )
        self.message = Draft202012Validator(
            {"$ref": "#/components/schemas/Message", "components": _repaired_components(document)}
        )

    def request_examples(self) -> dict[str, Any]:
        post = self.document["paths"]["/{Version}/{Phone-Number-ID}/messages"]["post"]
        examples = post["requestBody"]["content"]["application/json"]["examples"]
        return {name: example["value"] for name, example in examples.items()}

    def problems(self, body: dict[str, Any]) -> list[str]:
        from jsonschema.exceptions import best_match

        error = best_match(self.message.iter_errors(body))
        if error is None:
            return []
        details = [c.message for c in error.context or []]
        return [f"{list(error.absolute_path)}: {error.message[:200]}", *details[:5]]


@pytest.fixture(scope="session")
def contract() -> Contract:
    with CONTRACT.open() as fh:
        document = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return Contract(document)


def test_contract_repairs_are_needed(contract: Contract) -> None:
    examples = contract.request_examples()
    assert not contract.raw.is_valid(examples["Send Text Message"])
    assert contract.message.is_valid(examples["Send Text Message"])


@pytest.mark.parametrize(
    "example",
    [
        "Send Text Message",
        "Send Reply to Text Message",
        "Send Image Message by ID",
        "Send Document Message by URL",
        "Send Sticker Message by ID",
        "Send Location Message",
        "Send Reply with Reaction Message",
        "Send Reply Button",
        "Send List Message",
    ],
)
def test_repaired_contract_accepts_metas_examples(contract: Contract, example: str) -> None:
    assert contract.problems(contract.request_examples()[example]) == []


def test_repaired_contract_still_refuses_unknown_fields(contract: Contract) -> None:
    body = to_graph(TextOut(body="hi"), PHONE, reply_to_wamid=None).to_json()
    assert contract.problems(body) == []
    assert contract.problems({**body, "surprise": 1}) != []
    assert contract.problems({**body, "text": {"body": "hi", "surprise": 1}}) != []


# ---- Every kind of content, converted and checked against the contract ------------------------

LINK = "https://cdn.example.com/files/receipt.pdf"

VALID_CONTENTS: dict[str, dict[str, Any]] = {
    "text": {"type": "text", "body": "Olá! Your order shipped.", "preview_url": True},
    "text-plain": {"type": "text", "body": "x" * 4096},
    "image-id": {"type": "image", "media_id": "1166846181421424", "caption": "the chart"},
    "image-link": {"type": "image", "link": "https://cdn.example.com/a.jpg"},
    "video": {"type": "video", "link": "https://cdn.example.com/v.mp4", "caption": "c" * 1024},
    "audio": {"type": "audio", "media_id": "1013859600285441"},
    "document": {"type": "document", "link": LINK, "filename": "receipt.pdf", "caption": "yours"},
    "sticker": {"type": "sticker", "media_id": "798882015472548"},
    "location": {
        "type": "location",
        "latitude": 37.758056,
        "longitude": -122.425332,
        "name": "META HQ",
        "address": "1 Hacker Way, Menlo Park, CA 94025",
    },
    "reaction": {"type": "reaction", "message_id": WAMID, "emoji": "\N{THUMBS UP SIGN}"},
    "reaction-removed": {"type": "reaction", "message_id": WAMID, "emoji": ""},
    "buttons": {
        "type": "buttons",
        "header": "Delivery",
        "body": "When should we come?",
        "footer": "Reply anytime",
        "buttons": [
            {"id": "slot-am", "title": "Morning"},
            {"id": "slot-pm", "title": "Afternoon"},
            {"id": "slot-ev", "title": "x" * 20},
        ],
    },
    "list": {
        "type": "list",
        "header": "Menu",
        "body": "Pick a topic",
        "button": "Topics",
        "sections": [
            {"title": "Orders", "rows": [{"id": "o1", "title": "Track", "description": "d" * 72}]},
            {"title": "Account", "rows": [{"id": f"a{i}", "title": "t" * 24} for i in range(9)]},
        ],
    },
    "template-static": {"type": "template", "name": "hello_world", "language": "en_US"},
    "template-positional": {
        "type": "template",
        "name": "limited_time_offer_tuscan_getaway_2023",
        "language": "en_US",
        "components": [
            {"type": "header", "image": {"link": "https://cdn.example.com/tuscany.jpg"}},
            {"type": "body", "parameters": ["Mark", "Tuscan Getaway package", "800"]},
            {"type": "button", "sub_type": "url", "index": 1, "text": "summer2023"},
        ],
    },
    "template-named": {
        "type": "template",
        "name": "order_update",
        "language": "pt_BR",
        "components": [
            {"type": "header", "text": {"order_id": "566701"}},
            {"type": "body", "parameters": {"first_name": "Jessica", "order_id": "566701"}},
            {"type": "button", "sub_type": "quick_reply", "index": 0, "payload": "STOP-566701"},
        ],
    },
    "template-document-header": {
        "type": "template",
        "name": "order_confirmation",
        "language": "en",
        "components": [
            {"type": "header", "document": {"media_id": "4490709327384033", "filename": "a.pdf"}},
        ],
    },
    "request-contact-info": {"type": "request_contact_info", "body": "Share your phone?"},
    "template-location-header": {
        "type": "template",
        "name": "order_delivery_update",
        "language": "en_US",
        "components": [
            {"type": "header", "location": {"latitude": 37.48, "longitude": -122.15}},
            {"type": "body", "parameters": ["Mark", "566701"]},
        ],
    },
}


@pytest.mark.parametrize("reply", [None, WAMID], ids=["plain", "reply"])
@pytest.mark.parametrize("name", sorted(VALID_CONTENTS))
def test_graph_bodies_satisfy_the_contract(
    contract: Contract, name: str, reply: str | None
) -> None:
    content = parse(VALID_CONTENTS[name])
    body = to_graph(content, PHONE, reply_to_wamid=reply).to_json()
    assert contract.problems(body) == []
    assert body["messaging_product"] == "whatsapp"
    assert body["recipient_type"] == "individual"
    assert body["to"] == CUSTOMER
    if isinstance(content, ReactionOut):
        assert "context" not in body
    else:
        assert body.get("context") == ({"message_id": reply} if reply else None)


def test_text_body_is_metas_exact_json() -> None:
    body = to_graph(parse(VALID_CONTENTS["text"]), PHONE, reply_to_wamid=WAMID)
    assert body.to_json() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": CUSTOMER,
        "type": "text",
        "context": {"message_id": WAMID},
        "text": {"body": "Olá! Your order shipped.", "preview_url": True},
    }
    plain = to_graph(TextOut(body="hi"), PHONE, reply_to_wamid=None)
    assert plain.to_json()["text"] == {"body": "hi"}
    assert plain.to_bytes().startswith(b'{"messaging_product":"whatsapp"')


def test_template_body_is_metas_exact_json() -> None:
    body = to_graph(parse(VALID_CONTENTS["template-named"]), PHONE, reply_to_wamid=None)
    assert body.to_json()["template"] == {
        "name": "order_update",
        "language": {"code": "pt_BR", "policy": "deterministic"},
        "components": [
            {
                "type": "header",
                "parameters": [{"type": "text", "parameter_name": "order_id", "text": "566701"}],
            },
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "parameter_name": "first_name", "text": "Jessica"},
                    {"type": "text", "parameter_name": "order_id", "text": "566701"},
                ],
            },
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": "0",
                "parameters": [{"type": "payload", "payload": "STOP-566701"}],
            },
        ],
    }
    static = to_graph(parse(VALID_CONTENTS["template-static"]), PHONE, reply_to_wamid=None)
    assert "components" not in static.to_json()["template"]


def test_interactive_bodies_are_metas_exact_json() -> None:
    buttons = to_graph(parse(VALID_CONTENTS["buttons"]), PHONE, reply_to_wamid=None)
    interactive = buttons.to_json()["interactive"]
    assert buttons.type == "interactive"
    assert interactive["type"] == "button"
    assert interactive["header"] == {"type": "text", "text": "Delivery"}
    assert interactive["footer"] == {"text": "Reply anytime"}
    assert interactive["action"]["buttons"][0] == {
        "type": "reply",
        "reply": {"id": "slot-am", "title": "Morning"},
    }
    listing = to_graph(parse(VALID_CONTENTS["list"]), PHONE, reply_to_wamid=None).to_json()
    assert listing["interactive"]["type"] == "list"
    assert listing["interactive"]["action"]["button"] == "Topics"
    assert listing["interactive"]["action"]["sections"][0]["rows"][0]["id"] == "o1"


def test_reaction_targets() -> None:
    ours = uuid.uuid4()
    reaction = ReactionOut(message_id=ours, emoji="\N{HEAVY BLACK HEART}")
    with pytest.raises(ValueError, match="needs its wamid"):
        to_graph(reaction, PHONE, reply_to_wamid=None)
    body = to_graph(reaction, PHONE, reply_to_wamid=WAMID).to_json()
    assert body["reaction"] == {"message_id": WAMID, "emoji": "\N{HEAVY BLACK HEART}"}
    removed = to_graph(parse(VALID_CONTENTS["reaction-removed"]), PHONE, reply_to_wamid=None)
    assert removed.to_json()["reaction"] == {"message_id": WAMID, "emoji": ""}


def test_mark_read_body_matches_metas_example(contract: Contract) -> None:
    example = contract.request_examples()["Send typing indicator and read receipt"]
    assert mark_read_body(example["message_id"], typing=True).to_json() == example
    assert "typing_indicator" not in mark_read_body(WAMID).to_json()


BSUID = "US.13491208655302741918"


@pytest.mark.parametrize("bsuid", [BSUID, "US.ENT.11815799212886844830", "br.aB3"])
def test_a_customer_without_a_phone_is_addressed_by_recipient(
    contract: Contract, bsuid: str
) -> None:
    body = to_graph(TextOut(body="hi"), Recipient(phone=None, bsuid=bsuid), reply_to_wamid=None)
    assert body.to_json() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "recipient": bsuid,
        "type": "text",
        "text": {"body": "hi"},
    }
    assert contract.problems(body.to_json()) == []


def test_the_phone_wins_when_both_are_known() -> None:
    body = to_graph(TextOut(body="hi"), Recipient(phone=CUSTOMER, bsuid=BSUID), reply_to_wamid=None)
    assert (body.to, body.recipient) == (CUSTOMER, None)
    assert "recipient" not in body.to_json()


@pytest.mark.parametrize(
    "fields",
    [
        # Meta answers 200 and silently drops a BSUID put in "to" (chatwoot#15150).
        {"to": BSUID},
        {"to": "US13491208655302741918"},
        {"recipient": CUSTOMER},
        {"to": CUSTOMER, "recipient": BSUID},
        {},
    ],
)
def test_a_bsuid_never_goes_in_to(fields: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        GraphSendRequest.model_validate({**fields, "type": "text", "text": {"body": "x"}})


def test_a_recipient_needs_an_address() -> None:
    with pytest.raises(ValueError, match="phone number or a BSUID"):
        Recipient(phone=None, bsuid=None)
    assert Recipient(phone=None, bsuid=BSUID).key == BSUID
    assert Recipient(phone=CUSTOMER, bsuid=BSUID).key == CUSTOMER


def test_request_contact_info_is_metas_exact_json(contract: Contract) -> None:
    content = parse({"type": "request_contact_info", "body": "Please share your phone number."})
    body = to_graph(content, Recipient(phone=None, bsuid=BSUID), reply_to_wamid=None).to_json()
    # The shape of Meta's documentation (as quoted by Kapso and Gupshup, 2026).
    assert body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "recipient": BSUID,
        "type": "interactive",
        "interactive": {
            "type": "request_contact_info",
            "body": {"text": "Please share your phone number."},
            "action": {"name": "request_contact_info"},
        },
    }
    assert contract.problems(body) == []
    assert "body: String should have at most 1024 characters" in message_of(
        {"type": "request_contact_info", "body": "x" * 1025}
    )


def test_graph_send_request_needs_its_own_object() -> None:
    with pytest.raises(ValidationError, match="exactly its own object"):
        GraphSendRequest.model_validate({"to": CUSTOMER, "type": "image", "text": {"body": "x"}})
    with pytest.raises(ValidationError, match="to"):
        to_graph(TextOut(body="x"), Recipient(phone="not-a-number"), reply_to_wamid=None)


# ---- Limits, at their boundaries ------------------------------------------------------------


def test_text_length_boundaries() -> None:
    assert isinstance(parse({"type": "text", "body": "x" * 4096}), TextOut)
    assert "at most 4096 characters" in message_of({"type": "text", "body": "x" * 4097})
    assert "text.body" in message_of({"type": "text", "body": ""})
    assert "must not be blank" in message_of({"type": "text", "body": "   \n"})


@given(st.integers(min_value=0, max_value=5000))
def test_text_is_valid_exactly_within_limits(length: int) -> None:
    raw = {"type": "text", "body": "a" * length}
    if 1 <= length <= 4096:
        assert parse(raw).type == "text"
    else:
        with pytest.raises(ValidationError):
            parse(raw)


def buttons(n: int, title_length: int = 5) -> dict[str, Any]:
    return {
        "type": "buttons",
        "body": "Choose",
        "buttons": [{"id": f"b{i}", "title": f"{i}".ljust(title_length, "x")} for i in range(n)],
    }


def test_reply_button_boundaries() -> None:
    assert isinstance(parse(buttons(3, title_length=20)), ButtonsOut)
    assert "at most 20 characters" in message_of(buttons(1, title_length=21))
    assert "buttons.buttons: List should have at most 3 items" in message_of(buttons(4))
    assert "at least 1 item" in message_of(buttons(0))
    same_titles = buttons(2)
    same_titles["buttons"][1]["title"] = same_titles["buttons"][0]["title"]
    assert "button titles must be unique; repeated: 0xxxx" in message_of(same_titles)
    same_ids = buttons(2)
    same_ids["buttons"][1]["id"] = "b0"
    assert "button ids must be unique; repeated: b0" in message_of(same_ids)
    long_id = buttons(1)
    long_id["buttons"][0]["id"] = "i" * 256
    parse(long_id)
    long_id["buttons"][0]["id"] = "i" * 257
    assert "at most 256 characters" in message_of(long_id)
    assert "header" in message_of({**buttons(1), "header": "h" * 61})
    assert "footer" in message_of({**buttons(1), "footer": "f" * 61})
    parse({**buttons(1), "header": "h" * 60, "footer": "f" * 60, "body": "b" * 1024})
    assert "at most 1024 characters" in message_of({**buttons(1), "body": "b" * 1025})


@given(st.integers(min_value=0, max_value=6), st.integers(min_value=1, max_value=24))
def test_buttons_valid_exactly_within_limits(count: int, title_length: int) -> None:
    raw = buttons(count, title_length)
    if 1 <= count <= 3 and title_length <= 20:
        assert isinstance(parse(raw), ButtonsOut)
    else:
        with pytest.raises(ValidationError):
            parse(raw)


def listing(rows_per_section: list[int]) -> dict[str, Any]:
    sections = [
        {"title": f"S{s}", "rows": [{"id": f"r{s}-{r}", "title": "Row"} for r in range(n)]}
        for s, n in enumerate(rows_per_section)
    ]
    return {"type": "list", "body": "Pick", "button": "Open", "sections": sections}


def test_list_boundaries() -> None:
    assert isinstance(parse(listing([10])), ListOut)
    assert isinstance(parse(listing([4, 3, 3])), ListOut)
    assert "at most 10 rows in all sections together, got 11" in message_of(listing([5, 6]))
    assert "at most 10 rows in all sections together, got 11" in message_of(listing([11]))
    assert "at most 10 items" in message_of(listing([1] * 11))
    long_button = {**listing([1]), "button": "b" * 21}
    assert "list.button: String should have at most 20 characters" in message_of(long_button)
    parse({**listing([1]), "button": "b" * 20})

    row = listing([1])
    row["sections"][0]["rows"][0] |= {"id": "i" * 200, "title": "t" * 24, "description": "d" * 72}
    parse(row)
    for field, size in (("id", 201), ("title", 25), ("description", 73)):
        bad = copy.deepcopy(row)
        bad["sections"][0]["rows"][0][field] = "x" * size
        assert f"sections.0.rows.0.{field}" in message_of(bad)
    titled = listing([1])
    titled["sections"][0]["title"] = "t" * 25
    assert "sections.0.title" in message_of(titled)

    untitled = listing([1, 1])
    del untitled["sections"][1]["title"]
    assert "every section needs a title" in message_of(untitled)
    single = listing([2])
    del single["sections"][0]["title"]
    parse(single)
    duplicate = listing([1, 1])
    duplicate["sections"][1]["rows"][0]["id"] = "r0-0"
    assert "row ids must be unique; repeated: r0-0" in message_of(duplicate)


@given(st.lists(st.integers(min_value=1, max_value=11), min_size=1, max_size=12))
def test_list_valid_exactly_within_limits(rows_per_section: list[int]) -> None:
    raw = listing(rows_per_section)
    if sum(rows_per_section) <= 10 and len(rows_per_section) <= 10:
        assert isinstance(parse(raw), ListOut)
    else:
        with pytest.raises(ValidationError):
            parse(raw)


def test_media_sources_and_captions() -> None:
    assert "give exactly one of media_id or link" in message_of({"type": "image"})
    both = {"type": "image", "media_id": "1", "link": "https://a.example/x.png"}
    assert "give exactly one of media_id or link" in message_of(both)
    assert "must be an https:// URL" in message_of({"type": "video", "link": "http://a.example"})
    assert "must be an https:// URL" in message_of({"type": "video", "link": "https:///nohost"})
    assert "media_id" in message_of({"type": "audio", "media_id": "../etc"})
    parse({"type": "image", "media_id": "1", "caption": "c" * 1024})
    assert "at most 1024 characters" in message_of(
        {"type": "image", "media_id": "1", "caption": "c" * 1025}
    )
    # Meta refuses captions on audio and stickers: they are not fields at all here.
    assert "Extra inputs are not permitted" in message_of(
        {"type": "audio", "media_id": "1", "caption": "x"}
    )
    assert "Extra inputs are not permitted" in message_of(
        {"type": "sticker", "media_id": "1", "caption": "x"}
    )
    assert "Extra inputs" in message_of({"type": "image", "media_id": "1", "filename": "a.png"})


def test_location_and_reaction_limits() -> None:
    assert "latitude" in message_of({"type": "location", "latitude": 90.5, "longitude": 0})
    assert "longitude" in message_of({"type": "location", "latitude": 0, "longitude": -181})
    assert "single emoji" in message_of({"type": "reaction", "message_id": WAMID, "emoji": "ok"})
    assert "single emoji" in message_of({"type": "reaction", "message_id": WAMID, "emoji": "👍 👍"})
    for emoji in ("\N{THUMBS UP SIGN}\N{EMOJI MODIFIER FITZPATRICK TYPE-4}", "1\ufe0f\u20e3"):
        parse({"type": "reaction", "message_id": WAMID, "emoji": emoji})


def template(*components: dict[str, Any], name: str = "order_update") -> dict[str, Any]:
    return {"type": "template", "name": name, "language": "en_US", "components": list(components)}


def test_template_parameter_rules() -> None:
    assert isinstance(parse(template({"type": "body", "parameters": ["a", "b"]})), TemplateOut)
    newline = template({"type": "body", "parameters": ["line\nbreak"]})
    assert (
        "template.components.0.body.parameters.positional.0: template parameters "
        "cannot contain line breaks or tabs"
    ) in message_of(newline)
    assert "more than 4 consecutive spaces" in message_of(
        template({"type": "body", "parameters": {"name": "a     b"}})
    )
    parse(template({"type": "body", "parameters": ["a    b"]}))
    assert "must be a list (positional {{1}}…) or an object (named {{name}})" in message_of(
        template({"type": "body", "parameters": "x"})
    )
    assert "at least 1 item" in message_of(template({"type": "body", "parameters": []}))
    assert "String should match pattern" in message_of(
        template({"type": "body", "parameters": {"First-Name": "x"}})
    )
    mixed = template(
        {"type": "header", "text": {"name": "x"}}, {"type": "body", "parameters": ["y"]}
    )
    assert "use either lists (positional {{1}}) or objects (named {{name}})" in message_of(mixed)
    assert "at most one variable" in message_of(template({"type": "header", "text": ["a", "b"]}))
    assert "give exactly one of text, image" in message_of(template({"type": "header"}))
    two_kinds = {"type": "header", "text": ["a"], "image": {"media_id": "1"}}
    assert "give exactly one of" in message_of(template(two_kinds))
    image_with_name = {"type": "header", "image": {"media_id": "1", "filename": "a.png"}}
    assert "filename is only allowed for a document header" in message_of(template(image_with_name))
    assert "at most one body component" in message_of(
        template({"type": "body", "parameters": ["a"]}, {"type": "body", "parameters": ["b"]})
    )


def test_template_button_rules() -> None:
    url = {"type": "button", "sub_type": "url", "index": 0, "text": "x"}
    reply = {"type": "button", "sub_type": "quick_reply", "index": 1, "payload": "p"}
    parse(template(url, reply))
    parse(template({**url, "index": 9}))
    assert "less than or equal to 9" in message_of(template({**url, "index": 10}))
    assert "button indexes must be unique; repeated: 0" in message_of(template(url, url))
    assert "a url button takes text" in message_of(
        template({"type": "button", "sub_type": "url", "index": 0, "payload": "p"})
    )
    assert "a quick_reply button takes a payload" in message_of(
        template({"type": "button", "sub_type": "quick_reply", "index": 0, "text": "t"})
    )
    assert "sub_type" in message_of(template({**url, "sub_type": "copy_code"}))


def test_template_name_and_language() -> None:
    assert "name" in message_of(template(name="Order Update"))
    assert "language" in message_of({**template(), "language": "english"})
    for code in ("en", "en_US", "pt_BR", "fil"):
        parse({**template(), "language": code})


def test_send_message_request() -> None:
    ours = uuid.uuid4()
    request = SendMessageRequest.model_validate(
        {"content": {"type": "text", "body": "hi"}, "reply_to": str(ours)}
    )
    assert request.reply_to == ours
    assert request.referenced_message == ours
    by_wamid = SendMessageRequest.model_validate(
        {"content": {"type": "text", "body": "hi"}, "reply_to": WAMID}
    )
    assert by_wamid.reply_to == WAMID
    reaction = SendMessageRequest.model_validate(
        {"content": {"type": "reaction", "message_id": str(ours), "emoji": ""}}
    )
    assert reaction.referenced_message == ours
    with pytest.raises(ValidationError, match="omit reply_to"):
        SendMessageRequest.model_validate(
            {"content": {"type": "reaction", "message_id": WAMID, "emoji": ""}, "reply_to": WAMID}
        )
    SendMessageRequest.model_validate(
        {"content": {"type": "text", "body": "hi"}, "idempotency_key": "k" * 200}
    )
    for key in ("", "k" * 201):
        with pytest.raises(ValidationError, match="idempotency_key"):
            SendMessageRequest.model_validate(
                {"content": {"type": "text", "body": "hi"}, "idempotency_key": key}
            )
    with pytest.raises(ValidationError, match="tag 'voice' found using 'type' does not match"):
        SendMessageRequest.model_validate({"content": {"type": "voice"}})
    with pytest.raises(ValidationError, match="reply_to"):
        SendMessageRequest.model_validate(
            {"content": {"type": "text", "body": "hi"}, "reply_to": "has space"}
        )


def test_requests_round_trip_as_json() -> None:
    for raw in VALID_CONTENTS.values():
        request = SendMessageRequest(content=parse(raw), idempotency_key="abc")
        again = SendMessageRequest.model_validate_json(request.model_dump_json())
        assert again == request
