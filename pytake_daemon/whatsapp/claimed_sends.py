"""A claimed outbox row, and the writes that settle one Meta didn't take, retried while the
database is away.

A PostgreSQL restart between the claim and such a write (a throttled row given back, a refusal
rescheduled, a failure recorded) once left the row leased for its whole 60 s lease: a reply
waited a minute after the database was back (tests/replicas, issue 16). Retrying is safe only
while this process's claim holds: past it the row may be another sender's.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import asyncpg
import structlog
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential_jitter

from pytake_daemon.db.pool import Connection, Pool, tenant_transaction

log = structlog.get_logger("pytake.whatsapp")

LEASE_SECONDS = 60.0
# The share of the lease this process trusts its claim for (the claim's round trip, clocks).
_LEASE_TRUST = 0.8
# What a database that is away (restarting, unreachable, a connection lost mid-use) raises.
# asyncpg's InternalClientError too ("cannot switch to state 15"): what a connection lost in the
# middle of an operation raised during a PostgreSQL restart. Not retried, an accepted send's
# recording was given up and the message sent again when its lease ran out.
DATABASE_TROUBLE = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
    TimeoutError,
)
# Between tries: short, so a reply leaves soon after the database is back.
_WAIT = wait_exponential_jitter(multiplier=0.05, max=1.0, jitter=0.05)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Claimed:
    """A claimed outbox row and the event-loop time until which this process's claim surely
    holds (until then only this process writes to the row)."""

    row: asyncpg.Record
    holds_until: float


def claim_holds_until() -> float:
    """Taken before a claim, a margin short of the lease: the rows' ``locked_until`` is later."""
    return asyncio.get_running_loop().time() + LEASE_SECONDS * _LEASE_TRUST


async def settle(pool: Pool, claimed: Claimed, write: Callable[[Connection], Awaitable[T]]) -> T:
    """Run ``write`` on the claimed row in its tenant's transaction, retried while the database
    is away and the claim holds; given up, the row comes back when its lease runs out.

    Only for rows Meta didn't take: a send Meta accepted is only ever recorded, never re-sent
    (``Sender._record_acceptance``). A cancellation is never retried (tenacity retries only the
    exceptions named), so a stopping sender stops at once.
    """
    tenant_id: uuid.UUID = claimed.row["tenant_id"]
    loop = asyncio.get_running_loop()
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(DATABASE_TROUBLE),
        wait=_WAIT,
        stop=lambda state: loop.time() + state.upcoming_sleep >= claimed.holds_until,
        before_sleep=lambda state: _log_unsettled(claimed, state),
        reraise=True,
    ):
        with attempt:
            async with tenant_transaction(pool, tenant_id) as conn:
                return await write(conn)
    raise AssertionError("unreachable: tenacity returns or raises")


def _log_unsettled(claimed: Claimed, state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome is not None else None
    log.warning(
        "claimed send not settled yet (database away); retrying",
        message_id=str(claimed.row["message_id"]),
        retry_in=round(state.upcoming_sleep, 3),
        error=f"{type(exc).__name__}: {exc}",
    )
