"""Send pacing (whatsapp/throttle.py) on the session's real Redis: GCRA per bucket, and the slots
asked for in one event-loop turn booked in one script call, in the order asked."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from pytake_daemon.config import Settings
from pytake_daemon.whatsapp.throttle import Throttle


@pytest.fixture
def throttle(redis: Redis) -> Throttle:
    return Throttle(redis, prefix=f"test-throttle-{uuid.uuid4().hex[:8]}:")


async def test_slots_asked_together_are_booked_in_one_call_in_order(throttle: Throttle) -> None:
    # 1 a second with a burst of 3: three granted now, the next ones told to wait longer and
    # longer; another bucket is not affected.
    asks = [throttle.acquire("number:a", per_second=1, burst=3) for _ in range(5)]
    other = throttle.acquire("number:b", per_second=1, burst=3)
    waits = await asyncio.gather(*asks, other)
    assert throttle.calls == 1
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert 0 < waits[3] <= 1.0
    assert waits[4] == waits[3]  # refused slots book nothing: both wait for the same one
    assert waits[5] == 0.0


async def test_asks_in_later_turns_are_later_calls(throttle: Throttle) -> None:
    first = await throttle.acquire("number:a", per_second=100, burst=1)
    second = await throttle.acquire("number:a", per_second=100, burst=1)
    assert throttle.calls == 2
    assert first == 0.0
    assert 0 < second <= 0.01


async def test_redis_away_fails_every_ask_of_the_call(settings: Settings) -> None:
    closed = Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=1)  # discard port
    try:
        throttle = Throttle(closed, prefix="test-throttle-away:")
        results = await asyncio.gather(
            throttle.acquire("number:a", per_second=1, burst=1),
            throttle.acquire("number:b", per_second=1, burst=1),
            return_exceptions=True,
        )
    finally:
        await closed.aclose()
    assert throttle.calls == 1
    assert all(isinstance(r, RedisConnectionError) for r in results), results
