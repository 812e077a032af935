"""The business's sends (``POST /{phone-number-id}/messages``) and what Meta does with them.

A send is checked in Meta's order: envelope, documented value rules, the contract's schema (on
the body as Meta's servers read it, see lenient.py), the recipient (addressing.py), the
template (131062 for an authentication template to a BSUID), then the number's throughput
(130429) and the pair rate limit (131056). An accepted message gets an id at once; what happens
next arrives as status webhooks (statuses.py): ``sent``, ``delivered`` and maybe ``read`` (a
reaction gets ``sent`` only), or ``failed`` with 131047 (outside the 24-hour window), 131026
(not on WhatsApp) or 131053 (unknown media id), as Meta accepts those first and fails them
later. A request for the customer's phone (request_contact_info) may be answered with their card.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from pytake_simulator import addressing, errors, ids, lenient, rules
from pytake_simulator.addressing import Recipient
from pytake_simulator.batching import PendingItem
from pytake_simulator.customer_messages import CustomerMessage
from pytake_simulator.errors import GraphError
from pytake_simulator.state import Number, OutboundMessage, StatusEntry
from pytake_simulator.statuses import StatusShapes
from pytake_simulator.templates import TemplateDefinition, send_problem
from pytake_simulator.wire import (
    Conversation,
    ConversationOrigin,
    Pricing,
    Status,
    WebhookError,
)
from pytake_simulator.wire_graph import SendMessageResponse, SentMessageRef, SuccessResponse

if TYPE_CHECKING:
    from pytake_simulator.simulator import Simulator

MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")


class TypingIndicator(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["text"]


class MarkRead(BaseModel):
    """``{"messaging_product": "whatsapp", "status": "read", "message_id": ...}``."""

    model_config = ConfigDict(extra="forbid")
    messaging_product: Literal["whatsapp"]
    status: Literal["read"]
    message_id: str
    typing_indicator: TypingIndicator | None = None


class Outbound:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.store = sim.store
        # (phone_number_id, wa_id, category) → (conversation id, expiry): Meta's 24 h
        # conversations, still reported in status webhooks next to per-message pricing.
        self._conversations: dict[tuple[str, str, str], tuple[str, float]] = {}
        self.shapes = StatusShapes(sim.config.meta)

    # --- the API call ---

    async def answer(self, number: Number, body: Any) -> SendMessageResponse | SuccessResponse:
        """:meth:`handle`, after the configured send latency (``timing.send_latency``): before
        the acceptance, which times the message's statuses, as Meta's do."""
        if self.sim.config.timing.send_latency:
            await asyncio.sleep(self.sim.config.timing.send_latency)
        return self.handle(number, body)

    def handle(self, number: Number, body: Any) -> SendMessageResponse | SuccessResponse:
        try:
            return self._handle(number, body)
        except GraphError as exc:
            self.store.rejections[exc.code] = self.store.rejections.get(exc.code, 0) + 1
            raise

    def _handle(self, number: Number, body: Any) -> SendMessageResponse | SuccessResponse:
        if not isinstance(body, dict):
            raise errors.invalid_parameter("The request body must be a JSON object.")
        problem = rules.check_envelope(body)
        if problem:
            raise problem
        if "status" in body or "message_id" in body:
            return self._mark_read(number, body)
        if "type" not in body:
            body = {**body, "type": "text"}  # Meta's documented default
        read_as = lenient.normalise_send(body)
        problem = rules.check_message(read_as)
        if problem:
            raise problem
        violation = self.sim.contract.first_violation("send_message", read_as)
        if violation:
            raise errors.invalid_parameter(violation.message, f"(#100) {violation.message}")
        recipient = addressing.resolve(self.store, number, read_as, self.sim.config.meta)
        if read_as["type"] == "template":
            definition = self._check_template(number, read_as["template"])
            if recipient.addressed_by == "user_id" and definition.category == "AUTHENTICATION":
                raise errors.bsuid_not_supported()
        if not number.throughput.take():
            raise errors.throughput_reached()
        if not self.store.pair_bucket(number.id, recipient.key).take():
            raise errors.pair_rate_limited()
        message = self._accept(number, recipient, body, read_as)
        return SendMessageResponse(
            contacts=[recipient.response_contact()],
            messages=[SentMessageRef(id=message.id, message_status="accepted")],
        )

    def _mark_read(self, number: Number, body: dict[str, Any]) -> SuccessResponse:
        try:
            request = MarkRead.model_validate(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise errors.invalid_parameter(f"Param {where}: {first['msg']}") from None
        inbound = self.store.inbound.get(request.message_id)
        if inbound is None or inbound.phone_number_id != number.id:
            raise errors.invalid_value(
                f"Message {request.message_id} was not received by this phone number."
            )
        inbound.read_by_business = True
        inbound.typing_indicator = inbound.typing_indicator or request.typing_indicator is not None
        self.sim.changed()
        return SuccessResponse()

    def _check_template(self, number: Number, template: dict[str, Any]) -> TemplateDefinition:
        name = str(template["name"])
        language = str(template["language"]["code"])
        record = self.store.template(number.waba_id, name, language)
        if record is None or record.definition.status != "APPROVED":
            raise errors.template_missing(name, language)
        problem = send_problem(record.definition, list(template.get("components") or []))
        if problem:
            raise errors.template_params(problem.code, problem.details)
        return record.definition

    # --- acceptance and what follows ---

    def _accept(
        self,
        number: Number,
        recipient: Recipient,
        body: dict[str, Any],
        read_as: dict[str, Any],
    ) -> OutboundMessage:
        customer = recipient.customer
        now = self.sim.clock.now()
        in_window = customer is not None and customer.in_window(number.id, now)
        kind = str(read_as["type"])
        category = self._category(number, read_as)
        free = category == "service" or (category == "utility" and in_window)
        message = OutboundMessage(
            seq=len(self.store.outbound_log) + 1,
            id=ids.wamid(recipient.key),
            phone_number_id=number.id,
            to=recipient.key,
            type=kind,
            body=body,
            accepted_at=now,
            pricing_category=category,
            billable=not free,
            recipient=recipient.input,
            addressed_by=recipient.addressed_by,
            user_id=recipient.user_id,
            dropped=recipient.dropped,
        )
        self.store.outbound[message.id] = message
        self.store.outbound_log.append(message)
        failure: WebhookError | None = None
        if customer is None or not customer.on_whatsapp:
            failure = errors.undeliverable()
        elif kind != "template" and not in_window:
            failure = errors.re_engagement()
        elif kind in MEDIA_TYPES:
            media_id = read_as[kind].get("id")
            if media_id is not None and media_id not in self.store.media:
                failure = errors.media_not_found(str(media_id))
        if not recipient.dropped:  # Meta silently drops a BSUID given in ``to``
            self.sim.spawn(
                self._lifecycle(message, failure, asks_phone=self._asks_phone(number, read_as))
            )
        self.sim.changed()
        return message

    def _asks_phone(self, number: Number, body: dict[str, Any]) -> bool:
        """request_contact_info, as an interactive message or a template's button."""
        if body["type"] == "interactive":
            return bool(body["interactive"].get("type") == "request_contact_info")
        if body["type"] != "template":
            return False
        template = body["template"]
        record = self.store.template(number.waba_id, template["name"], template["language"]["code"])
        buttons = record.definition.component("BUTTONS") if record else None
        return (
            any(b.type == "REQUEST_CONTACT_INFO" for b in (buttons.buttons or []))
            if buttons
            else False
        )

    def _category(self, number: Number, body: dict[str, Any]) -> str:
        if body["type"] != "template":
            return "service"
        template = body["template"]
        record = self.store.template(number.waba_id, template["name"], template["language"]["code"])
        return record.definition.category.lower() if record else "utility"

    async def _lifecycle(
        self, message: OutboundMessage, failure: WebhookError | None, *, asks_phone: bool
    ) -> None:
        timing = self.sim.config.timing
        await asyncio.sleep(timing.sent_delay)
        if failure is not None:
            self.emit_status(message, "failed", errors=(failure,))
            return
        self.emit_status(message, "sent")
        if message.type == "reaction":
            return  # Meta reports only "sent" for reactions
        await asyncio.sleep(timing.delivered_delay)
        if not message.has("read"):
            self.emit_status(message, "delivered")
        customer = self.store.customers.get(message.to)
        if customer is None:  # moved to another number meanwhile
            return
        shares = customer.shares_phone
        if shares is None:
            shares = self.sim.config.customers.answer_contact_requests
        reads = customer.reads
        if reads is None:
            reads = self.sim.rng.random() < timing.read_probability
        if reads or (asks_phone and shares):
            await asyncio.sleep(timing.read_delay)
            if not message.has("read"):
                self.emit_status(message, "read")
        if asks_phone and shares:
            reply = CustomerMessage.model_validate(
                {
                    "type": "contacts",
                    "origin": "contact_request",
                    "phone_number_id": message.phone_number_id,
                    "context": {"id": message.id},
                }
            )
            self.sim.customer_send(customer.wa_id, reply)

    def customer_read(
        self, wa_id: str, *, message_id: str | None = None, phone_number_id: str | None = None
    ) -> list[str]:
        """The customer opens the chat: their delivered messages become read (a message still
        only ``sent`` is delivered first)."""
        read: list[str] = []
        for message in self.store.outbound_log:
            if message.to != wa_id or message.has("read") or message.has("failed"):
                continue
            if message.type == "reaction":  # never more than "sent"
                continue
            if message_id is not None and message.id != message_id:
                continue
            if phone_number_id is not None and message.phone_number_id != phone_number_id:
                continue
            if not message.has("sent"):
                continue
            if not message.has("delivered"):
                self.emit_status(message, "delivered")
            self.emit_status(message, "read")
            read.append(message.id)
        return read

    def emit_status(
        self, message: OutboundMessage, status: str, *, errors: tuple[WebhookError, ...] = ()
    ) -> None:
        timestamp = self.sim.clock.timestamp()
        message.statuses.append(StatusEntry(status, timestamp, errors))
        conversation = pricing = None
        if status in ("sent", "delivered"):
            conversation = self._conversation(message, include_expiry=status == "sent")
            pricing = Pricing(
                billable=message.billable,
                category=message.pricing_category,
                type="regular" if message.billable else "free_customer_service",
            )
        wire_status = Status(
            id=message.id,
            status=status,
            timestamp=timestamp,
            conversation=conversation,
            pricing=pricing,
            errors=list(errors) or None,
            biz_opaque_callback_data=message.body.get("biz_opaque_callback_data"),
        )
        number = self.store.numbers[message.phone_number_id]
        customer = self.store.customers.get(message.to)
        self.shapes.address(wire_status, message, customer)
        contact = self.shapes.contact(status, message, customer, number.waba_id)
        self.sim.notify(
            PendingItem(
                waba_id=number.waba_id, number=number.config, contact=contact, status=wire_status
            )
        )

    def _conversation(self, message: OutboundMessage, *, include_expiry: bool) -> Conversation:
        key = (message.phone_number_id, message.to, message.pricing_category)
        now = self.sim.clock.now()
        current = self._conversations.get(key)
        if current is None or current[1] <= now:
            current = (ids.conversation_id(), now + 24 * 3600)
            self._conversations[key] = current
        return Conversation(
            id=current[0],
            expiration_timestamp=str(int(current[1])) if include_expiry else None,
            origin=ConversationOrigin(type=message.pricing_category),
        )
