"""Wake-ups across processes (pytake_daemon/wakeups.py) on the session's real Redis: what a web
process rings in one event-loop turn reaches the jobs process's bells as one message."""

from __future__ import annotations

import asyncio
import uuid

from redis.asyncio import Redis

from pytake_daemon.config import Settings
from pytake_daemon.loops import Loops
from pytake_daemon.wakeups import Wakeups


async def test_bells_rung_together_arrive_as_one_message(redis: Redis, settings: Settings) -> None:
    assert settings.redis.url is not None
    channel = f"pytake-wakeups-test-{uuid.uuid4().hex[:8]}"
    subscriber = Redis.from_url(settings.redis.url.get_secret_value(), socket_timeout=None)
    web = Wakeups(redis, channel=channel)
    jobs = Wakeups(redis, channel=channel, subscriber=subscriber)
    heard: list[tuple[str, str]] = []
    everything = asyncio.Event()

    def hear(name: str) -> None:
        def handler(argument: str) -> None:
            heard.append((name, argument))
            if len(heard) == 4:
                everything.set()

        jobs.on(name, handler)

    hear("job")
    hear("sender")
    hear("queue")
    loops = Loops()
    listening = loops.start("wakeup-subscriber", jobs.run_subscriber, deadline=None, repeat=False)
    sending = loops.start("wakeup-publisher", web.run_publisher, deadline=None, repeat=False)
    try:
        async with asyncio.timeout(10):
            await jobs.subscribed.wait()
        # Subscribing rang every bell once (work rung while nobody listened): start counting now.
        heard.clear()
        tenant, queue = uuid.uuid4(), uuid.uuid4()
        web.ring("job", "ingest")
        web.ring("sender")
        web.ring("job", "ingest")  # twice in one turn: once in the message
        web.ring("queue", f"{tenant}:{queue}")
        web.ring("job", "flow_start")
        web.ring("nobody-listens")
        async with asyncio.timeout(10):
            await everything.wait()
        assert heard == [
            ("job", "ingest"),
            ("sender", ""),
            ("queue", f"{tenant}:{queue}"),
            ("job", "flow_start"),
        ]
        assert web.sent == 1
        assert jobs.received == 1
    finally:
        await web.stop(sending)
        await jobs.stop(listening)
        await subscriber.aclose()
