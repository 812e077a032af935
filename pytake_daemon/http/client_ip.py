"""The client's address, believing X-Forwarded-For only from configured proxies.

Behind nginx (docs/nginx-pytake.conf) the header's last entry is the one the proxy itself
appended: the address of whoever connected to it. Earlier entries come from the client and are
never believed. From a peer that is not a configured proxy the header is ignored altogether, so
a client talking to the daemon directly can't pick the address its logins are throttled under.
"""

from __future__ import annotations

import functools
import ipaddress

from aiohttp import web

from pytake_daemon.keys import SETTINGS

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_ip(request: web.Request) -> str:
    peer = request.remote or "unknown"
    forwarded = request.headers.get("X-Forwarded-For")
    if not forwarded or not _is_trusted(peer, tuple(request.app[SETTINGS].server.trusted_proxies)):
        return peer
    candidate = forwarded.split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer


def _is_trusted(peer: str, proxies: tuple[str, ...]) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:  # a Unix socket's peer, or none
        return False
    # An IPv4 proxy reaching a dual-stack listener shows up as ::ffff:a.b.c.d.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in _networks(proxies))


@functools.lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    # Settings validate each entry (config.ServerSettings); parsed once per distinct list.
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in proxies)
