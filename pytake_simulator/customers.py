"""Simulated customers: what they can send, turned into Meta's inbound message shapes.

A :class:`CustomerMessage` is the control API's body (``POST /_sim/customers/{wa_id}/messages``)
and the in-process API's argument: ``type`` plus the object for that type in Meta's own shape,
with whatever the customer's phone would fill in left optional (media ids and hashes, the
``context`` of a reply to the business's interactive or template message, the message a reaction
is for).
"""

from __future__ import annotations

import base64
import binascii
import json
import random
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pytake_simulator import ids, media
from pytake_simulator.errors import unsupported_message
from pytake_simulator.state import MediaObject, Store
from pytake_simulator.wire import (
    Button,
    ButtonReply,
    Context,
    InboundMessage,
    Interactive,
    ListReply,
    Location,
    Media,
    NfmReply,
    Order,
    ProductItem,
    Reaction,
    Referral,
    System,
    Text,
    WebhookError,
)

if TYPE_CHECKING:
    from pytake_simulator.config import NumberConfig
    from pytake_simulator.simulator import Simulator

InboundType = Literal[
    "text",
    "image",
    "audio",
    "video",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "button",
    "reaction",
    "order",
    "system",
    "unsupported",
]
MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
DEFAULT_MIME = {
    "image": "image/jpeg",
    "audio": "audio/mpeg",
    "video": "video/mp4",
    "document": "application/pdf",
    "sticker": "image/webp",
}
VOICE_MIME = "audio/ogg; codecs=opus"


class CustomerError(Exception):
    """The requested customer message can't exist (e.g. a reply to nothing)."""


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextIn(_In):
    body: str = Field(min_length=1, max_length=4096)


class MediaIn(_In):
    id: str | None = None  # an existing media id; otherwise a sample file is made up
    mime_type: str | None = None
    data_base64: str | None = None  # the file's bytes, when a test wants specific content
    caption: str | None = None
    filename: str | None = None
    voice: bool | None = None
    animated: bool | None = None


class InteractiveIn(_In):
    type: Literal["button_reply", "list_reply", "nfm_reply"]
    button_reply: ButtonReply | None = None
    list_reply: ListReply | None = None
    nfm_reply: NfmReply | None = None

    @model_validator(mode="after")
    def _reply_for_type(self) -> InteractiveIn:
        if getattr(self, self.type) is None:
            raise ValueError(f"interactive.{self.type} is required for type {self.type}")
        return self


class ButtonIn(_In):
    text: str
    payload: str | None = None  # Meta echoes the button text when the template set none


class ReactionIn(_In):
    message_id: str | None = None  # default: the business's last message to this customer
    emoji: str = ""  # empty removes the reaction


class OrderIn(_In):
    catalog_id: str = "1537297853620321"
    text: str | None = None
    product_items: list[ProductItem] = Field(min_length=1)


class SystemIn(_In):
    new_wa_id: str = Field(pattern=r"^[0-9]{7,15}$")
    body: str | None = None


class UnsupportedIn(_In):
    errors: list[WebhookError] | None = None


class ContextIn(_In):
    id: str | None = None
    forwarded: bool | None = None
    frequently_forwarded: bool | None = None


class CustomerMessage(_In):
    """One message from a customer; only ``type`` and that type's object are needed."""

    type: InboundType
    phone_number_id: str | None = None
    profile_name: str | None = None
    text: TextIn | Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    image: MediaIn | None = None
    audio: MediaIn | None = None
    video: MediaIn | None = None
    document: MediaIn | None = None
    sticker: MediaIn | None = None
    location: Location | None = None
    contacts: list[dict[str, Any]] | None = None
    interactive: InteractiveIn | None = None
    button: ButtonIn | None = None
    reaction: ReactionIn | None = None
    order: OrderIn | None = None
    system: SystemIn | None = None
    unsupported: UnsupportedIn | None = None
    context: ContextIn | None = None
    referral: Referral | None = None

    @model_validator(mode="after")
    def _object_for_type(self) -> CustomerMessage:
        needs_object = ("text", "location", "contacts", "interactive", "button", "order", "system")
        if self.type in needs_object and getattr(self, self.type) is None:
            raise ValueError(f"{self.type} is required for a {self.type} message")
        others = [
            name
            for name in self.model_fields_set
            if name in _TYPE_OBJECTS and name != self.type and getattr(self, name) is not None
        ]
        if others:
            raise ValueError(f"{', '.join(sorted(others))} given for a {self.type} message")
        return self


_TYPE_OBJECTS = frozenset(
    {
        "text",
        "image",
        "audio",
        "video",
        "document",
        "sticker",
        "location",
        "contacts",
        "interactive",
        "button",
        "reaction",
        "order",
        "system",
        "unsupported",
    }
)


