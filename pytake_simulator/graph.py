"""The Graph API routes the simulator serves, under ``/{version}`` (any ``vNN.N``).

Authentication is Meta's: ``Authorization: Bearer <access token>`` (or ``?access_token=``);
each configured number's token grants that number, its WABA and its media. A missing or unknown
token is 401 with code 190; a node the token can't see is Meta's "Unsupported get/post request"
(code 100, subcode 33), whether or not it exists.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import orjson
from aiohttp import web

from pytake_simulator import errors, ids, media
from pytake_simulator.keys import SIMULATOR
from pytake_simulator.simulator import Simulator
from pytake_simulator.state import MediaObject, Number, TemplateRecord
from pytake_simulator.wire import Wire
from pytake_simulator.wire_graph import (
    BusinessAccountView,
    Cursors,
    MediaUploadResponse,
    MediaUrlResponse,
    Paging,
    PhoneNumberList,
    PhoneNumberView,
    SuccessResponse,
    TemplateListResponse,
    TemplateView,
    Throughput,
    WebhookConfiguration,
)

VERSION = r"{version:v[0-9]+\.[0-9]+}"
NODE = r"{node:[0-9]+}"
MEDIA_URL_PATH = "/whatsapp_business/attachments/"
MEDIA_URL_TTL = 300  # Meta: a media URL is valid for 5 minutes
DEFAULT_PAGE = 25
MAX_PAGE = 1000

PHONE_FIELDS_DEFAULT = (
    "verified_name",
    "code_verification_status",
    "display_phone_number",
    "quality_rating",
    "platform_type",
    "throughput",
    "webhook_configuration",
    "id",
)
PHONE_FIELDS_ALL = (*PHONE_FIELDS_DEFAULT, "name_status", "messaging_limit_tier")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get(MEDIA_URL_PATH, download_media)
    router.add_get(f"/{VERSION}/{NODE}", get_node)
    router.add_delete(f"/{VERSION}/{NODE}", delete_node)
    router.add_post(f"/{VERSION}/{NODE}/messages", send_message)
    router.add_post(f"/{VERSION}/{NODE}/media", upload_media)
    router.add_get(f"/{VERSION}/{NODE}/message_templates", list_templates)
    router.add_post(f"/{VERSION}/{NODE}/message_templates", create_template)
    router.add_delete(f"/{VERSION}/{NODE}/message_templates", delete_template)
    router.add_get(f"/{VERSION}/{NODE}/phone_numbers", list_phone_numbers)
    router.add_route("*", "/" + VERSION + "/{tail:.*}", unknown_path)


# --- plumbing ------------------------------------------------------------------------------------


def _respond(model: Wire, request: web.Request) -> web.Response:
    return web.Response(
        body=orjson.dumps(model.wire()),
        content_type="application/json",
        headers={"facebook-api-version": request.match_info.get("version", "")},
    )


def _token(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.query.get("access_token")


def _authorize(request: web.Request) -> tuple[Simulator, list[Number]]:
    sim = request.app[SIMULATOR]
    token = _token(request)
    numbers = sim.store.numbers_for_token(token) if token else []
    if not numbers:
        raise errors.invalid_token()
    return sim, numbers


def _number(request: web.Request, numbers: list[Number]) -> Number:
    node = request.match_info["node"]
    for number in numbers:
        if number.id == node:
            return number
    raise errors.unsupported_request(request.method, node)


def _waba(request: web.Request, numbers: list[Number]) -> str:
    node = request.match_info["node"]
    if any(n.waba_id == node for n in numbers):
        return node
    raise errors.unsupported_request(request.method, node)


def _media(request: web.Request, sim: Simulator, numbers: list[Number]) -> MediaObject:
    node = request.match_info["node"]
    item = sim.store.media.get(node)
    allowed = {n.id for n in numbers}
    only = request.query.get("phone_number_id")
    if (
        item is None
        or item.phone_number_id not in allowed
        or only not in (None, item.phone_number_id)
    ):
        raise errors.unsupported_request(request.method, node)
    return item


async def _json_body(request: web.Request) -> Any:
    raw = await request.read()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise errors.invalid_parameter("The request body is not valid JSON.") from None


async def unknown_path(request: web.Request) -> web.Response:
    raise errors.unknown_path(request.path)


# --- nodes: phone numbers, media, WABAs ----------------------------------------------------------


async def get_node(request: web.Request) -> web.Response:
    sim, numbers = _authorize(request)
    node = request.match_info["node"]
    if node in sim.store.numbers:
        return _respond(_phone_view(sim, _number(request, numbers), request), request)
    if node in sim.store.media:
        item = _media(request, sim, numbers)
        return _respond(_media_view(sim, item, request), request)
    if node in sim.store.wabas():
        waba = _waba(request, numbers)
        view = BusinessAccountView(
            id=waba, name="PyTake Demo", message_template_namespace=f"sim_{waba}"
        )
        return _respond(view, request)
    raise errors.unsupported_request("GET", node)


def _phone_view(sim: Simulator, number: Number, request: web.Request) -> PhoneNumberView:
    config = number.config
    requested = request.query.get("fields")
    wanted: tuple[str, ...] = PHONE_FIELDS_DEFAULT
    if requested:
        wanted = tuple(f.strip() for f in requested.split(",") if f.strip())
        unknown = [f for f in wanted if f not in PHONE_FIELDS_ALL]
        if unknown:
            raise errors.invalid_parameter(
                f"Tried accessing nonexisting field ({unknown[0]}) on node type "
                "(WhatsAppBusinessPhoneNumber)",
                f"(#100) Tried accessing nonexisting field ({unknown[0]}) on node type "
                "(WhatsAppBusinessPhoneNumber)",
            )
    url = sim.webhook_url
    full = PhoneNumberView(
        verified_name=config.verified_name,
        code_verification_status="VERIFIED",
        display_phone_number=config.display_phone_number,
        quality_rating=number.quality_rating,
        platform_type="CLOUD_API",
        throughput=Throughput(level="STANDARD" if config.throughput_mps <= 80 else "HIGH"),
        webhook_configuration=WebhookConfiguration(application=url) if url else None,
        name_status="APPROVED",
        messaging_limit_tier=number.messaging_limit,
        id=config.phone_number_id,
    )
    return PhoneNumberView.model_validate(
        {k: v for k, v in full.model_dump().items() if k in wanted or k == "id"}
    )


async def list_phone_numbers(request: web.Request) -> web.Response:
    sim, numbers = _authorize(request)
    waba = _waba(request, numbers)
    views = [_phone_view(sim, n, request) for n in sim.store.numbers.values() if n.waba_id == waba]
    return _respond(PhoneNumberList(data=views), request)


def _media_url(sim: Simulator, item: MediaObject, request: web.Request) -> str:
    expires = int(sim.clock.now()) + MEDIA_URL_TTL
    signature = _media_signature(sim, item.id, expires)
    url = request.url.origin().with_path(MEDIA_URL_PATH)
    return str(url.with_query({"mid": item.id, "ext": str(expires), "hash": signature}))


def _media_signature(sim: Simulator, media_id: str, expires: int) -> str:
    message = f"{media_id}:{expires}".encode()
    return hmac.new(sim.media_url_key, message, hashlib.sha256).hexdigest()[:32]


def _media_view(sim: Simulator, item: MediaObject, request: web.Request) -> MediaUrlResponse:
    return MediaUrlResponse(
        url=_media_url(sim, item, request),
        mime_type=item.mime_type,
        sha256=item.sha256,
        file_size=item.file_size,
        id=item.id,
    )


async def delete_node(request: web.Request) -> web.Response:
    sim, numbers = _authorize(request)
    item = _media(request, sim, numbers)
    del sim.store.media[item.id]
    return _respond(SuccessResponse(), request)


async def download_media(request: web.Request) -> web.Response:
    """The short-lived media URL: needs the bearer token too, like Meta's."""
    sim, numbers = _authorize(request)
    media_id = request.query.get("mid", "")
    try:
        expires = int(request.query.get("ext", ""))
    except ValueError:
        expires = 0
    valid = hmac.compare_digest(
        _media_signature(sim, media_id, expires), request.query.get("hash", "")
    )
    item = sim.store.media.get(media_id)
    if (
        not valid
        or expires < sim.clock.now()
        or item is None
        or item.phone_number_id not in {n.id for n in numbers}
    ):
        raise web.HTTPNotFound(text="URL signature expired or media not found")
    return web.Response(body=item.data, content_type=media.base_mime(item.mime_type))


