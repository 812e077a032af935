"""The ``http_request`` node's client, guarded against SSRF.

A flow's URL is written by a tenant admin, so the daemon must not become a way into its own
network: after DNS resolution, private, loopback, link-local, multicast, reserved and unspecified
addresses are refused unless ``flows.http_allowed`` lists the host or a network containing the
address. The check lives in the resolver the connection itself uses, so a name that resolves to
a public address when checked and a private one when connecting (DNS rebinding) can't slip by.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson
from aiohttp.abc import AbstractResolver, ResolveResult

from pytake_daemon.flows.engine import HttpAnswer, HttpFailed
from pytake_daemon.protocol.flows import HttpRequest

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressRefused(OSError):
    """The host resolves to an address flows may not call."""


class HttpPolicy:
    """Which hosts and networks flows may call beyond the public internet."""

    def __init__(self, allowed: list[str]) -> None:
        self.hosts: set[str] = set()
        self.networks: list[IpNetwork] = []
        for entry in allowed:
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.hosts.add(entry.lower().rstrip("."))

    def host_allowed(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def check(self, host: str, address: str) -> None:
        if self.host_allowed(host):
            return
        ip: IpAddress = ipaddress.ip_address(address.split("%", 1)[0])
        if any(ip in net for net in self.networks):
            return
        mapped = getattr(ip, "ipv4_mapped", None)
        target = mapped or ip
        if (
            target.is_private
            or target.is_loopback
            or target.is_link_local
            or target.is_multicast
            or target.is_reserved
            or target.is_unspecified
        ):
            raise AddressRefused(
                f"{host} resolves to {address}, a private or local address: refused "
                "(allow it with flows.http_allowed)"
            )


class GuardedResolver(AbstractResolver):
    def __init__(self, policy: HttpPolicy) -> None:
        self._policy = policy
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            self._policy.check(host, result["host"])
        return results

    async def close(self) -> None:
        await self._inner.close()


class FlowHttp:
    """Performs ``http_request`` calls; every failure becomes :class:`HttpFailed`."""

    def __init__(
        self, policy: HttpPolicy, *, default_timeout: float, max_response_bytes: int
    ) -> None:
        self._policy = policy
        self._timeout = default_timeout
        self._max_bytes = max_response_bytes
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(resolver=GuardedResolver(self._policy), limit=100)
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    async def __call__(
        self, node: HttpRequest, url: str, headers: dict[str, str], body: Any
    ) -> HttpAnswer:
        host = urlsplit(url).hostname or ""
        try:
            # IP literals never reach the resolver: check them here.
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            try:
                self._policy.check(host, host)
            except AddressRefused as exc:
                raise HttpFailed(str(exc)) from None
        timeout = aiohttp.ClientTimeout(total=node.timeout_seconds or self._timeout)
        if body is not None:
            headers = {"Content-Type": "application/json", **headers}
        try:
            async with self._client().request(
                node.method,
                url,
                headers=headers,
                data=None if body is None else orjson.dumps(body),
                timeout=timeout,
                allow_redirects=False,
            ) as resp:
                raw = await resp.content.read(self._max_bytes + 1)
                status = resp.status
        except AddressRefused as exc:
            raise HttpFailed(str(exc)) from None
        except aiohttp.ClientConnectorError as exc:
            cause = exc.os_error
            raise HttpFailed(
                str(cause) if isinstance(cause, AddressRefused) else str(exc)
            ) from None
        except TimeoutError:
            raise HttpFailed(f"no answer within {timeout.total:g} s") from None
        except (aiohttp.ClientError, asyncio.CancelledError, ValueError) as exc:
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise HttpFailed(f"{type(exc).__name__}: {exc}") from None
        if len(raw) > self._max_bytes:
            raise HttpFailed(f"response larger than {self._max_bytes} bytes")
        if not raw.strip():
            return HttpAnswer(status=status, body=None)
        try:
            return HttpAnswer(status=status, body=orjson.loads(raw))
        except orjson.JSONDecodeError:
            raise HttpFailed(f"HTTP {status}: the response is not JSON") from None
