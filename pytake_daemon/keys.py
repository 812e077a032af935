"""Typed keys for everything the aiohttp application shares (no string keys).

The value classes are imported for type checking only: this module is imported by the routes
of every domain and by small helpers (``http/client_ip.py``), and importing the classes at run
time put every domain in one import cycle and loaded most of the daemon (scikit-learn and boto3
among it) for a 22-line helper. aiohttp needs no class at run time: a key's type is its
annotation (``web.AppKey[Hub]``), which ``from __future__ import annotations`` leaves unevaluated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
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
    from pytake_daemon.jobs.claimer import Claimer
    from pytake_daemon.jobs.priority import AckPriority
    from pytake_daemon.jobs.runner import JobRunner
    from pytake_daemon.loops import Loops
    from pytake_daemon.realtime.bus import EventBus
    from pytake_daemon.realtime.hub import Hub
    from pytake_daemon.wakeups import Wakeups
    from pytake_daemon.whatsapp.fanout import IngestFanout
    from pytake_daemon.whatsapp.graph import GraphClient
    from pytake_daemon.whatsapp.ingest import IngestWriter
    from pytake_daemon.whatsapp.receipts import ReadReceipts
    from pytake_daemon.whatsapp.routing import RoutingTable
    from pytake_daemon.whatsapp.secretbox import SecretBox
    from pytake_daemon.whatsapp.sender import Sender

SETTINGS: web.AppKey[Settings] = web.AppKey("settings")
ENDPOINTS: web.AppKey[Endpoints] = web.AppKey("endpoints")
DB_POOL: web.AppKey[Pool] = web.AppKey("db_pool")
REDIS: web.AppKey[Redis] = web.AppKey("redis")
HUB: web.AppKey[Hub] = web.AppKey("hub")
EVENT_BUS: web.AppKey[EventBus] = web.AppKey("event_bus")
LOGIN_THROTTLE: web.AppKey[LoginThrottle] = web.AppKey("login_throttle")
PASSWORDS: web.AppKey[Passwords] = web.AppKey("passwords")
SECRET_BOX: web.AppKey[SecretBox] = web.AppKey("secret_box")
WEBHOOK_ROUTING: web.AppKey[RoutingTable] = web.AppKey("webhook_routing")
WEBHOOK_WRITER: web.AppKey[IngestWriter] = web.AppKey("webhook_writer")
JOBS: web.AppKey[JobRunner] = web.AppKey("jobs")
CLAIMER: web.AppKey[Claimer] = web.AppKey("claimer")
ACK_PRIORITY: web.AppKey[AckPriority] = web.AppKey("ack_priority")
INGEST_FANOUT: web.AppKey[IngestFanout] = web.AppKey("ingest_fanout")
GRAPH: web.AppKey[GraphClient] = web.AppKey("graph")
SENDER: web.AppKey[Sender] = web.AppKey("sender")
READ_RECEIPTS: web.AppKey[ReadReceipts] = web.AppKey("read_receipts")
AUDIT_RECORDER: web.AppKey[AuditRecorder] = web.AppKey("audit_recorder")
FLOW_HTTP: web.AppKey[FlowHttp] = web.AppKey("flow_http")
FLOW_RUNNER: web.AppKey[FlowRunner] = web.AppKey("flow_runner")
MAINTENANCE: web.AppKey[MaintenanceWatch] = web.AppKey("maintenance_watch")
BACKUPS: web.AppKey[BackupContext] = web.AppKey("backups")
AI: web.AppKey[AiService] = web.AppKey("ai")
QUEUES: web.AppKey[QueueRuntime] = web.AppKey("queues")
LOOPS: web.AppKey[Loops] = web.AppKey("loops")
WAKEUPS: web.AppKey[Wakeups] = web.AppKey("wakeups")
