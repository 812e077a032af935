"""The control API under ``/_sim/``: drive customers and inspect what happened.

For local use by tests, the demo and benchmarks: it has no authentication, so never expose the
simulator beyond localhost. Bodies and answers are JSON; errors are ``{"error": "..."}`` with
400 (bad request) or 404 (unknown id).
"""

from __future__ import annotations

import contextlib
from typing import Any, Literal, TypeVar

import orjson
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pytake_simulator.config import first_error
from pytake_simulator.customer_messages import CustomerError, CustomerMessage
from pytake_simulator.keys import SIMULATOR
from pytake_simulator.number_quality import LimitTier, QualityEvent, QualityRating
from pytake_simulator.simulator import Simulator
from pytake_simulator.state import Customer
from pytake_simulator.templates import TemplateStatus
from pytake_simulator.views import (
    CustomerView,
    DeliveryView,
    InboundView,
    OutboundList,
    OutboundView,
)

MAX_WAIT = 120.0
BodyT = TypeVar("BodyT", bound=BaseModel)


class ControlError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReadRequest(_Body):
    message_id: str | None = None
    phone_number_id: str | None = None


class CustomerUpdate(_Body):
    profile_name: str | None = None
    on_whatsapp: bool | None = None
    reads: bool | None = None
    # 2026 identity: "" removes the username; a hidden phone implies a username.
    username: str | None = Field(None, max_length=35)
    phone_visible: bool | None = None
    parent_user_id: bool | None = None
    # Answers request_contact_info by sharing the phone (None: the configured default).
    shares_phone: bool | None = None


class CustomerCreate(_Body):
    """A customer with chosen traits; without ``wa_id`` a phone is made up."""

    wa_id: str | None = Field(None, pattern=r"^[0-9]{7,15}$")
    profile_name: str | None = None
    username: str | None = Field(None, max_length=35)
    phone_visible: bool | None = None
    parent_user_id: bool | None = None


class TemplateStatusRequest(_Body):
    status: TemplateStatus
    reason: str | None = None


class NumberQualityRequest(_Body):
    event: QualityEvent
    quality_rating: QualityRating | None = None
    messaging_limit: LimitTier | None = None


class ClockAdvance(_Body):
    seconds: float = Field(gt=0)


class VerifyRequest(_Body):
    url: str | None = None
    verify_token: str | None = None


class WebhookUpdate(_Body):
    url: str | None


class MessageIdResponse(BaseModel):
    message_id: str


class ReadResponse(BaseModel):
    read: list[str]


class NumberInfo(BaseModel):
    phone_number_id: str
    display_phone_number: str
    waba_id: str
    access_token: str


class InfoResponse(BaseModel):
    graph_version: str
    webhook_url: str | None
    app_secret: str
    verify_token: str
    numbers: list[NumberInfo]


class VerifyResponse(BaseModel):
    ok: bool
    status: int | None
    body: str
    challenge: str
    error: str | None


class ErrorBody(BaseModel):
    error: str


class Ok(BaseModel):
    ok: Literal[True] = True


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/_sim/", info)
    # {customer}: a phone (digits) or a BSUID / parent BSUID the simulator gave out.
    router.add_post("/_sim/customers", customer_create)
    router.add_get("/_sim/customers/{customer}", customer_get)
    router.add_post("/_sim/customers/{customer}/messages", customer_message)
    router.add_post("/_sim/customers/{customer}/read", customer_read)
    router.add_put("/_sim/customers/{customer}", customer_update)
    router.add_get("/_sim/messages", list_outbound)
    router.add_get("/_sim/messages/{message_id}", get_outbound)
    router.add_get("/_sim/inbound", list_inbound)
    router.add_get("/_sim/inbound/{message_id}", get_inbound)
    router.add_get("/_sim/deliveries", list_deliveries)
    router.add_get("/_sim/stats", stats)
    router.add_post("/_sim/templates/{template_id}/status", template_status)
    router.add_post("/_sim/numbers/{phone_number_id}/quality", number_quality)
    router.add_post("/_sim/clock/advance", advance_clock)
    router.add_post("/_sim/verify", verify)
    router.add_put("/_sim/webhook", set_webhook)


