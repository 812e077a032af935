"""Simulated customers' messages, turned into Meta's inbound webhook shapes.

:class:`MessageFactory` fills in what a phone would (media, quoted messages, the customer's own
card) and what Meta adds since 2026: ``from_user_id`` always, ``from`` only while the business
may see the phone, ``from_parent_user_id`` with parent BSUIDs. Identity changes
(``user_changed_number`` / ``user_changed_user_id``) also move the customer to new ids here,
since the message is where Meta reports them.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from pytake_simulator import errors, ids, media
from pytake_simulator.customer_messages import (
    DEFAULT_MIME,
    MEDIA_TYPES,
    VOICE_MIME,
    ContextIn,
    CustomerError,
    CustomerMessage,
    EditIn,
    MediaIn,
    ReactionIn,
    SystemIn,
)
from pytake_simulator.state import Customer, MediaObject, Store
from pytake_simulator.wire import (
    Button,
    Context,
    Edit,
    InboundMessage,
    Interactive,
    Media,
    Order,
    Reaction,
    Revoke,
    System,
    Text,
    Unsupported,
)

if TYPE_CHECKING:
    from pytake_simulator.config import MetaVariantsConfig, NumberConfig

# Kinds an edit can change (text, or a caption), and kinds a revoke can't target.
_EDITABLE = ("text", "image", "video", "document")
_NOT_REVOCABLE = ("system", "edit", "revoke", "reaction")


class MessageFactory:
    """Builds the wire message for a :class:`CustomerMessage`, filling in what a phone would."""

    def __init__(self, store: Store, timestamp: str, variants: MetaVariantsConfig) -> None:
        self.store = store
        self.timestamp = timestamp
        self.variants = variants

    def build(
        self, request: CustomerMessage, customer: Customer, number: NumberConfig
    ) -> InboundMessage:
        wa_id = customer.wa_id
        message = InboundMessage(
            from_=wa_id if customer.phone_visible else None,
            from_user_id=customer.user_id(number.waba_id),
            from_parent_user_id=customer.parent_user_id,
            id=ids.wamid(wa_id),
            timestamp=self.timestamp,
            type=request.type,
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
            self._contacts(message, request, customer)
        elif kind == "interactive":
            message.interactive = self._interactive(request)
            message.context = self._reply_context(number, customer, "interactive", request.context)
        elif kind == "button":
            assert request.button is not None
            message.button = Button(
                payload=request.button.payload or request.button.text, text=request.button.text
            )
            message.context = self._reply_context(number, customer, "template", request.context)
        elif kind == "reaction":
            message.reaction = self._reaction(request.reaction or ReactionIn(), number, wa_id)
        elif kind == "order":
            assert request.order is not None
            message.order = Order(**request.order.model_dump())
        elif kind == "system":
            assert request.system is not None
            message.system = self._system(request.system, customer, number.waba_id)
        elif kind == "edit":
            assert request.edit is not None
            message.edit = self._edit(request.edit, customer, number)
        elif kind == "revoke":
            original = request.revoke.original_message_id if request.revoke else None
            original = original or self._last_inbound(customer, number, _NOT_REVOCABLE, "revoke")
            message.revoke = Revoke(original_message_id=original)
        else:
            spec = request.unsupported
            message.errors = (spec.errors if spec else None) or [errors.unsupported_message()]
            message.unsupported = Unsupported(type=spec.type if spec else "poll_creation")
        if kind not in ("interactive", "button") and request.context is not None:
            message.context = self._context(request.context, number, customer)
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

    def _contacts(
        self, message: InboundMessage, request: CustomerMessage, customer: Customer
    ) -> None:
        """A shared card, or the reply to request_contact_info: the customer's own card, with
        ``origin`` where the configured variant puts it (Meta: on the message)."""
        cards = request.contacts or [own_card(customer)]
        if request.origin is not None and self.variants.contact_request_origin == "contact":
            cards = [{**card, "origin": request.origin} for card in cards]
        else:
            message.origin = request.origin
        message.contacts = cards

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
        self, number: NumberConfig, customer: Customer, kind: str, given: ContextIn | None
    ) -> Context:
        """Replies to buttons, lists and template quick replies always quote the business
        message they answer: by default the last one of that kind sent to this customer."""
        if given is not None and given.id is not None:
            return self._context(given, number, customer)
        last = self.store.last_outbound(number.phone_number_id, customer.wa_id, kind)
        if last is None:
            raise CustomerError(
                f"no {kind} message was sent to {customer.wa_id} to reply to (give context.id)"
            )
        return Context(from_=number.display_digits, id=last.id)

    def _context(self, given: ContextIn, number: NumberConfig, customer: Customer) -> Context:
        sender: str | None = None
        if given.id is not None:
            # Quoting one's own message shows the customer as "from" (when the phone may be
            # shown); anything else the business.
            inbound = self.store.inbound.get(given.id)
            if inbound is not None and inbound.wa_id == customer.wa_id:
                sender = customer.wa_id if customer.phone_visible else None
            else:
                sender = number.display_digits
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

    def _system(self, spec: SystemIn, customer: Customer, waba_id: str) -> System:
        """Meta's identity-change notice; the customer moves to new ids as it is built."""
        name = customer.profile_name
        old_wa_id = customer.wa_id
        previous_user_id, previous_parent = customer.user_id(waba_id), customer.parent_user_id
        if spec.type == "user_changed_number":
            assert spec.new_wa_id is not None  # the model requires it
            self.store.change_number(customer, spec.new_wa_id)
            body = spec.body or f"User {name} changed from {old_wa_id} to {spec.new_wa_id}"
        else:
            self.store.change_user_id(customer)
            body = spec.body or f"User {name} changed their business-scoped user ID"
        return System(
            body=body,
            type=spec.type,
            # The new number is shared with a number change only (Meta's Aug 2026 reference).
            wa_id=spec.new_wa_id,
            user_id=customer.user_id(waba_id),
            parent_user_id=customer.parent_user_id,
            previous_user_id=previous_user_id,
            previous_parent_user_id=previous_parent,
        )

    def _edit(self, spec: EditIn, customer: Customer, number: NumberConfig) -> Edit:
        original_id = spec.original_message_id or self._last_inbound(customer, number, None, "edit")
        original = self.store.inbound.get(original_id)
        if original is None or original.type not in _EDITABLE:
            raise CustomerError(f"{original_id} is not a text or captioned message to edit")
        if (original.type == "text") != (spec.text is not None):
            field = "text" if original.type == "text" else "caption"
            raise CustomerError(f"a {original.type} message is edited with edit.{field}")
        content: dict[str, Any]
        if spec.text is not None:
            content = {"type": "text", "text": {"body": spec.text}}
        else:
            previous = dict(original.payload.get(original.type) or {})
            content = {"type": original.type, original.type: {**previous, "caption": spec.caption}}
        return Edit(original_message_id=original_id, message=content)

    def _last_inbound(
        self,
        customer: Customer,
        number: NumberConfig,
        excluded: tuple[str, ...] | None,
        action: str,
    ) -> str:
        """The customer's latest message to this number an edit (text or captioned media) or
        a revocation (anything but notices and reactions) may target."""
        for message in reversed(list(self.store.inbound.values())):
            if message.wa_id != customer.wa_id or message.phone_number_id != number.phone_number_id:
                continue
            if excluded is None and message.type in _EDITABLE:
                return message.id
            if excluded is not None and message.type not in excluded:
                return message.id
        raise CustomerError(
            f"{customer.wa_id} has no message to {action} (give original_message_id)"
        )


def own_card(customer: Customer) -> dict[str, Any]:
    """The customer's own contact card, as WhatsApp shares it (2026: with a ``vcard``)."""
    name = customer.profile_name
    first, _, last = name.partition(" ")
    vcard = (
        "BEGIN:VCARD\nVERSION:3.0\n"
        f"N:{last};{first};;;\nFN:{name}\n"
        f"TEL;type=CELL;type=VOICE;waid={customer.wa_id}:+{customer.wa_id}\nEND:VCARD"
    )
    card_name = {"formatted_name": name, "first_name": first}
    if last:
        card_name["last_name"] = last
    return {
        "name": card_name,
        "phones": [{"phone": f"+{customer.wa_id}", "type": "CELL", "wa_id": customer.wa_id}],
        "vcard": vcard,
    }
