"""Acknowledgements first: work that can wait yields the event loop to webhooks waiting for
their commit.

A webhook is answered only once what it carries is committed, and Meta retries (and, past its
timeouts, disables) a webhook that answers slowly; what follows the commit (the fan-out with its
flow step, the AI's analysis) has no such deadline. All of it shares one event loop and two
cores. Measured in a burst (``bench/ingest.py``): once the fan-out kept pace with the webhooks,
it took half of the loop and the acknowledgements fell from 1,653/s to 827 to 881/s.

So the webhook writer reports how many requests wait for their commit (queued for a writer or
in the commit in flight), and each job claim loop, before it claims, waits until none does, for
at most ``most_seconds``. Bounded: under a
sustained burst the follow-up work still runs, in larger batches (cheaper per message), and a
reply is late by at most that bound per pass. Out of a burst nothing waits: a request is
handed to a writer at once and the counter is back to zero before the fan-out is woken.

The bound is 200 ms. Since the inbound stage stores what the webhooks carry, it is most of the
work a burst brings, and at 50 ms it still took a quarter of the loop during one: 3,594
acknowledgements/s against 5,037 at 200 ms (bench/ingest.py, one process, quiet machine), with
the acknowledgement's p99 at 1,000/s offered 22 and 25 ms. A 1 s bound was tried (session 16):
a burst's acknowledgements rose by a quarter (the stage stored one message in twelve while it
lasted instead of one in seven), but at 200 echoes/s (800 webhooks/s) the writer's count seldom
fell to zero and the replies waited for the bound: bench/echo.py fell behind (p50 540-850 ms)
where 200 ms sustains it (p50 125 ms, p99 399 ms).
"""

from __future__ import annotations

import asyncio
import contextlib


class AckPriority:
    def __init__(self, most_seconds: float = 0.2) -> None:
        self._most = most_seconds
        self._clear = asyncio.Event()
        self._clear.set()
        self.waits = 0
        """Claims that found acknowledgements waiting (for tests and the metrics)."""

    def waiting(self, requests: int) -> None:
        """The webhook writer's count of requests handed in and not yet answered."""
        if requests:
            self._clear.clear()
        else:
            self._clear.set()

    @property
    def holding(self) -> bool:
        """True while webhooks wait for their commit (claims wait)."""
        return not self._clear.is_set()

    async def wait(self) -> None:
        """Return once no webhook waits for its commit, or after ``most_seconds``."""
        if self._clear.is_set():
            return
        self.waits += 1
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._most):
                await self._clear.wait()
