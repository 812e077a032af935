"""A round-robin HTTP front for the replica tests: the simulator's webhooks are split between
two daemon processes, as a load balancer in front of replicas would split Meta's.

It forwards each request to the next replica in turn and answers with that replica's status,
headers and body. A replica that can't be reached (killed, not listening) is a 502, not a retry
on the other one: Meta's side (the simulator) retries what got no 200, which is the path the
kill test wants exercised. It records which replica acknowledged each request.
"""

from __future__ import annotations

import itertools
from collections import Counter

import aiohttp
from aiohttp import web

# Hop-by-hop and length headers aiohttp sets itself on both legs.
_DROPPED = frozenset({"host", "content-length", "transfer-encoding", "connection"})


class Balancer:
    def __init__(self, upstreams: list[str]) -> None:
        self.upstreams = upstreams
        self._next = itertools.cycle(range(len(upstreams)))
        self.answered: Counter[tuple[int, int]] = Counter()
        """(replica index, status) → requests."""
        self.unreachable: Counter[int] = Counter()
        self.retry_after: list[str | None] = []
        """Each 503's Retry-After header (None when it had none)."""
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""

    def acknowledged_by(self, index: int) -> int:
        return self.answered[(index, 200)]

    def count(self, status: int) -> int:
        return sum(n for (_, code), n in self.answered.items() if code == status)

    async def start(self) -> str:
        # No pooled keep-alive: a killed replica's sockets must not be reused.
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(force_close=True),
            timeout=aiohttp.ClientTimeout(total=10),
        )
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        index = next(self._next)
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _DROPPED}
        target = self.upstreams[index] + request.rel_url.path_qs
        try:
            async with self._session.request(
                request.method, target, data=body, headers=headers
            ) as resp:
                payload = await resp.read()
                kept = {k: v for k, v in resp.headers.items() if k.lower() not in _DROPPED}
                self.answered[(index, resp.status)] += 1
                if resp.status == 503:
                    self.retry_after.append(resp.headers.get("Retry-After"))
                return web.Response(status=resp.status, body=payload, headers=kept)
        except (aiohttp.ClientError, TimeoutError):
            self.unreachable[index] += 1
            return web.Response(status=502, text="replica unreachable")
