"""A console left open on the tenant during a benchmark: one WebSocket that reads every frame.

With no console open and no other process listening, the daemon doesn't serialise its events
at all (realtime/bus.py); a support team has consoles open, so ``bench/echo.py --console`` runs
this next to the daemon to count that cost too. Its own CPU is not counted as PyTake's. The
bearer token comes from ``PYTAKE_BENCH_TOKEN`` (never on the command line); on SIGTERM it
prints the frames it read to stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys

import aiohttp


class Console:
    def __init__(self) -> None:
        self.frames = 0

    async def read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                self.frames += 1

    async def run(self, url: str, token: str) -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(url, headers={"Authorization": f"Bearer {token}"}) as ws,
        ):
            reader = asyncio.create_task(self.read(ws))
            await stop.wait()
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader


def main() -> None:
    console = Console()
    asyncio.run(console.run(sys.argv[1], os.environ["PYTAKE_BENCH_TOKEN"]))
    print(f"console: {console.frames} frames read", file=sys.stderr)


if __name__ == "__main__":
    main()