class MessageFactory:
    """Builds the wire message for a :class:`CustomerMessage`, filling in what a phone would."""

    def __init__(self, store: Store, timestamp: str) -> None:
        self.store = store
        self.timestamp = timestamp

    def build(self, request: CustomerMessage, wa_id: str, number: NumberConfig) -> InboundMessage:
        message = InboundMessage(
            from_=wa_id, id=ids.wamid(wa_id), timestamp=self.timestamp, type=request.type
        )
        kind = request.type
        if kind == "text":
            text = request.text
            assert text is not None  # the model requires it for a text message
            message.text = Text(body=text if isinstance(text, str) else text.body)
        elif kind in MEDIA_TYPES:
            spec = getattr(request, kind) or MediaIn()
            setattr(message, kind, self._media(kind, spec, number.phone_number_id))
        elif kind == "location":
            message.location = request.location
        elif kind == "contacts":
            message.contacts = request.contacts
        elif kind == "interactive":
            message.interactive = self._interactive(request)
            message.context = self._reply_context(number, wa_id, "interactive", request.context)
        elif kind == "button":
            assert request.button is not None
            message.button = Button(
                payload=request.button.payload or request.button.text, text=request.button.text
            )
            message.context = self._reply_context(number, wa_id, "template", request.context)
        elif kind == "reaction":
            message.reaction = self._reaction(request.reaction or ReactionIn(), number, wa_id)
        elif kind == "order":
            assert request.order is not None
            message.order = Order(**request.order.model_dump())
        elif kind == "system":
            assert request.system is not None
            message.system = self._system(request.system, wa_id)
        else:
            spec_errors = request.unsupported.errors if request.unsupported else None
            message.errors = spec_errors or [unsupported_message()]
        if kind not in ("interactive", "button") and request.context is not None:
            message.context = self._context(request.context, number, wa_id)
        message.referral = request.referral
        return message

    def _media(self, kind: str, spec: MediaIn, phone_number_id: str) -> Media:
        if spec.id is not None and spec.data_base64 is None:
            stored = self.store.media.get(spec.id)
            if stored is None:
                raise CustomerError(f"no media with id {spec.id}")
        else:
            mime = spec.mime_type or (VOICE_MIME if spec.voice else DEFAULT_MIME[kind])
            if spec.data_base64 is not None:
                try:
                    data = base64.b64decode(spec.data_base64, validate=True)
                except binascii.Error:
                    raise CustomerError(f"{kind}.data_base64 is not valid base64") from None
            else:
                data = media.sample(mime)
            stored = MediaObject(
                id=spec.id or ids.numeric_id(),
                data=data,
                mime_type=mime,
                sha256=media.sha256_hex(data),
                phone_number_id=phone_number_id,
                filename=spec.filename,
            )
            self.store.media[stored.id] = stored
        filename = spec.filename
        if kind == "document" and filename is None:
            filename = (
                stored.filename
                or f"document.{media.EXTENSIONS.get(media.base_mime(stored.mime_type), 'bin')}"
            )
        return Media(
            id=stored.id,
            mime_type=stored.mime_type,
            sha256=media.sha256_b64(stored.data),
            caption=spec.caption if kind in ("image", "video", "document") else None,
            filename=filename if kind == "document" else None,
            voice=(True if spec.voice else None) if kind == "audio" else None,
            animated=bool(spec.animated) if kind == "sticker" else None,
        )

    @staticmethod
    def _interactive(request: CustomerMessage) -> Interactive:
        spec = request.interactive
        assert spec is not None
        return Interactive(
            type=spec.type,
            button_reply=spec.button_reply,
            list_reply=spec.list_reply,
            nfm_reply=spec.nfm_reply,
        )

    def _reply_context(
        self, number: NumberConfig, wa_id: str, kind: str, given: ContextIn | None
    ) -> Context:
        """Replies to buttons, lists and template quick replies always quote the business
        message they answer: by default the last one of that kind sent to this customer."""
        if given is not None and given.id is not None:
            return self._context(given, number, wa_id)
        last = self.store.last_outbound(number.phone_number_id, wa_id, kind)
        if last is None:
            raise CustomerError(
                f"no {kind} message was sent to {wa_id} to reply to (give context.id)"
            )
        return Context(from_=number.display_digits, id=last.id)

    def _context(self, given: ContextIn, number: NumberConfig, wa_id: str) -> Context:
        sender: str | None = None
        if given.id is not None:
            # Quoting one's own message shows the customer as "from"; anything else the business.
            inbound = self.store.inbound.get(given.id)
            sender = wa_id if inbound is not None and inbound.wa_id == wa_id else None
            sender = sender or number.display_digits
        return Context(
            from_=sender,
            id=given.id,
            forwarded=given.forwarded,
            frequently_forwarded=given.frequently_forwarded,
        )

    def _reaction(self, spec: ReactionIn, number: NumberConfig, wa_id: str) -> Reaction:
        message_id = spec.message_id
        if message_id is None:
            last = self.store.last_outbound(number.phone_number_id, wa_id)
            if last is None:
                raise CustomerError(f"nothing was sent to {wa_id} to react to (give message_id)")
            message_id = last.id
        return Reaction(message_id=message_id, emoji=spec.emoji)

    def _system(self, spec: SystemIn, wa_id: str) -> System:
        name = self.store.customer(wa_id).profile_name
        body = spec.body or f"{name} changed their phone number to a new number {spec.new_wa_id}."
        return System(body=body, type="user_changed_number", wa_id=spec.new_wa_id)


