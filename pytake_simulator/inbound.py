"""The customers' side: who they are and what they send (queued as ``messages`` webhooks).

Customers are found by phone or by a BSUID / parent BSUID the simulator gave out, so a test can
drive a customer whose phone the business never sees. Creating a customer by phone happens on
first use (as before 2026); :meth:`Inbound.create` makes one with chosen traits (a username, a
hidden phone, a parent BSUID) and tells the caller its ids.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from pytake_simulator.batching import PendingItem
from pytake_simulator.chatter import CHATTER_CUSTOMERS, chatter_message
from pytake_simulator.customer_messages import CustomerError, CustomerMessage
from pytake_simulator.customers import MessageFactory
from pytake_simulator.identity import username_for
from pytake_simulator.state import Customer, InboundMessage
from pytake_simulator.wire import Contact, Profile

if TYPE_CHECKING:
    from pytake_simulator.simulator import Simulator

# Customers made up by ``create`` without a phone: Brazilian mobiles, never a chatter or load one.
GENERATED_PREFIX = "5511977"


class Inbound:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.store = sim.store

    def resolve(self, key: str) -> Customer:
        """The customer for a phone (made on first use) or a known BSUID / parent BSUID."""
        customer = self.store.find_customer(key)
        if customer is None:
            raise CustomerError(f"no customer with the business-scoped user id {key}")
        return customer

    def create(
        self,
        *,
        wa_id: str | None = None,
        profile_name: str | None = None,
        username: str | None = None,
        phone_visible: bool | None = None,
        parent_user_id: bool | None = None,
    ) -> Customer:
        """A customer with the given traits (others from the configured shares); a phone is
        made up when none is given. An existing phone gets the traits changed."""
        if wa_id is None:
            wa_id = self._new_phone()
        customer = self.store.customer(wa_id, profile_name)
        self.update(
            customer, username=username, phone_visible=phone_visible, parent_user_id=parent_user_id
        )
        return customer

    def update(
        self,
        customer: Customer,
        *,
        username: str | None = None,
        phone_visible: bool | None = None,
        parent_user_id: bool | None = None,
    ) -> None:
        if username is not None:
            customer.username = username or None  # "" removes it
        if phone_visible is not None:
            customer.phone_visible = phone_visible
            # Meta withholds the phone only from users who adopted a username.
            if not phone_visible and customer.username is None:
                customer.username = username_for(customer.profile_name, customer.wa_id)
        if parent_user_id is not None and parent_user_id != customer.has_parent:
            customer.has_parent = parent_user_id
            self.store.identities.index(customer, customer.generation)
        self.sim.changed()

    def _new_phone(self) -> str:
        serial = len(self.store.customers) + 1
        while f"{GENERATED_PREFIX}{serial:06d}" in self.store.customers:
            serial += 1
        return f"{GENERATED_PREFIX}{serial:06d}"

    def send(self, key: str, request: CustomerMessage) -> str:
        """Queue a customer's message for delivery; returns its ``wamid``."""
        number = self.sim.number(request.phone_number_id)
        customer = self.resolve(key)
        if request.profile_name:
            customer.profile_name = request.profile_name
        wa_id = customer.wa_id  # before a number change moves the customer
        variants = self.sim.config.meta
        factory = MessageFactory(self.store, self.sim.clock.timestamp(), variants)
        message = factory.build(request, customer, number)
        customer.last_inbound[number.phone_number_id] = self.sim.clock.now()
        self.store.inbound[message.id] = InboundMessage(
            id=message.id,
            phone_number_id=number.phone_number_id,
            wa_id=wa_id,
            type=message.type,
            payload=message.wire(),
            created_at=time.monotonic(),
        )
        # System messages (identity changes) come without a contacts entry, as Meta sends them.
        contact = None
        if message.type != "system":
            contact = Contact(
                profile=Profile(name=customer.profile_name, username=customer.username),
                wa_id=wa_id if customer.phone_visible else None,
                user_id=message.from_user_id,
                parent_user_id=message.from_parent_user_id,
            )
        if request.origin == "contact_request":
            # The shared number goes into Meta's contact book: later webhooks show the phone.
            customer.phone_visible = True
        self.sim.notify(
            PendingItem(waba_id=number.waba_id, number=number, contact=contact, message=message)
        )
        self.sim.changed()
        return message.id

    def set(
        self,
        key: str,
        *,
        profile_name: str | None = None,
        on_whatsapp: bool | None = None,
        reads: bool | None = None,
        shares_phone: bool | None = None,
    ) -> Customer:
        customer = self.resolve(key)
        if profile_name:
            customer.profile_name = profile_name
        if on_whatsapp is not None:
            customer.on_whatsapp = on_whatsapp
        customer.reads = reads
        customer.shares_phone = shares_phone
        self.sim.changed()
        return customer

    async def chatter(self, rate: float) -> None:
        """Random customers write random things at ``rate`` messages/s (Poisson) until cancelled."""
        rng = self.sim.rng
        while True:
            await asyncio.sleep(rng.expovariate(rate))
            wa_id = rng.choice(CHATTER_CUSTOMERS)
            self.send(wa_id, chatter_message(rng, self.sim, wa_id))
