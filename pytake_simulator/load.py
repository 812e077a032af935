"""Load mode: many customers writing at a fixed rate, then a report of what the receiver did.

The generator is open-loop: message *i* is due at ``start + i / rate`` whatever happened to the
previous ones, so a slow receiver shows up as growing ack latency and retries rather than as a
lower offered rate (the mistake closed-loop generators make). Sending only queues the message;
the delivery worker posts it, which is the same path every other webhook takes.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from pytake_simulator.customer_messages import CustomerMessage

if TYPE_CHECKING:
    from pytake_simulator.simulator import Simulator
    from pytake_simulator.state import InboundMessage, OutboundMessage

LOAD_PREFIX = "1999"  # load customers are 1999 + 7 digits: never a configured or demo number


class LoadSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customers: int = Field(10, ge=1, le=10_000_000)
    rate: float = Field(10.0, gt=0)
    duration: float = Field(5.0, gt=0)
    message_type: Literal["text", "image", "location", "reaction"] = "text"
    phone_number_id: str | None = None
    # After sending, wait this long at most for deliveries to settle (and replies, below).
    drain_timeout: float = Field(30.0, ge=0)
    # Wait for one outbound reply per inbound message (an echo bot, or the daemon's auto-reply).
    expect_replies: bool = False


class Percentiles(BaseModel):
    p50: float | None
    p90: float | None
    p99: float | None
    max: float | None


class LoadReport(BaseModel):
    spec: LoadSpec
    elapsed: float
    offered_rate: float
    sent: int
    acknowledged: int
    unacknowledged: int
    deliveries: int
    retried_deliveries: int
    failed_deliveries: int
    delivery_attempts: int
    ack_latency_ms: Percentiles
    max_schedule_lag_ms: float
    outbound_received: int
    outbound_statuses: dict[str, int]
    outbound_rejected: dict[str, int]
    reply_latency_ms: Percentiles
    """Each customer's n-th reply paired with their n-th message: message sent to reply
    accepted by the Graph API (only meaningful with one reply per message, e.g. an echo)."""

    def lines(self) -> list[str]:
        latency = self.ack_latency_ms
        fmt = "{:.1f}".format

        def ms(value: float | None) -> str:
            return "-" if value is None else fmt(value)

        statuses = ", ".join(f"{k} {v}" for k, v in sorted(self.outbound_statuses.items()))
        rejected = ", ".join(f"{k}: {v}" for k, v in sorted(self.outbound_rejected.items()))
        return [
            f"customers {self.spec.customers}, rate {self.spec.rate:g}/s, "
            f"duration {self.spec.duration:g}s (offered {self.offered_rate:.1f}/s, "
            f"max scheduler lag {self.max_schedule_lag_ms:.1f} ms)",
            f"sent {self.sent}, acknowledged {self.acknowledged}, "
            f"unacknowledged {self.unacknowledged}",
            f"deliveries {self.deliveries}, retried {self.retried_deliveries}, "
            f"failed {self.failed_deliveries}, attempts {self.delivery_attempts}",
            f"ack latency ms p50 {ms(latency.p50)}, p90 {ms(latency.p90)}, "
            f"p99 {ms(latency.p99)}, max {ms(latency.max)}",
            f"outbound received {self.outbound_received}"
            + (f" ({statuses})" if statuses else "")
            + (f", rejected {rejected}" if rejected else ""),
            f"reply latency ms p50 {ms(self.reply_latency_ms.p50)}, "
            f"p90 {ms(self.reply_latency_ms.p90)}, p99 {ms(self.reply_latency_ms.p99)}",
        ]


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def load_customer(index: int) -> str:
    return f"{LOAD_PREFIX}{index:07d}"


def _message(spec: LoadSpec, index: int) -> CustomerMessage:
    body: dict[str, object] = {"type": spec.message_type, "phone_number_id": spec.phone_number_id}
    if spec.message_type == "text":
        body["text"] = {"body": f"load message {index}"}
    elif spec.message_type == "location":
        body["location"] = {"latitude": 38.7223, "longitude": -9.1393}
    elif spec.message_type == "reaction":
        body["reaction"] = {"emoji": "👍", "message_id": f"wamid.load{index}"}
    return CustomerMessage.model_validate(body)


async def run_load(sim: Simulator, spec: LoadSpec) -> LoadReport:
    loop = asyncio.get_running_loop()
    total = max(1, int(spec.rate * spec.duration))
    first_seq = len(sim.store.outbound_log)
    rejected_before = dict(sim.store.rejections)
    first_delivery = len(sim.delivery.records)
    message_ids: list[str] = []
    customers: set[str] = set()
    lag = 0.0
    started = loop.time()
    wall_started = time.monotonic()
    for index in range(total):
        due = started + index / spec.rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        lag = max(lag, loop.time() - due)
        wa_id = load_customer(index % spec.customers)
        customers.add(wa_id)
        message_ids.append(sim.customer_send(wa_id, _message(spec, index)))
    send_elapsed = loop.time() - started

    def settled() -> bool:
        return sim.delivery.pending() == 0

    scanned = [first_seq, 0]  # next outbound index to look at, replies counted so far

    def replied() -> bool:
        log = sim.store.outbound_log
        while scanned[0] < len(log):
            scanned[1] += log[scanned[0]].to in customers
            scanned[0] += 1
        return scanned[1] >= total

    sim.batcher.flush()
    deadline = loop.time() + spec.drain_timeout
    for condition, what in ((settled, "deliveries"), (replied, "replies")):
        if what == "replies" and not spec.expect_replies:
            continue
        remaining = deadline - loop.time()
        with contextlib.suppress(TimeoutError):  # the report says what didn't happen
            await sim.wait_for(condition, max(remaining, 0.0), what)
    return _report(
        sim,
        spec,
        message_ids,
        customers,
        first_seq,
        first_delivery,
        rejected_before,
        elapsed=time.monotonic() - wall_started,
        send_elapsed=send_elapsed,
        lag=lag,
    )


def _report(
    sim: Simulator,
    spec: LoadSpec,
    message_ids: list[str],
    customers: set[str],
    first_seq: int,
    first_delivery: int,
    rejected_before: dict[int, int],
    *,
    elapsed: float,
    send_elapsed: float,
    lag: float,
) -> LoadReport:
    inbound = [sim.store.inbound[m] for m in message_ids]
    latencies = sorted(
        (m.acked_at - m.created_at) * 1000 for m in inbound if m.acked_at is not None
    )
    records = [
        r for r in sim.delivery.records[first_delivery:] if set(r.message_ids) & set(message_ids)
    ]
    outbound = [m for m in sim.store.outbound_log[first_seq:] if m.to in customers]
    statuses: dict[str, int] = {}
    for message in outbound:
        statuses[message.status] = statuses.get(message.status, 0) + 1
    rejected = {
        str(code): count - rejected_before.get(code, 0)
        for code, count in sim.store.rejections.items()
        if count > rejected_before.get(code, 0)
    }
    replies = _reply_latencies(inbound, outbound)
    return LoadReport(
        spec=spec,
        elapsed=elapsed,
        # n messages spaced 1/rate apart take (n-1)/rate: add the last interval back.
        offered_rate=len(message_ids) / (send_elapsed + 1 / spec.rate),
        sent=len(message_ids),
        acknowledged=len(latencies),
        unacknowledged=len(message_ids) - len(latencies),
        deliveries=len(records),
        retried_deliveries=sum(1 for r in records if len(r.attempts) > 1),
        failed_deliveries=sum(1 for r in records if r.gave_up or not r.settled),
        delivery_attempts=sum(len(r.attempts) for r in records),
        ack_latency_ms=Percentiles(
            p50=percentile(latencies, 0.50),
            p90=percentile(latencies, 0.90),
            p99=percentile(latencies, 0.99),
            max=latencies[-1] if latencies else None,
        ),
        max_schedule_lag_ms=lag * 1000,
        outbound_received=len(outbound),
        outbound_statuses=statuses,
        outbound_rejected=rejected,
        reply_latency_ms=Percentiles(
            p50=percentile(replies, 0.50),
            p90=percentile(replies, 0.90),
            p99=percentile(replies, 0.99),
            max=replies[-1] if replies else None,
        ),
    )


def _reply_latencies(inbound: list[InboundMessage], outbound: list[OutboundMessage]) -> list[float]:
    """Milliseconds from each customer message to the reply that answered it, in order."""
    asked: dict[str, list[float]] = {}
    for message in sorted(inbound, key=lambda m: m.created_at):
        asked.setdefault(message.wa_id, []).append(message.created_at)
    answered: dict[str, int] = {}
    latencies = []
    for reply in sorted(outbound, key=lambda m: m.received_at):
        n = answered.get(reply.to, 0)
        questions = asked.get(reply.to, [])
        if n < len(questions):
            latencies.append((reply.received_at - questions[n]) * 1000)
            answered[reply.to] = n + 1
    return sorted(latencies)
