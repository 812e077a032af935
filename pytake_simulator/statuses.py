"""Status webhooks as Meta sends them since 2026 (shared/reference/whatsapp-2026-changes.md §1b).

- sent to a phone: ``recipient_id`` is that phone; sent to a BSUID: ``recipient_user_id`` (and
  the parent field, spelled per ``meta.status_parent_field``) instead;
- ``contacts[]`` names the customer: ``wa_id`` only while the phone may be shown, ``user_id``,
  ``parent_user_id``, and ``profile.username`` on ``delivered``/``read`` only (never on
  ``sent``; no ``profile`` at all otherwise);
- ``failed`` comes without ``contacts`` or with ``contacts: [{wa_id}]`` only, per
  ``meta.failed_status_contacts`` (both are seen in the wild).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytake_simulator.wire import Contact, Profile, Status

if TYPE_CHECKING:
    from pytake_simulator.config import MetaVariantsConfig
    from pytake_simulator.state import Customer, OutboundMessage


class StatusShapes:
    """Builds a status's addressing fields and its ``contacts`` entry."""

    def __init__(self, variants: MetaVariantsConfig) -> None:
        self.variants = variants
        self._failed = 0  # alternates the two failed variants deterministically

    def address(self, status: Status, message: OutboundMessage, customer: Customer | None) -> None:
        if message.addressed_by == "phone":
            status.recipient_id = message.to
            return
        status.recipient_user_id = message.user_id or message.recipient
        parent = customer.parent_user_id if customer is not None else None
        if parent is not None:
            setattr(status, self.variants.status_parent_field, parent)

    def contact(
        self, status: str, message: OutboundMessage, customer: Customer | None, waba_id: str
    ) -> Contact | None:
        if status == "failed":
            return self._failed_contact(message, customer)
        if customer is None:
            return None
        username = customer.username if status in ("delivered", "read") else None
        return Contact(
            profile=Profile(username=username) if username else None,
            wa_id=customer.wa_id if customer.phone_visible else None,
            user_id=customer.user_id(waba_id),
            parent_user_id=customer.parent_user_id,
        )

    def _failed_contact(
        self, message: OutboundMessage, customer: Customer | None
    ) -> Contact | None:
        variant = self.variants.failed_status_contacts
        if variant == "alternate":
            self._failed += 1
            variant = "wa_id" if self._failed % 2 else "none"
        if variant == "none":
            return None
        if message.addressed_by == "phone":
            return Contact(wa_id=message.to)
        if customer is not None and customer.phone_visible:
            return Contact(wa_id=customer.wa_id)
        return None
