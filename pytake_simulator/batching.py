"""Grouping webhook items into POST bodies the way Meta does: one entry per WABA, one
``messages`` change per business number with its contacts, messages and statuses."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from pytake_simulator.config import NumberConfig
from pytake_simulator.delivery import DeliveryEngine, DeliveryRecord
from pytake_simulator.wire import (
    Change,
    Contact,
    Entry,
    InboundMessage,
    MessagesValue,
    Metadata,
    PhoneNumberQualityValue,
    Status,
    TemplateStatusValue,
    WebhookPayload,
)


@dataclass
class PendingItem:
    """One thing to notify: an inbound message, a status, a template or a quality event."""

    waba_id: str
    number: NumberConfig | None = None
    contact: Contact | None = None
    message: InboundMessage | None = None
    status: Status | None = None
    template_event: TemplateStatusValue | None = None
    quality_event: PhoneNumberQualityValue | None = None

    @property
    def field(self) -> str:
        if self.template_event:
            return "message_template_status_update"
        return "phone_number_quality_update" if self.quality_event else "messages"


class Batcher:
    """Groups items into POSTs: one per item, or up to ``batch_max`` within ``batch_window``."""

    def __init__(self, engine: DeliveryEngine, now: Callable[[], float]) -> None:
        self.engine = engine
        self._now = now
        self._buffer: list[PendingItem] = []
        self._timer: asyncio.TimerHandle | None = None

    def add(self, item: PendingItem) -> DeliveryRecord | None:
        config = self.engine.config
        if config.batch_max <= 1:
            return self._send([item])
        self._buffer.append(item)
        if len(self._buffer) >= config.batch_max:
            return self.flush()
        if self._timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return self.flush()
            self._timer = loop.call_later(config.batch_window, self.flush)
        return None

    def flush(self) -> DeliveryRecord | None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        items, self._buffer = self._buffer, []
        return self._send(items) if items else None

    def _send(self, items: list[PendingItem]) -> DeliveryRecord:
        payload = build_payload(items, int(self._now()))
        return self.engine.submit(
            payload,
            message_ids=tuple(i.message.id for i in items if i.message),
            statuses=tuple((i.status.id, i.status.status) for i in items if i.status),
            fields=tuple(dict.fromkeys(i.field for i in items)),
        )


def build_payload(items: list[PendingItem], now: int) -> WebhookPayload:
    """Meta's envelope for some items: an entry per WABA; one ``messages`` change per number
    holding all its contacts, messages and statuses; one change per template or quality event."""
    entries: dict[str, list[Change]] = {}
    values: dict[tuple[str, str], MessagesValue] = {}
    for item in items:
        changes = entries.setdefault(item.waba_id, [])
        account_event = item.template_event or item.quality_event
        if account_event is not None:
            changes.append(Change(field=item.field, value=account_event))
            continue
        assert item.number is not None
        key = (item.waba_id, item.number.phone_number_id)
        value = values.get(key)
        if value is None:
            value = MessagesValue(
                metadata=Metadata(
                    display_phone_number=item.number.display_digits,
                    phone_number_id=item.number.phone_number_id,
                )
            )
            values[key] = value
            changes.append(Change(field="messages", value=value))
        if item.contact is not None:
            value.contacts = _merged(value.contacts or [], item.contact)
        if item.message is not None:
            value.messages = [*(value.messages or []), item.message]
        if item.status is not None:
            value.statuses = [*(value.statuses or []), item.status]
    return WebhookPayload(
        entry=[
            Entry(
                id=waba_id,
                time=now if any(c.field != "messages" for c in changes) else None,
                changes=changes,
            )
            for waba_id, changes in entries.items()
        ]
    )


def _merged(contacts: list[Contact], new: Contact) -> list[Contact]:
    """One entry per customer (the BSUID is the key now: the phone may be hidden); a message's
    entry, which has the profile name, wins over a status's."""
    key = (new.user_id, new.wa_id)
    for index, contact in enumerate(contacts):
        if (contact.user_id, contact.wa_id) == key:
            has_name = new.profile is not None and new.profile.name is not None
            if has_name and (contact.profile is None or contact.profile.name is None):
                return [*contacts[:index], new, *contacts[index + 1 :]]
            return contacts
    return [*contacts, new]
