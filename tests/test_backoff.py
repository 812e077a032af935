"""Delays of durable retries come from tenacity's strategies (pytake_daemon/backoff.py)."""

from __future__ import annotations

from tenacity import wait_exponential, wait_exponential_jitter

from pytake_daemon.backoff import delay


def test_the_nth_try_waits_what_the_strategy_says() -> None:
    # The queue distributor's waits while another pass holds an agent.
    contended = wait_exponential(multiplier=0.01, max=0.32)
    assert [delay(contended, n) for n in range(1, 8)] == [
        0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.32,
    ]  # fmt: skip
    # A jittered strategy stays within its bounds at every try.
    jittered = wait_exponential_jitter(initial=1, max=60, jitter=1)
    for n in range(1, 12):
        assert min(2 ** (n - 1), 60) <= delay(jittered, n) <= min(2 ** (n - 1) + 1, 60)
