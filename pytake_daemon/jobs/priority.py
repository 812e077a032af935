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

A zero count did not mean the burst was over, though. Once a batch commits in one statement
(jobs.db.enqueue_jobs), the writer answers everything it holds, the count falls to zero and the
claim loops run before the senders' next requests arrive: in a burst the stage took its share
of the loop again, and acknowledgements fell from 4,540/s (session 15's code) to 3,719-3,828/s
(bench/ingest.py, alternated runs, same hour). So a deep queue is remembered: after
``QUEUE_DEPTH`` requests waited at once, the claims also wait out ``QUEUE_MEMORY`` with none
waiting (still within the bound). A steady rate never queues that deep: at 300 echoes/s (1,200
webhooks/s, near this machine's limit) replies were as prompt as without it (p50 241 ms, p99
431 ms, against 276 and 459), where a depth of 16 already held them (486 and 727 ms). A burst
does, and its acknowledgements rose to 5,322-5,489/s (ratio 0.40, against 0.28-0.29).

That queue also tells a burst from a steady rate, and a burst gets the longer bound the 1 s trial
wanted (``burst_seconds``): once a deep queue was seen, a claim waits up to 1 s, while a steady
rate keeps 200 ms. Interleaved bench/ingest.py runs (session 25, three each): ratio 0.42, 0.39
and 0.38 against 0.37, 0.33 and 0.33 with 200 ms for everything. bench/echo.py at 200 and
300/s was not held back (p50 at 200/s 55-70 ms against 61-114).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

QUEUE_DEPTH = 32
"""Requests waiting for their commit at once that mean webhooks queue behind the commits (a
burst), not a steady rate answered as it comes (one or a few in flight)."""
QUEUE_MEMORY = 0.02
"""After such a queue, how long claims still wait although the count fell to zero: a burst's
senders get their answers and send again within it."""


class AckPriority:
    def __init__(
        self,
        most_seconds: float = 0.2,
        *,
        burst_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._most = most_seconds
        self._burst = max(burst_seconds, most_seconds)
        self._clock = clock
        self._clear = asyncio.Event()
        self._clear.set()
        self._queued_until = float("-inf")
        self.waits = 0
        """Claims that found acknowledgements waiting (for tests and the metrics)."""

    def waiting(self, requests: int) -> None:
        """The webhook writer's count of requests handed in and not yet answered."""
        if requests:
            self._clear.clear()
            if requests >= QUEUE_DEPTH:
                self._queued_until = self._clock() + QUEUE_MEMORY
        else:
            self._clear.set()

    @property
    def holding(self) -> bool:
        """True while webhooks wait for their commit, or queued a moment ago (claims wait)."""
        return not self._clear.is_set() or self._clock() < self._queued_until

    async def wait(self) -> None:
        """Return once no webhook waits for its commit (nor queued within ``QUEUE_MEMORY``), or
        after ``most_seconds`` (``burst_seconds`` once webhooks queued deep meanwhile)."""
        if not self.holding:
            return
        self.waits += 1
        started = self._clock()
        bound = self._most
        while self.holding:
            if self._clock() < self._queued_until:
                bound = self._burst  # webhooks queue deep: a burst, not a steady rate
            left = started + bound - self._clock()
            if left <= 0:
                return
            if self._clear.is_set():
                # None waits now, but a queue did a moment ago: its senders are sending again.
                await asyncio.sleep(min(left, self._queued_until - self._clock()))
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(left):
                    await self._clear.wait()
