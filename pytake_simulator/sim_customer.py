"""A simulated customer's phone for in-process use (tests, the demo, benchmarks)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytake_simulator.customer_messages import CustomerMessage

if TYPE_CHECKING:
    from pytake_simulator.simulator import Simulator


class SimCustomer:
    """A customer's phone, in process: ``await sim.customer("5511...").send_text("Hi")``.

    ``wa_id`` is the customer's phone, or a BSUID / parent BSUID the simulator gave out (for a
    customer whose phone the business can't see). Every ``send_*`` returns the new message id
    once the message is queued for delivery.
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
        """``user_changed_number``: the customer moves to ``new_wa_id`` and new BSUIDs."""
        return await self._send("system", {"new_wa_id": new_wa_id})

    async def change_user_id(self) -> str:
        """``user_changed_user_id``: same phone, new BSUIDs."""
        return await self._send("system", {"type": "user_changed_user_id"})

    async def share_phone(self, *, context_id: str | None = None) -> str:
        """Answer the business's request_contact_info with the customer's own card."""
        return await self._send(
            "contacts", None, origin="contact_request", context=_ctx(context_id)
        )

    async def edit(
        self,
        *,
        text: str | None = None,
        caption: str | None = None,
        message_id: str | None = None,
    ) -> str:
        spec = {"text": text, "caption": caption, "original_message_id": message_id}
        return await self._send("edit", {k: v for k, v in spec.items() if v is not None})

    async def revoke(self, *, message_id: str | None = None) -> str:
        return await self._send("revoke", {"original_message_id": message_id})

    async def send_unsupported(self, kind: str = "poll_creation") -> str:
        return await self._send("unsupported", {"type": kind})

    async def read(self, message_id: str | None = None) -> list[str]:
        """Read what the business sent (one message, or everything delivered and unread)."""
        return self.sim.customer_read(
            self.wa_id, message_id=message_id, phone_number_id=self.phone_number_id
        )


def _ctx(context_id: str | None) -> dict[str, Any] | None:
    return {"id": context_id} if context_id else None