class SimCustomer:
    """A customer's phone, in process: ``await sim.customer("5511...").send_text("Hi")``.

    Every ``send_*`` returns the new message id once the message is queued for delivery.
    """

    def __init__(
        self, sim: Simulator, wa_id: str, name: str | None, phone_number_id: str | None
    ) -> None:
        self.sim = sim
        self.wa_id = wa_id
        self.name = name
        self.phone_number_id = phone_number_id

    async def send(self, message: CustomerMessage | dict[str, Any]) -> str:
        request = (
            message
            if isinstance(message, CustomerMessage)
            else CustomerMessage.model_validate(message)
        )
        updates: dict[str, Any] = {}
        if request.phone_number_id is None and self.phone_number_id is not None:
            updates["phone_number_id"] = self.phone_number_id
        if request.profile_name is None and self.name is not None:
            updates["profile_name"] = self.name
        if updates:
            request = request.model_copy(update=updates)
        return self.sim.customer_send(self.wa_id, request)

    async def _send(self, kind: str, body: Any, **extra: Any) -> str:
        fields: dict[str, Any] = {"type": kind, **({kind: body} if body is not None else {})}
        fields.update({k: v for k, v in extra.items() if v is not None})
        return await self.send(fields)

    async def send_text(
        self,
        body: str,
        *,
        context: dict[str, Any] | None = None,
        referral: dict[str, Any] | None = None,
    ) -> str:
        return await self._send("text", {"body": body}, context=context, referral=referral)

    async def send_image(self, *, caption: str | None = None, **spec: Any) -> str:
        return await self._send("image", {"caption": caption, **spec})

    async def send_audio(self, *, voice: bool = False, **spec: Any) -> str:
        return await self._send("audio", {"voice": voice, **spec})

    async def send_video(self, *, caption: str | None = None, **spec: Any) -> str:
        return await self._send("video", {"caption": caption, **spec})

    async def send_document(
        self, *, filename: str = "invoice.pdf", caption: str | None = None, **spec: Any
    ) -> str:
        return await self._send("document", {"filename": filename, "caption": caption, **spec})

    async def send_sticker(self, *, animated: bool = False, **spec: Any) -> str:
        return await self._send("sticker", {"animated": animated, **spec})

    async def send_location(
        self,
        latitude: float,
        longitude: float,
        *,
        name: str | None = None,
        address: str | None = None,
        url: str | None = None,
    ) -> str:
        location = {
            "latitude": latitude,
            "longitude": longitude,
            "name": name,
            "address": address,
            "url": url,
        }
        return await self._send("location", location)

    async def send_contacts(self, contacts: list[dict[str, Any]]) -> str:
        return await self._send("contacts", contacts)

    async def reply_button(
        self, button_id: str, title: str, *, context_id: str | None = None
    ) -> str:
        interactive = {"type": "button_reply", "button_reply": {"id": button_id, "title": title}}
        return await self._send("interactive", interactive, context=_ctx(context_id))

    async def reply_list(
        self,
        row_id: str,
        title: str,
        *,
        description: str | None = None,
        context_id: str | None = None,
    ) -> str:
        reply = {"id": row_id, "title": title, "description": description}
        interactive = {"type": "list_reply", "list_reply": reply}
        return await self._send("interactive", interactive, context=_ctx(context_id))

    async def press_template_button(
        self, text: str, *, payload: str | None = None, context_id: str | None = None
    ) -> str:
        return await self._send(
            "button", {"text": text, "payload": payload}, context=_ctx(context_id)
        )

    async def react(self, emoji: str, *, message_id: str | None = None) -> str:
        return await self._send("reaction", {"emoji": emoji, "message_id": message_id})

    async def unreact(self, *, message_id: str | None = None) -> str:
        return await self.react("", message_id=message_id)

    async def send_order(
        self, product_items: list[dict[str, Any]], *, text: str | None = None
    ) -> str:
        return await self._send("order", {"product_items": product_items, "text": text})

    async def change_number(self, new_wa_id: str) -> str:
        return await self._send("system", {"new_wa_id": new_wa_id})

    async def send_unsupported(self) -> str:
        return await self._send("unsupported", None)

    async def read(self, message_id: str | None = None) -> list[str]:
        """Read what the business sent (one message, or everything delivered and unread)."""
        return self.sim.customer_read(
            self.wa_id, message_id=message_id, phone_number_id=self.phone_number_id
        )


