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

The bound is 1 s. Since the inbound stage stores what the webhooks carry, it is most of the
work a burst brings, and at 50 ms it still took a quarter of the loop during one: 3,594
acknowledgements/s against 5,037 at 200 ms (bench/ingest.py, one process, quiet machine). At
200 ms a burst of 64 clients still let the stage store one message in seven while it lasted, at
0.8 ms of CPU each; at 1 s, one in twelve: in three alternated runs on one machine, 2,996 ·
4,071 · 4,572 acknowledgements/s against 2,331 · 2,355 · 3,205, with 0.17-0.26 ms of daemon
CPU per acknowledgement against 0.25-0.35, and the same drain after the burst (9.6-12.1 s
against 11.2-11.9 s: the work is the same, done later in bigger batches). Below saturation the
bound is never reached: the writer's count falls to zero between commits, and the loops go on
at once.
"""

from __future__ import annotations

import asyncio
import contextlib


class AckPriority:
    def __init__(self, most_seconds: float = 1.0) -> None:
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
