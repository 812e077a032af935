"""What the control API shows: outbound messages, deliveries, inbound messages, stats."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from pydantic import BaseModel

from pytake_simulator.wire import WebhookError

if TYPE_CHECKING:
    from pytake_simulator.delivery import DeliveryRecord
    from pytake_simulator.simulator import Simulator
    from pytake_simulator.state import Customer, InboundMessage, OutboundMessage


class StatusView(BaseModel):
    status: str
    timestamp: str
    errors: list[WebhookError] = []


class OutboundView(BaseModel):
    seq: int
    id: str
    phone_number_id: str
    to: str
    type: str
    text: str | None
    template: str | None
    status: str
    body: dict[str, Any]
    statuses: list[StatusView]
    # What the business wrote in ``to`` or ``recipient``; "phone" or "user_id"; the customer's
    # BSUID at send time; true for a BSUID given in ``to`` (Meta drops it: no status ever).
    recipient: str
    addressed_by: str
    user_id: str | None
    dropped: bool

    @classmethod
    def of(cls, message: OutboundMessage) -> OutboundView:
        return cls(
            seq=message.seq,
            id=message.id,
            phone_number_id=message.phone_number_id,
            to=message.to,
            type=message.type,
            text=message.text,
            template=message.template_name,
            status=message.status,
            body=message.body,
            statuses=[
                StatusView(status=s.status, timestamp=s.timestamp, errors=list(s.errors))
                for s in message.statuses
            ],
            recipient=message.recipient,
            addressed_by=message.addressed_by,
            user_id=message.user_id,
            dropped=message.dropped,
        )


class OutboundList(BaseModel):
    data: list[OutboundView]
    # The seq of the last message returned: pass it back as ``since`` to get only newer ones.
    cursor: int


class AttemptView(BaseModel):
    number: int
    started_at: float
    duration_ms: float
    status: int | None
    error: str | None


class DeliveryView(BaseModel):
    id: int
    state: str
    fields: list[str]
    message_ids: list[str]
    statuses: list[tuple[str, str]]
    duplicate_of: int | None
    attempts: list[AttemptView]
    acked_at: float | None  # wall clock: when the 200 came back
    ack_latency_ms: float | None
    body: Any = None

    @classmethod
    def of(cls, record: DeliveryRecord, *, with_body: bool = False) -> DeliveryView:
        latency = record.ack_latency
        return cls(
            id=record.id,
            state=record.state,
            fields=list(record.fields),
            message_ids=list(record.message_ids),
            statuses=list(record.statuses),
            duplicate_of=record.duplicate_of,
            attempts=[
                AttemptView(
                    number=a.number,
                    started_at=a.started_at,
                    duration_ms=round(a.duration_ms, 3),
                    status=a.status,
                    error=a.error,
                )
                for a in record.attempts
            ],
            acked_at=(
                record.attempts[-1].started_at + record.attempts[-1].duration_ms / 1000
                if record.acked_at is not None
                else None
            ),
            ack_latency_ms=None if latency is None else round(latency * 1000, 3),
            body=orjson.loads(record.body) if with_body else None,
        )


class InboundView(BaseModel):
    id: str
    phone_number_id: str
    wa_id: str
    type: str
    acked: bool
    delivery_ids: list[int]
    read_by_business: bool
    payload: dict[str, Any]

    @classmethod
    def of(cls, message: InboundMessage) -> InboundView:
        return cls(
            id=message.id,
            phone_number_id=message.phone_number_id,
            wa_id=message.wa_id,
            type=message.type,
            acked=message.acked,
            delivery_ids=message.delivery_ids,
            read_by_business=message.read_by_business,
            payload=message.payload,
        )


class CustomerView(BaseModel):
    """A simulated customer as the control API shows it (``user_id`` is for the default
    number's WABA; ``user_ids`` has one per WABA)."""

    wa_id: str
    profile_name: str
    username: str | None
    phone_visible: bool
    user_id: str
    user_ids: dict[str, str]
    parent_user_id: str | None
    on_whatsapp: bool
    reads: bool | None
    shares_phone: bool | None

    @classmethod
    def of(cls, customer: Customer, default_waba_id: str) -> CustomerView:
        return cls(
            wa_id=customer.wa_id,
            profile_name=customer.profile_name,
            username=customer.username,
            phone_visible=customer.phone_visible,
            user_id=customer.user_id(default_waba_id),
            user_ids=dict(customer.user_ids),
            parent_user_id=customer.parent_user_id,
            on_whatsapp=customer.on_whatsapp,
            reads=customer.reads,
            shares_phone=customer.shares_phone,
        )


class SimStats(BaseModel):
    inbound_messages: int
    inbound_acked: int
    outbound_messages: int
    outbound_by_status: dict[str, int]
    rejected_by_code: dict[str, int]
    deliveries: int
    deliveries_acked: int
    deliveries_pending: int
    deliveries_given_up: int
    deliveries_retried: int
    delivery_attempts: int
    duplicates: int

    @classmethod
    def collect(cls, sim: Simulator) -> SimStats:
        store = sim.store
        by_status: dict[str, int] = {}
        for message in store.outbound_log:
            by_status[message.status] = by_status.get(message.status, 0) + 1
        records = sim.delivery.records
        return cls(
            inbound_messages=len(store.inbound),
            inbound_acked=sum(1 for m in store.inbound.values() if m.acked),
            outbound_messages=len(store.outbound_log),
            outbound_by_status=by_status,
            rejected_by_code={str(code): n for code, n in sorted(store.rejections.items())},
            deliveries=len(records),
            deliveries_acked=sum(1 for r in records if r.acked_at is not None),
            deliveries_pending=sum(1 for r in records if not r.settled),
            deliveries_given_up=sum(1 for r in records if r.gave_up),
            deliveries_retried=sum(1 for r in records if len(r.attempts) > 1),
            delivery_attempts=sum(len(r.attempts) for r in records),
            duplicates=sum(1 for r in records if r.duplicate_of is not None),
        )
