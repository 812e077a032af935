"""The client's address, believing X-Forwarded-For only from configured proxies."""

from __future__ import annotations

import ipaddress

from aiohttp import web

from pytake_daemon.keys import SETTINGS


def client_ip(request: web.Request) -> str:
    peer = request.remote or "unknown"
    trusted = request.app[SETTINGS].server.trusted_proxies
    forwarded = request.headers.get("X-Forwarded-For")
    if forwarded and peer in trusted:
        candidate = forwarded.split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            return peer
    return peer