async def upload_media(request: web.Request) -> web.Response:
    sim, numbers = _authorize(request)
    number = _number(request, numbers)
    form = await request.post()
    product = form.get("messaging_product")
    if product is None:
        raise errors.invalid_parameter(
            "The parameter messaging_product is required.",
            "(#100) The parameter messaging_product is required.",
        )
    if product != "whatsapp":
        got = product if isinstance(product, str) else "a file"
        raise errors.invalid_parameter(
            f'Param messaging_product must be one of {{WHATSAPP}} - got "{got}".'
        )
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        raise errors.invalid_parameter(
            "The parameter file is required.", "(#100) The parameter file is required."
        )
    mime_type = form.get("type")
    if not isinstance(mime_type, str) or not mime_type:
        raise errors.invalid_parameter(
            "The parameter type is required.", "(#100) The parameter type is required."
        )
    data = upload.file.read()
    problem = media.upload_problem(mime_type, len(data))
    if problem:
        raise errors.media_upload(problem)
    item = MediaObject(
        id=ids.numeric_id(),
        data=data,
        mime_type=mime_type,
        sha256=media.sha256_hex(data),
        phone_number_id=number.id,
        filename=upload.filename,
    )
    sim.store.media[item.id] = item
    return _respond(MediaUploadResponse(id=item.id), request)


