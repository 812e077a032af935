"""The maintenance watch (pytake_daemon/backups/maintenance.py) stops wherever its stop lands.

Its poll is a Redis ``GET`` whose errors it ignores (a Redis blip must not end a restore's
protection). A cancellation landing inside redis-py's command can come out as a ``RedisError``
(Python 3.11's ``wait_for``): before ``Loops`` checked for it, that turned the cancellation into
one more poll and a test's app that never closed. The stop is tried at every event-loop turn of
the first polls, through ``Loops`` as the daemon runs it, on the real Redis with the daemon's
client options, so the command is caught in each of its awaits.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest
from redis.asyncio import Redis

from pytake_daemon.backups import maintenance
from pytake_daemon.backups.maintenance import MaintenanceWatch
from pytake_daemon.config import Settings
from pytake_daemon.loops import Loops
from tests.private_stack import until

# Enough turns for several whole polls on a quiet machine (a GET takes a dozen turns), so
# every await of the command is hit.
_TURNS = 80


async def _stopped(task: asyncio.Task[None]) -> bool:
    """Cancel ``task`` as ``backups_ctx`` does; whether it ended within 10 s."""

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    # A task of its own: a stop that never returns fails the test instead of hanging it.
    stopping = asyncio.create_task(stop())
    await asyncio.wait([stopping], timeout=10)
    done = task.done()
    stopping.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await stopping
    return done


async def test_the_watch_stops_at_every_turn_of_its_poll(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert settings.redis.url is not None
    monkeypatch.setattr(maintenance, "POLL_SECONDS", 0)  # poll back to back: more awaits to hit
    # The options of the daemon's client (backing.redis_ctx): the read timeout is what puts
    # redis-py's reads under a timeout that can take the cancellation.
    client = Redis.from_url(
        settings.redis.url.get_secret_value(),
        socket_timeout=5,
        socket_connect_timeout=2,
        health_check_interval=10,
    )
    prefix = f"test-watch-{uuid.uuid4().hex[:8]}:"
    loops = Loops()
    try:
        await client.set(maintenance.flag_key(prefix), "restoring", ex=60)
        for turns in range(_TURNS):
            watch = MaintenanceWatch(client, prefix)
            task = loops.start("maintenance-watch", watch.watch_pass, deadline=30)
            for _ in range(turns):
                await asyncio.sleep(0)
            assert await _stopped(task), f"the watch went on after a stop at turn {turns}"
        # And once a poll has read the flag (how many turns that takes depends on the load).
        watch = MaintenanceWatch(client, prefix)
        task = loops.start("maintenance-watch", watch.watch_pass, deadline=30)
        await until(lambda: watch.reason == "restoring", 10, "a poll to read the flag")
        assert await _stopped(task), "the watch went on after a stop once it had polled"
    finally:
        await client.delete(maintenance.flag_key(prefix))
        await client.aclose()
