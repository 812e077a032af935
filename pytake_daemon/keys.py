"""Typed keys for everything the aiohttp application shares (no string keys)."""

from __future__ import annotations

from aiohttp import web
from redis.asyncio import Redis

from pytake_daemon.ai.service import AiService
from pytake_daemon.attendance.runtime import QueueRuntime
from pytake_daemon.audit.recorder import AuditRecorder
from pytake_daemon.auth.passwords import Passwords
from pytake_daemon.auth.ratelimit import LoginThrottle
from pytake_daemon.backups.context import BackupContext
from pytake_daemon.backups.maintenance import MaintenanceWatch
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Pool
from pytake_daemon.flows.http_call import FlowHttp
from pytake_daemon.flows.runner import FlowRunner
from pytake_daemon.jobs.runner import JobRunner
from pytake_daemon.loops import Loops
from pytake_daemon.realtime.bus import EventBus
from pytake_daemon.realtime.hub import Hub
from pytake_daemon.whatsapp.fanout import IngestFanout
from pytake_daemon.whatsapp.graph import GraphClient
from pytake_daemon.whatsapp.ingest import IngestWriter
from pytake_daemon.whatsapp.receipts import ReadReceipts
from pytake_daemon.whatsapp.routing import RoutingTable
from pytake_daemon.whatsapp.secretbox import SecretBox
from pytake_daemon.whatsapp.sender import Sender

SETTINGS = web.AppKey("settings", Settings)
ENDPOINTS = web.AppKey("endpoints", Endpoints)
DB_POOL = web.AppKey[Pool]("db_pool")
REDIS = web.AppKey("redis", Redis)
HUB = web.AppKey("hub", Hub)
EVENT_BUS = web.AppKey("event_bus", EventBus)
LOGIN_THROTTLE = web.AppKey("login_throttle", LoginThrottle)
PASSWORDS = web.AppKey("passwords", Passwords)
SECRET_BOX = web.AppKey("secret_box", SecretBox)
WEBHOOK_ROUTING = web.AppKey("webhook_routing", RoutingTable)
WEBHOOK_WRITER = web.AppKey("webhook_writer", IngestWriter)
JOBS = web.AppKey("jobs", JobRunner)
INGEST_FANOUT = web.AppKey("ingest_fanout", IngestFanout)
GRAPH = web.AppKey("graph", GraphClient)
SENDER = web.AppKey("sender", Sender)
READ_RECEIPTS = web.AppKey("read_receipts", ReadReceipts)
AUDIT_RECORDER = web.AppKey("audit_recorder", AuditRecorder)
FLOW_HTTP = web.AppKey("flow_http", FlowHttp)
FLOW_RUNNER = web.AppKey("flow_runner", FlowRunner)
MAINTENANCE = web.AppKey("maintenance_watch", MaintenanceWatch)
BACKUPS = web.AppKey("backups", BackupContext)
AI = web.AppKey("ai", AiService)
QUEUES = web.AppKey("queues", QueueRuntime)
LOOPS = web.AppKey("loops", Loops)
