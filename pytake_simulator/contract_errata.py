"""Corrections to Meta's OpenAPI contract, applied before compiling (see contract.py).

Each one is a place where the v23 contract contradicts Meta's documented behaviour or predates
a 2026 change; each says why. Cases where Meta's servers accept what even the documentation
forbids are not here but in lenient.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Schema = dict[str, Any]


def _not_required(schema: Schema, field: str) -> None:
    schema["required"] = [r for r in schema.get("required", []) if r != field]


def _fix_base_message(schemas: Schema) -> None:
    base = schemas["BaseMessageProperties"]
    # Meta: recipient_type is optional and defaults to "individual".
    _not_required(base, "recipient_type")
    # Meta: "type" is optional and defaults to "text" (the discriminator handles the default).
    _not_required(base, "type")
    # Meta documents biz_opaque_callback_data (echoed back in status webhooks) on every send.
    base["properties"]["biz_opaque_callback_data"] = {"type": "string", "maxLength": 512}


def _fix_language(schemas: Schema) -> None:
    # Meta: language.policy is optional ("deterministic" is the only value and the default).
    _not_required(schemas["LanguageObject"], "policy")


def _fix_button_index(schemas: Schema) -> None:
    # The contract's pattern ^[2-6, 11-14]$ is a character class that rejects "0"; Meta takes the
    # button position 0-9, as a string or a number.
    index = {"type": ["string", "integer"], "pattern": "^[0-9]$", "minimum": 0, "maximum": 9}
    for name in ("TemplateComponent", "ButtonComponent"):
        schema = schemas[name]
        schema.setdefault("properties", {})
        target = schema if "properties" in schema and "index" in schema["properties"] else None
        for part in schema.get("allOf", []):
            if "index" in part.get("properties", {}):
                target = part
        if target is not None:
            target["properties"]["index"] = dict(index)
    # Meta accepts sub_type in either case (the contract's own example says "CATALOG") and more
    # button kinds than the contract lists.
    sub_types = ["quick_reply", "url", "catalog", "copy_code", "flow", "mpm", "voice_call"]
    sub_type = {"type": "string", "enum": sub_types + [s.upper() for s in sub_types]}
    schemas["TemplateComponent"]["properties"]["sub_type"] = sub_type
    for part in schemas["ButtonComponent"]["allOf"]:
        if "sub_type" in part.get("properties", {}):
            part["properties"]["sub_type"] = dict(sub_type)
    # Catalog buttons take an "action" parameter and copy-code buttons a "coupon_code" (both in
    # Meta's documentation; the first even in this contract's own example).
    enum = schemas["ButtonParameterObject"]["properties"]["type"]["enum"]
    enum.extend(t for t in ("action", "coupon_code") if t not in enum)


def _fix_location(schemas: Schema) -> None:
    # Meta's examples (and every SDK) send latitude/longitude as numbers; strings also work.
    for part in schemas["LocationMessage"]["allOf"]:
        location = part.get("properties", {}).get("location")
        if location:
            for key in ("latitude", "longitude"):
                location["properties"][key] = {"type": ["number", "string"]}
            location["required"] = ["latitude", "longitude"]


def _fix_text(schemas: Schema) -> None:
    # Meta: text.body is required (the contract leaves it optional).
    for part in schemas["TextMessage"]["allOf"]:
        text = part.get("properties", {}).get("text")
        if text:
            text["required"] = ["body"]


def _fix_media_response(document: Schema) -> None:
    # Meta returns file_size as a number (the contract, generated from a Postman collection with
    # placeholder strings, says string); accept both so either reading validates.
    op = document["paths"]["/{Version}/{Media-ID}"]["get"]
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    schema["properties"]["file_size"] = {"type": ["integer", "string"]}


def _fix_recipient(schemas: Schema) -> None:
    # Since mid-2026 a send addresses a business-scoped user id with "recipient" instead of
    # "to" (shared/reference/whatsapp-2026-changes.md §1d); the v23 contract predates it.
    # addressing.py requires one of the two.
    base = schemas["BaseMessageProperties"]
    _not_required(base, "to")
    base["properties"]["recipient"] = {"type": "string", "minLength": 1, "maxLength": 140}


def _fix_request_contact_info(schemas: Schema) -> None:
    # The interactive message asking a customer to share their phone (2026): type and action
    # name "request_contact_info" (Kapso's docs; pywa 4.1 request_contact_info()).
    enum = schemas["InteractiveObject"]["properties"]["type"]["enum"]
    enum.append("request_contact_info")

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            name = node.get("properties", {}).get("name") if "properties" in node else None
            if isinstance(name, dict) and name.get("enum") == ["call_permission_request"]:
                name["enum"] = ["call_permission_request", "request_contact_info"]
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(schemas["ActionObject"])


def _fix_phone_types(schemas: Schema) -> None:
    # Meta documents CELL, MAIN and IPHONE phone types for contacts besides HOME and WORK, and
    # its own webhooks use CELL.
    schemas["PhoneObject"]["properties"]["type"]["enum"] = [
        "CELL",
        "MAIN",
        "IPHONE",
        "HOME",
        "WORK",
    ]


def apply_errata(document: Schema) -> None:
    schemas = document["components"]["schemas"]
    _fix_base_message(schemas)
    _fix_language(schemas)
    _fix_button_index(schemas)
    _fix_location(schemas)
    _fix_text(schemas)
    _fix_media_response(document)
    _fix_recipient(schemas)
    _fix_request_contact_info(schemas)
    _fix_phone_types(schemas)


ERRATA: tuple[Callable[[Schema], None], ...] = (apply_errata,)
