"""What the simulated Meta remembers: numbers, customers, messages, media, templates, limits."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pytake_simulator.config import NumberConfig, SimulatorConfig
from pytake_simulator.identity import Identities, is_user_id
from pytake_simulator.template_seeds import seed_templates
from pytake_simulator.templates import TemplateDefinition
from pytake_simulator.wire import WebhookError

WINDOW_SECONDS = 24 * 3600
STATUS_RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}


@dataclass
class TokenBucket:
    """``capacity`` requests at once, refilled at ``rate`` per second (monotonic time)."""

    rate: float
    capacity: float
    tokens: float = -1.0
    updated: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.capacity

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass
class Number:
    config: NumberConfig
    throughput: TokenBucket
    # Meta's view of the number, changed by ``Simulator.set_number_quality`` (number_quality.py).
    quality_rating: str = "GREEN"
    messaging_limit: str = "TIER_1K"

    @property
    def id(self) -> str:
        return self.config.phone_number_id

    @property
    def waba_id(self) -> str:
        return self.config.waba_id


@dataclass
class Customer:
    wa_id: str
    profile_name: str
    on_whatsapp: bool = True
    # None: read per the configured probability; True/False: always/never read by themselves.
    reads: bool | None = None
    # phone_number_id → wall-clock time of this customer's last message to that number.
    last_inbound: dict[str, float] = field(default_factory=dict)
    # 2026 identity (see identity.py): a BSUID per WABA, maybe a parent BSUID and a username,
    # and whether webhooks may show the phone (``wa_id``/``from``).
    user_ids: dict[str, str] = field(default_factory=dict)
    parent_user_id: str | None = None
    has_parent: bool = False
    username: str | None = None
    phone_visible: bool = True
    generation: int = 0
    # None: follow ``customers.answer_contact_requests``; True/False: always/never share.
    shares_phone: bool | None = None

    def user_id(self, waba_id: str) -> str:
        return self.user_ids[waba_id]

    def in_window(self, phone_number_id: str, now: float) -> bool:
        last = self.last_inbound.get(phone_number_id)
        return last is not None and now - last < WINDOW_SECONDS


@dataclass(frozen=True)
class StatusEntry:
    status: str
    timestamp: str
    errors: tuple[WebhookError, ...] = ()


@dataclass
class OutboundMessage:
    """A message the business sent through ``POST /messages`` and Meta accepted."""

    seq: int
    id: str
    phone_number_id: str
    to: str  # the customer's phone (the simulator's key), whichever way it was addressed
    type: str
    body: dict[str, Any]
    accepted_at: float
    pricing_category: str
    billable: bool
    statuses: list[StatusEntry] = field(default_factory=list)
    # What the business put in ``to`` or ``recipient``, and which of the two it used.
    recipient: str = ""
    addressed_by: str = "phone"  # "phone" | "user_id"
    user_id: str | None = None  # the customer's BSUID for this number's WABA, at send time
    # A BSUID in ``to``: Meta answers 200 and drops the message (no status ever comes).
    dropped: bool = False
    # Monotonic, like InboundMessage.created_at: reply latencies don't follow clock advances.
    received_at: float = field(default_factory=time.monotonic)

    @property
    def status(self) -> str:
        """The furthest status reached ("accepted" before any webhook)."""
        if not self.statuses:
            return "accepted"
        return max(self.statuses, key=lambda s: STATUS_RANK[s.status]).status

    def has(self, status: str) -> bool:
        return any(s.status == status for s in self.statuses)

    def addressed_to(self, key: str) -> bool:
        """Sent to this customer, given as phone, BSUID or what the business wrote."""
        return key in (self.to, self.user_id, self.recipient)

    @property
    def text(self) -> str | None:
        """What the customer would read first: a text body, a caption, an interactive body."""
        payload = self.body.get(self.type)
        if not isinstance(payload, dict):
            return None
        if self.type == "text":
            return _str(payload.get("body"))
        if self.type == "interactive":
            body = payload.get("body")
            return _str(body.get("text")) if isinstance(body, dict) else None
        return _str(payload.get("caption"))

    @property
    def template_name(self) -> str | None:
        template = self.body.get("template")
        return _str(template.get("name")) if isinstance(template, dict) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass
class InboundMessage:
    """A message a simulated customer sent, and what became of its webhook deliveries."""

    id: str
    phone_number_id: str
    wa_id: str
    type: str
    payload: dict[str, Any]
    created_at: float  # monotonic, for ack latency
    delivery_ids: list[int] = field(default_factory=list)
    acked_at: float | None = None  # monotonic
    read_by_business: bool = False
    typing_indicator: bool = False

    @property
    def acked(self) -> bool:
        return self.acked_at is not None


@dataclass
class MediaObject:
    id: str
    data: bytes
    mime_type: str
    sha256: str  # hex, as GET /{media-id} returns it
    phone_number_id: str
    filename: str | None = None

    @property
    def file_size(self) -> int:
        return len(self.data)


@dataclass
class TemplateRecord:
    id: str
    waba_id: str
    definition: TemplateDefinition

    @property
    def key(self) -> tuple[str, str]:
        return (self.definition.name, self.definition.language)


class Store:
    """Everything the simulator remembers, indexed the ways the Graph API looks things up."""

    def __init__(self, config: SimulatorConfig, new_id: Callable[[], str]) -> None:
        self.config = config
        self.numbers: dict[str, Number] = {
            n.phone_number_id: Number(
                n, TokenBucket(n.throughput_mps, n.throughput_mps), quality_rating=n.quality_rating
            )
            for n in config.numbers
        }
        self.customers: dict[str, Customer] = {}
        self.identities = Identities(
            config.customers, sorted({n.waba_id for n in config.numbers}), config.seed
        )
        self.outbound: dict[str, OutboundMessage] = {}
        self.outbound_log: list[OutboundMessage] = []
        self.inbound: dict[str, InboundMessage] = {}
        self.media: dict[str, MediaObject] = {}
        self.templates: dict[str, list[TemplateRecord]] = {}
        self.deleted_templates: dict[tuple[str, str, str], float] = {}
        """``(waba, name, language)`` → when it was deleted (Meta blocks its reuse a while)."""
        self.pair_buckets: dict[tuple[str, str], TokenBucket] = {}
        self.rejections: dict[int, int] = {}
        for number in config.numbers:
            records = self.templates.setdefault(number.waba_id, [])
            seeds = seed_templates() if number.seed_templates else []
            for definition in [*seeds, *config.templates]:
                if definition.waba_id not in (None, number.waba_id):
                    continue
                record = TemplateRecord(new_id(), number.waba_id, definition)
                if all(r.key != record.key for r in records):
                    records.append(record)

    def wabas(self) -> set[str]:
        return {n.waba_id for n in self.numbers.values()}

    def numbers_for_token(self, token: str) -> list[Number]:
        return [n for n in self.numbers.values() if n.config.access_token == token]

    def customer(self, wa_id: str, profile_name: str | None = None) -> Customer:
        customer = self.customers.get(wa_id)
        if customer is None:
            customer = Customer(
                wa_id=wa_id,
                profile_name=profile_name or default_profile_name(wa_id),
                on_whatsapp=self.config.customers.on_whatsapp(wa_id),
            )
            self.identities.assign(customer)
            self.customers[wa_id] = customer
        elif profile_name:
            customer.profile_name = profile_name
        return customer

    def find_customer(self, key: str) -> Customer | None:
        """A customer by phone (created on first use) or by BSUID / parent BSUID (known only)."""
        if is_user_id(key):
            return self.identities.find(key)
        return self.customer(key)

    def change_number(self, customer: Customer, new_wa_id: str) -> None:
        """The customer moved to another phone: Meta gives them new BSUIDs."""
        self.identities.retire(customer)
        self.customers.pop(customer.wa_id, None)
        customer.wa_id = new_wa_id
        self.customers[new_wa_id] = customer
        self.identities.index(customer, customer.generation + 1)

    def change_user_id(self, customer: Customer) -> None:
        """Only the BSUID changed (Meta's ``user_changed_user_id``)."""
        self.identities.retire(customer)
        self.identities.index(customer, customer.generation + 1)

    def pair_bucket(self, phone_number_id: str, wa_id: str) -> TokenBucket:
        key = (phone_number_id, wa_id)
        bucket = self.pair_buckets.get(key)
        if bucket is None:
            limit = self.config.pair_rate_limit
            bucket = TokenBucket(1.0 / limit.interval, float(limit.burst))
            self.pair_buckets[key] = bucket
        return bucket

    def template(self, waba_id: str, name: str, language: str) -> TemplateRecord | None:
        return next((r for r in self.templates.get(waba_id, []) if r.key == (name, language)), None)

    def template_by_id(self, template_id: str) -> TemplateRecord | None:
        for records in self.templates.values():
            for record in records:
                if record.id == template_id:
                    return record
        return None

    def last_outbound(
        self, phone_number_id: str, wa_id: str, kind: str | None = None
    ) -> OutboundMessage | None:
        for message in reversed(self.outbound_log):
            if (
                message.phone_number_id == phone_number_id
                and message.to == wa_id
                and kind in (None, message.type)
            ):
                return message
        return None


_FIRST_NAMES = ["Ana", "Bruno", "Carla", "Diego", "Elena", "Farid", "Grace", "Hugo", "Inês", "João"]
_LAST_NAMES = ["Silva", "Okafor", "Tanaka", "Müller", "García", "Kowalski", "Nguyen", "Rossi"]


def default_profile_name(wa_id: str) -> str:
    """A stable, human-looking WhatsApp profile name for a number nobody named."""
    seed = int(wa_id[-6:] or "0") if wa_id[-6:].isdigit() else len(wa_id)
    return f"{_FIRST_NAMES[seed % len(_FIRST_NAMES)]} {_LAST_NAMES[seed // 7 % len(_LAST_NAMES)]}"
