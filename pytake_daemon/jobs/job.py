"""A durable job as its handler sees it, and the handlers' signatures (jobs/runner.py runs
them)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

_RETRYING_ALONE: ContextVar[bool] = ContextVar("pytake_job_retrying_alone", default=False)


def retrying_alone() -> bool:
    """True while a batch handler runs a job again on its own after its batch failed.

    A handler whose items are isolated by savepoints (the flows' steps in the ingest fan-out)
    can skip them on the first, optimistic try: two round trips an item. The first failure
    rolls the batch back and each job comes back here with this set, isolating its items.
    """
    return _RETRYING_ALONE.get()


@contextmanager
def retried_alone() -> Iterator[None]:
    """Within: ``retrying_alone()`` is True (the runner's retry of a failed batch's jobs)."""
    token = _RETRYING_ALONE.set(True)
    try:
        yield
    finally:
        _RETRYING_ALONE.reset(token)


@dataclass(frozen=True)
class Job:
    id: int
    tenant_id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    attempts: int
    lease_ends: float = field(default=float("-inf"), compare=False)
    """Event-loop time before which this process's claim surely still holds (never, unless
    claimed by a runner): until then only this process may release or delete the row."""


JobHandler = Callable[[Job], Awaitable[None]]
BatchHandler = Callable[[uuid.UUID, list[Job]], Awaitable[None]]
"""Called with a tenant and its claimed jobs of one kind, oldest first."""