def _ctx(context_id: str | None) -> dict[str, Any] | None:
    return {"id": context_id} if context_id else None


# --- chatter: random customers writing random things, for demos ---------------------------------

# Portuguese and English in equal measure (the demo's customers), one Spanish for variety. A
# few start with a greeting, which is what the demo's ready-made flow answers.
CHATTER_TEXTS = [
    "Hi! Is the store open today?",
    "Hello, I need help with my order",
    "Where is my order?",
    "Can I change my delivery address?",
    "Thanks, that solved it 🙏",
    "Do you have this in blue?",
    "I was charged twice this month",
    "Olá, vocês entregam no sábado?",
    "Oi! Quero falar com um atendente",
    "Cadê o meu pedido? Já faz uma semana",
    "Posso trocar o endereço de entrega?",
    "Obrigada, resolveu! 🙏",
    "Vocês têm esse modelo em azul?",
    "Fui cobrado duas vezes este mês",
    "¿Tienen descuentos para estudiantes?",
]
CHATTER_CUSTOMERS = [f"1555010{n:04d}" for n in range(1, 9)]


def chatter_message(rng: random.Random, sim: Simulator, wa_id: str) -> CustomerMessage:
    """A plausible random message, choosing only kinds that make sense right now (a button
    reply only after the business sent buttons, a reaction only after it sent anything)."""
    number = sim.default_number
    kinds: list[tuple[str, float]] = [
        ("text", 6.0),
        ("image", 1.0),
        ("audio", 0.7),
        ("document", 0.4),
        ("location", 0.4),
        ("sticker", 0.3),
        ("contacts", 0.2),
    ]
    last = sim.store.last_outbound(number.phone_number_id, wa_id)
    if last is not None:
        kinds.append(("reaction", 0.5))
        if last.type == "interactive":
            kinds.append(("interactive", 4.0))
    kind = rng.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]
    body: dict[str, Any] = {"type": kind}
    if kind == "text":
        body["text"] = {"body": rng.choice(CHATTER_TEXTS)}
    elif kind == "audio":
        body["audio"] = {"voice": rng.random() < 0.8}
    elif kind == "image":
        body["image"] = {"caption": rng.choice([None, "like this one", "the receipt"])}
    elif kind == "document":
        body["document"] = {"filename": "receipt.pdf"}
    elif kind == "location":
        body["location"] = {"latitude": -23.5614, "longitude": -46.6559, "name": "Av. Paulista"}
    elif kind == "sticker":
        body["sticker"] = {"animated": rng.random() < 0.5}
    elif kind == "contacts":
        body["contacts"] = [
            {
                "name": {"formatted_name": "Maria Souza", "first_name": "Maria"},
                "phones": [
                    {"phone": "+55 11 99999-0000", "type": "CELL", "wa_id": "5511999990000"}
                ],
            }
        ]
    elif kind == "reaction":
        body["reaction"] = {"emoji": rng.choice(["👍", "❤️", "😂", "🙏"])}
    elif kind == "interactive":
        body["interactive"] = _reply_to(last.body if last else {}, rng)
    return CustomerMessage.model_validate(body)


def _reply_to(sent: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Pick one of the options of an interactive message the business sent."""
    interactive = sent.get("interactive", {})
    action = interactive.get("action", {}) if isinstance(interactive, dict) else {}
    buttons = [b.get("reply", {}) for b in action.get("buttons", []) if isinstance(b, dict)]
    if buttons:
        choice = rng.choice(buttons)
        return {
            "type": "button_reply",
            "button_reply": {"id": choice["id"], "title": choice["title"]},
        }
    rows = [r for s in action.get("sections", []) for r in s.get("rows", [])]
    if rows:
        row = rng.choice(rows)
        return {"type": "list_reply", "list_reply": {"id": row["id"], "title": row["title"]}}
    return {
        "type": "nfm_reply",
        "nfm_reply": {"response_json": json.dumps({"flow_token": "unused"})},
    }