def _json(model: BaseModel | list[Any], status: int = 200) -> web.Response:
    data = (
        model.model_dump(mode="json")
        if isinstance(model, BaseModel)
        else [m.model_dump(mode="json") if isinstance(m, BaseModel) else m for m in model]
    )
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


async def _body(request: web.Request, model: type[BodyT]) -> BodyT:
    raw = await request.read()
    try:
        data = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError as exc:
        raise ControlError(f"invalid JSON: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ControlError(first_error(exc)) from None


def _sim(request: web.Request) -> Simulator:
    return request.app[SIMULATOR]


def _float(request: web.Request, name: str, default: float) -> float:
    try:
        return float(request.query.get(name, default))
    except ValueError:
        raise ControlError(f"{name} must be a number") from None


async def info(request: web.Request) -> web.Response:
    sim = _sim(request)
    config = sim.config
    return _json(
        InfoResponse(
            graph_version=config.graph_version,
            webhook_url=sim.webhook_url,
            app_secret=config.app_secret,
            verify_token=config.verify_token,
            numbers=[
                NumberInfo(
                    phone_number_id=n.phone_number_id,
                    display_phone_number=n.display_phone_number,
                    waba_id=n.waba_id,
                    access_token=n.access_token,
                )
                for n in config.numbers
            ],
        )
    )


def _customer(request: web.Request) -> Customer:
    try:
        return _sim(request).inbound.resolve(request.match_info["customer"])
    except CustomerError as exc:
        raise ControlError(str(exc), 404) from None


def _customer_view(request: web.Request, customer: Customer) -> web.Response:
    return _json(CustomerView.of(customer, _sim(request).default_number.waba_id))


async def customer_create(request: web.Request) -> web.Response:
    body = await _body(request, CustomerCreate)
    customer = _sim(request).create_customer(
        body.wa_id,
        name=body.profile_name,
        username=body.username,
        phone_visible=body.phone_visible,
        parent_user_id=body.parent_user_id,
    )
    return _customer_view(request, customer)


async def customer_get(request: web.Request) -> web.Response:
    return _customer_view(request, _customer(request))


async def customer_message(request: web.Request) -> web.Response:
    sim = _sim(request)
    message = await _body(request, CustomerMessage)
    if message.phone_number_id is not None and message.phone_number_id not in sim.store.numbers:
        raise ControlError(f"no business number {message.phone_number_id}")
    customer = _customer(request)
    try:
        message_id = sim.customer_send(customer.wa_id, message)
    except CustomerError as exc:
        raise ControlError(str(exc)) from None
    return _json(MessageIdResponse(message_id=message_id))


async def customer_read(request: web.Request) -> web.Response:
    sim = _sim(request)
    body = await _body(request, ReadRequest)
    read = sim.customer_read(
        _customer(request).wa_id,
        message_id=body.message_id,
        phone_number_id=body.phone_number_id,
    )
    return _json(ReadResponse(read=read))


async def customer_update(request: web.Request) -> web.Response:
    body = await _body(request, CustomerUpdate)
    sim = _sim(request)
    customer = _customer(request)
    given = body.model_fields_set  # only what the body names changes ("reads": null resets)
    sim.set_customer(
        customer.wa_id,
        profile_name=body.profile_name,
        on_whatsapp=body.on_whatsapp,
        reads=body.reads if "reads" in given else customer.reads,
        shares_phone=body.shares_phone if "shares_phone" in given else customer.shares_phone,
    )
    sim.inbound.update(
        customer,
        username=body.username,
        phone_visible=body.phone_visible,
        parent_user_id=body.parent_user_id,
    )
    return _customer_view(request, customer)


async def list_outbound(request: web.Request) -> web.Response:
    """``?to=&phone_number_id=&since=<seq>``; with ``wait=<s>`` it waits (server-side, no
    polling) until at least ``count`` (default 1) such messages exist or the time is up."""
    sim = _sim(request)
    to = request.query.get("to")
    phone_number_id = request.query.get("phone_number_id")
    since = int(_float(request, "since", 0))
    wait = min(_float(request, "wait", 0), MAX_WAIT)
    count = int(_float(request, "count", 1))
    if wait > 0:
        with contextlib.suppress(TimeoutError):  # answer with what there is: the caller decides
            await sim.wait_for_outbound(
                to=to, phone_number_id=phone_number_id, since=since, count=count, timeout=wait
            )
    messages = sim.outbound_messages(to=to, phone_number_id=phone_number_id, since=since)
    cursor = messages[-1].seq if messages else since
    return _json(OutboundList(data=[OutboundView.of(m) for m in messages], cursor=cursor))


async def get_outbound(request: web.Request) -> web.Response:
    message = _sim(request).store.outbound.get(request.match_info["message_id"])
    if message is None:
        raise ControlError("no such outbound message", 404)
    return _json(OutboundView.of(message))


async def list_inbound(request: web.Request) -> web.Response:
    """``?wa_id=`` takes the customer's phone or the BSUID the message came from."""
    wa_id = request.query.get("wa_id")
    messages = _sim(request).store.inbound.values()
    return _json(
        [
            InboundView.of(m)
            for m in messages
            if wa_id in (None, m.wa_id, m.payload.get("from_user_id"))
        ]
    )


async def get_inbound(request: web.Request) -> web.Response:
    message = _sim(request).store.inbound.get(request.match_info["message_id"])
    if message is None:
        raise ControlError("no such inbound message", 404)
    return _json(InboundView.of(message))


async def list_deliveries(request: web.Request) -> web.Response:
    """Every notification with its attempts; ``?state=acked|pending|held|gave_up``,
    ``?body=1`` to include the JSON that was posted."""
    state = request.query.get("state")
    with_body = request.query.get("body") in ("1", "true")
    records = _sim(request).deliveries
    return _json(
        [DeliveryView.of(r, with_body=with_body) for r in records if state in (None, r.state)]
    )


async def stats(request: web.Request) -> web.Response:
    return _json(_sim(request).stats())


async def template_status(request: web.Request) -> web.Response:
    body = await _body(request, TemplateStatusRequest)
    try:
        _sim(request).set_template_status(
            request.match_info["template_id"], body.status, reason=body.reason
        )
    except KeyError:
        raise ControlError("no such template", 404) from None
    return _json(Ok())


async def number_quality(request: web.Request) -> web.Response:
    body = await _body(request, NumberQualityRequest)
    try:
        _sim(request).set_number_quality(
            request.match_info["phone_number_id"],
            body.event,
            quality_rating=body.quality_rating,
            messaging_limit=body.messaging_limit,
        )
    except KeyError:
        raise ControlError("no such number", 404) from None
    return _json(Ok())


async def advance_clock(request: web.Request) -> web.Response:
    body = await _body(request, ClockAdvance)
    _sim(request).advance_clock(body.seconds)
    return _json(Ok())


async def verify(request: web.Request) -> web.Response:
    body = await _body(request, VerifyRequest)
    try:
        result = await _sim(request).verify_webhook(body.url, body.verify_token)
    except RuntimeError as exc:
        raise ControlError(str(exc)) from None
    return _json(
        VerifyResponse(
            ok=result.ok,
            status=result.status,
            body=result.body,
            challenge=result.challenge,
            error=result.error,
        )
    )


async def set_webhook(request: web.Request) -> web.Response:
    body = await _body(request, WebhookUpdate)
    _sim(request).webhook_url = body.url
    return _json(Ok())
