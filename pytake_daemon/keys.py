"""Typed keys for everything the aiohttp application shares (no string keys)."""

from __future__ import annotations

from aiohttp import web
from redis.asyncio import Redis

from pytake_daemon.auth.passwords import Passwords
from pytake_daemon.auth.ratelimit import LoginThrottle
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Pool
from pytake_daemon.realtime.bus import EventBus
from pytake_daemon.realtime.hub import Hub

SETTINGS = web.AppKey("settings", Settings)
ENDPOINTS = web.AppKey("endpoints", Endpoints)
DB_POOL = web.AppKey[Pool]("db_pool")
REDIS = web.AppKey("redis", Redis)
HUB = web.AppKey("hub", Hub)
EVENT_BUS = web.AppKey("event_bus", EventBus)
LOGIN_THROTTLE = web.AppKey("login_throttle", LoginThrottle)
PASSWORDS = web.AppKey("passwords", Passwords)