# --- messages ------------------------------------------------------------------------------------


async def send_message(request: web.Request) -> web.Response:
    sim, numbers = _authorize(request)
    number = _number(request, numbers)
    body = await _json_body(request)
    return _respond(await sim.outbound.answer(number, body), request)


# --- templates -----------------------------------------------------------------------------------


def _template_view(record: TemplateRecord) -> TemplateView:
    definition = record.definition
    return TemplateView(
        name=definition.name,
        parameter_format=definition.parameter_format,
        components=[c.model_dump(exclude_none=True) for c in definition.components],
        language=definition.language,
        status=definition.status,
        category=definition.category,
        id=record.id,
        rejected_reason=definition.rejected_reason if definition.status == "REJECTED" else None,
    )


def _matches(record: TemplateRecord, query: Mapping[str, str]) -> bool:
    definition = record.definition
    name = query.get("name")
    if name and name.lower() not in definition.name:
        return False
    for key, value in (
        ("status", definition.status),
        ("category", definition.category),
        ("language", definition.language),
    ):
        wanted = query.get(key)
        if wanted and wanted.upper() != value.upper():
            return False
    return True


def _page_bounds(query: Mapping[str, str], total: int) -> tuple[int, int]:
    try:
        limit = int(query.get("limit", DEFAULT_PAGE))
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_PAGE:
        raise errors.invalid_parameter(f"Param limit must be an integer between 1 and {MAX_PAGE}.")
    start = 0
    if "after" in query:
        position = ids.parse_cursor(query["after"])
        if position is None:
            raise errors.invalid_parameter("Invalid 'after' cursor.")
        start = position + 1
    elif "before" in query:
        position = ids.parse_cursor(query["before"])
        if position is None:
            raise errors.invalid_parameter("Invalid 'before' cursor.")
        start = max(0, position - limit)
        limit = min(limit, position - start)
    return start, min(total, start + limit)


async def list_templates(request: web.Request) -> web.Response:
    sim, numbers = _authorize(request)
    waba = _waba(request, numbers)
    records = [r for r in sim.store.templates.get(waba, []) if _matches(r, request.query)]
    start, end = _page_bounds(request.query, len(records))
    page = records[start:end]
    paging = None
    if page:
        base = {k: v for k, v in request.query.items() if k not in ("after", "before")}
        paging = Paging(cursors=Cursors(before=ids.cursor(start), after=ids.cursor(end - 1)))
        if end < len(records):
            paging.next = str(request.url.with_query({**base, "after": ids.cursor(end - 1)}))
        if start > 0:
            paging.previous = str(request.url.with_query({**base, "before": ids.cursor(start)}))
    response = TemplateListResponse(data=[_template_view(r) for r in page], paging=paging)
    fields = request.query.get("fields")
    if not fields:
        return _respond(response, request)
    # ?fields= narrows each template to the named fields (plus id), as Graph does.
    wanted = {f.strip() for f in fields.split(",")} | {"id"}
    body = response.wire()
    body["data"] = [{k: v for k, v in item.items() if k in wanted} for item in body["data"]]
    return web.Response(body=orjson.dumps(body), content_type="application/json")


async def create_template(request: web.Request) -> web.Response:
    sim, numbers = _authorize(request)
    waba = _waba(request, numbers)
    body = await _json_body(request)
    return _respond(sim.create_template(waba, body), request)


async def delete_template(request: web.Request) -> web.Response:
    sim, numbers = _authorize(request)
    waba = _waba(request, numbers)
    name = request.query.get("name")
    if not name:
        raise errors.invalid_parameter(
            "The parameter name is required.", "(#100) The parameter name is required."
        )
    sim.delete_template(waba, name, request.query.get("hsm_id"))
    return _respond(SuccessResponse(), request)
