"""The delay before a retry, from tenacity's wait strategies.

Where a retry is a row rescheduled (a job, an outbox send, a webhook delivery) or a pass tried
again on the next turn of a loop, rather than a call wrapped in tenacity's retrying loop, the
code needs only the delay of the n-th try: this gives it from the same strategies, so every
backoff in the daemon comes from one library.
"""

from __future__ import annotations

from tenacity import RetryCallState, Retrying
from tenacity.wait import WaitBaseT


def delay(wait: WaitBaseT, attempt: int) -> float:
    """Seconds ``wait`` puts after try number ``attempt`` (the first try is 1)."""
    state = RetryCallState(Retrying(), None, (), {})
    state.attempt_number = attempt
    return float(wait(state))
