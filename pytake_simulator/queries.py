"""What a test, the demo or a benchmark reads from a :class:`~pytake_simulator.Simulator`, and
the waits on it: never polling, each sleeps on the change signal every state change fires."""

from __future__ import annotations

from collections.abc import Callable

from pytake_simulator.batching import Batcher
from pytake_simulator.changes import Changes
from pytake_simulator.delivery import DeliveryEngine, DeliveryRecord
from pytake_simulator.state import InboundMessage, OutboundMessage, Store


class SimulatorQueries:
    """Mixed into :class:`~pytake_simulator.simulator.Simulator`, which sets these."""

    store: Store
    delivery: DeliveryEngine
    batcher: Batcher
    _changes: Changes

    # --- queries -------------------------------------------------------------------------------

    def outbound_messages(
        self, *, to: str | None = None, phone_number_id: str | None = None, since: int = 0
    ) -> list[OutboundMessage]:
        """What the business sent (accepted sends), oldest first; ``since`` is a ``seq``;
        ``to`` matches the customer's phone or BSUID."""
        return [
            m
            for m in self.store.outbound_log[since:]
            if (to is None or m.addressed_to(to))
            and (phone_number_id is None or m.phone_number_id == phone_number_id)
        ]

    def inbound_message(self, message_id: str) -> InboundMessage:
        return self.store.inbound[message_id]

    @property
    def deliveries(self) -> list[DeliveryRecord]:
        return self.delivery.records

    # --- waiting -------------------------------------------------------------------------------

    async def wait_for(
        self,
        condition: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - a default deadline, named in the error
        what: str = "a condition",
    ) -> None:
        await self._changes.wait_until(condition, timeout, what)

    async def wait_for_outbound(
        self,
        *,
        to: str | None = None,
        phone_number_id: str | None = None,
        count: int = 1,
        since: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109 - a default deadline, named in the error
    ) -> list[OutboundMessage]:
        """At least ``count`` messages sent by the business (to ``to``), after ``since``."""

        def enough() -> bool:
            return (
                len(self.outbound_messages(to=to, phone_number_id=phone_number_id, since=since))
                >= count
            )

        await self.wait_for(enough, timeout, f"{count} outbound message(s) to {to or 'anyone'}")
        return self.outbound_messages(to=to, phone_number_id=phone_number_id, since=since)

    async def wait_for_status(
        self,
        message_id: str,
        status: str,
        timeout: float = 5.0,  # noqa: ASYNC109 - a default deadline, named in the error
    ) -> OutboundMessage:
        """Until the business's message has had ``status`` (sent/delivered/read/failed)."""

        def reached() -> bool:
            message = self.store.outbound.get(message_id)
            return message is not None and message.has(status)

        await self.wait_for(reached, timeout, f"status {status} of {message_id}")
        return self.store.outbound[message_id]

    async def wait_acked(
        self,
        message_id: str,
        timeout: float = 5.0,  # noqa: ASYNC109 - a default deadline, named in the error
    ) -> InboundMessage:
        """Until a delivery carrying the customer's message got a 200."""

        def acked() -> bool:
            inbound = self.store.inbound.get(message_id)
            return inbound is not None and inbound.acked

        await self.wait_for(acked, timeout, f"a 200 for the delivery of {message_id}")
        return self.store.inbound[message_id]

    async def wait_settled(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - a default deadline, named in the error
    ) -> None:
        """Until every notification so far got its 200 or was given up on."""
        self.batcher.flush()
        await self.wait_for(
            lambda: self.delivery.pending() == 0, timeout, "all deliveries to settle"
        )
