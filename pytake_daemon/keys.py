"""Typed keys for everything the aiohttp application shares (no string keys)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import asyncpg
from aiohttp import web
from redis.asyncio import Redis

from pytake_daemon.config import Settings

if TYPE_CHECKING:
    from pytake_daemon.auth.passwords import Passwords
    from pytake_daemon.auth.ratelimit import LoginThrottle
    from pytake_daemon.db.endpoints import Endpoints
    from pytake_daemon.realtime.bus import EventBus
    from pytake_daemon.realtime.hub import Hub

SETTINGS = web.AppKey("settings", Settings)
ENDPOINTS = web.AppKey["Endpoints"]("endpoints")
DB_POOL = web.AppKey("db_pool", asyncpg.Pool)
REDIS = web.AppKey("redis", Redis)
HUB = web.AppKey["Hub"]("hub")
EVENT_BUS = web.AppKey["EventBus"]("event_bus")
LOGIN_THROTTLE = web.AppKey["LoginThrottle"]("login_throttle")
PASSWORDS = web.AppKey["Passwords"]("passwords")
