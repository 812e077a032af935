"""The aiohttp application factory: wiring only, no I/O until the app starts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import aiohttp
import structlog
from aiohttp import web

from pytake_daemon.ai.context import ai_ctx
from pytake_daemon.ai.routes import routes as ai_routes
from pytake_daemon.attendance.agent_routes import routes as agents_routes
from pytake_daemon.attendance.context import queues_ctx
from pytake_daemon.attendance.flow_transfer import QueueTransferToQueues
from pytake_daemon.attendance.handover_routes import routes as handover_routes
from pytake_daemon.attendance.queue_routes import routes as queues_routes
from pytake_daemon.attendance.reopen import reopen_batch
from pytake_daemon.audit.http import audit_middleware
from pytake_daemon.audit.recorder import AuditRecorder
from pytake_daemon.audit.routes import routes as audit_routes
from pytake_daemon.auth.middleware import auth_middleware
from pytake_daemon.auth.passwords import Passwords
from pytake_daemon.auth.routes import routes as auth_routes
from pytake_daemon.backing import postgres_ctx, realtime_ctx, redis_ctx
from pytake_daemon.backups.daemon import backups_ctx
from pytake_daemon.backups.middleware import maintenance_middleware
from pytake_daemon.backups.routes import routes as backups_routes
from pytake_daemon.config import Settings
from pytake_daemon.contacts.routes import routes as contacts_routes
from pytake_daemon.conversations.routes import routes as conversations_routes
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.effects import Effects as QueueEffects
from pytake_daemon.flows.compiled import CompiledFlows
from pytake_daemon.flows.http_call import FlowHttp, HttpPolicy
from pytake_daemon.flows.routes import routes as flows_routes
from pytake_daemon.flows.routing import PublishedFlows
from pytake_daemon.flows.runner import FLOW_INBOUND_JOB, FlowRunner
from pytake_daemon.flows.starts import FLOW_START_JOB
from pytake_daemon.flows.stepping import FLOW_TIMER_JOB
from pytake_daemon.gamification.context import gamification_ctx
from pytake_daemon.gamification.routes import routes as gamification_routes
from pytake_daemon.health.metrics import metrics_ctx, metrics_middleware
from pytake_daemon.health.routes import routes as health_routes
from pytake_daemon.http.api import Endpoint, RouteTable
from pytake_daemon.http.middlewares import (
    READER_LOOKUP,
    error_middleware,
    request_context_middleware,
)
from pytake_daemon.http.openapi import build_openapi
from pytake_daemon.http.server import SERVER_LIMITS
from pytake_daemon.invitations.routes import routes as invitations_routes
from pytake_daemon.jobs import db as jobs_db
from pytake_daemon.jobs.claimer import this_daemon
from pytake_daemon.jobs.priority import AckPriority
from pytake_daemon.jobs.runner import JobRunner
from pytake_daemon.keys import (
    ACK_PRIORITY,
    AUDIT_RECORDER,
    CLAIMER,
    DB_POOL,
    ENDPOINTS,
    EVENT_BUS,
    FLOW_HTTP,
    FLOW_RUNNER,
    GRAPH,
    HUB,
    INGEST_FANOUT,
    JOBS,
    LOOPS,
    PASSWORDS,
    QUEUES,
    READ_RECEIPTS,
    REDIS,
    SECRET_BOX,
    SENDER,
    SETTINGS,
    WEBHOOK_ROUTING,
    WEBHOOK_WRITER,
)
from pytake_daemon.loops import Loops
from pytake_daemon.notifications.context import notifications_ctx
from pytake_daemon.notifications.routes import routes as notifications_routes
from pytake_daemon.onboarding.routes import routes as onboarding_routes
from pytake_daemon.outbound_webhooks.context import outbound_webhooks_ctx
from pytake_daemon.outbound_webhooks.routes import routes as outbound_webhooks_routes
from pytake_daemon.realtime.hub import Hub
from pytake_daemon.realtime.routes import routes as realtime_routes
from pytake_daemon.reports.context import reports_ctx
from pytake_daemon.reports.routes import routes as reports_routes
from pytake_daemon.reports.schedule_routes import routes as report_schedule_routes
from pytake_daemon.roles import bell, job_bell, on_bell, runs_jobs, serves_api, wakeups_ctx
from pytake_daemon.system.alerts import system_alerts_ctx
from pytake_daemon.system.figures_routes import routes as system_figures_routes
from pytake_daemon.system.routes import routes as system_routes
from pytake_daemon.tenancy.routes import routes as tenancy_routes
from pytake_daemon.tenant_config.routes import routes as tenant_config_routes
from pytake_daemon.users import db as users_db
from pytake_daemon.users.account_routes import routes as account_routes
from pytake_daemon.users.routes import routes as users_routes
from pytake_daemon.whatsapp import outbox_db
from pytake_daemon.whatsapp.acceptances import Acceptances
from pytake_daemon.whatsapp.fanout import IngestFanout
from pytake_daemon.whatsapp.graph import GraphClient
from pytake_daemon.whatsapp.ingest import INGEST_JOB, TEMPLATE_SYNC_JOB, IngestWriter
from pytake_daemon.whatsapp.media_routes import routes as media_routes
from pytake_daemon.whatsapp.receipts import ReadReceipts
from pytake_daemon.whatsapp.routes import routes as whatsapp_routes
from pytake_daemon.whatsapp.routing import RoutingTable
from pytake_daemon.whatsapp.secretbox import load_secret_box
from pytake_daemon.whatsapp.send_routes import routes as send_routes
from pytake_daemon.whatsapp.sender import Sender
from pytake_daemon.whatsapp.templates import TemplateSyncJob
from pytake_daemon.whatsapp.throttle import Throttle
from pytake_daemon.whatsapp.webhook_routes import count_webhooks
from pytake_daemon.whatsapp.webhook_routes import routes as webhook_routes

log = structlog.get_logger("pytake.app")

ROUTE_TABLES: tuple[RouteTable, ...] = (
    health_routes,
    auth_routes,
    account_routes,
    tenancy_routes,
    tenant_config_routes,
    onboarding_routes,
    users_routes,
    invitations_routes,
    realtime_routes,
    conversations_routes,
    handover_routes,
    contacts_routes,
    webhook_routes,
    whatsapp_routes,
    send_routes,
    media_routes,
    audit_routes,
    flows_routes,
    backups_routes,
    ai_routes,
    queues_routes,
    agents_routes,
    system_routes,
    system_figures_routes,
    notifications_routes,
    reports_routes,
    outbound_webhooks_routes,
    report_schedule_routes,
    gamification_routes,
)


def all_endpoints() -> list[Endpoint]:
    return [ep for table in ROUTE_TABLES for ep in table.endpoints]


def create_app(settings: Settings, endpoints: Endpoints) -> web.Application:
    """Build the application; pools and workers open in ``cleanup_ctx`` when it starts."""
    app = web.Application(
        middlewares=[
            request_context_middleware,
            audit_middleware,
            error_middleware,
            metrics_middleware,
            maintenance_middleware,
            auth_middleware,
        ],
        client_max_size=1024 * 1024,
        # The parser's limits, for every runner (http/server.py says why these).
        handler_args=SERVER_LIMITS,
    )
    app[SETTINGS] = settings
    app[ENDPOINTS] = endpoints
    app[PASSWORDS] = Passwords(settings.auth)
    app[HUB] = Hub(
        queue_size=settings.realtime.client_queue_size,
        reorder_hold=settings.realtime.reorder_hold_seconds,
    )
    app[SECRET_BOX] = load_secret_box(settings)
    app[LOOPS] = Loops()
    app[CLAIMER] = this_daemon(settings.server.port)
    app[READER_LOOKUP] = users_db.me
    app.cleanup_ctx.extend(
        [
            postgres_ctx,
            redis_ctx,
            wakeups_ctx,
            realtime_ctx,
            _audit,
            _jobs,
            _whatsapp,
            _flows,
            backups_ctx,
            ai_ctx,
            queues_ctx,
            notifications_ctx,
            outbound_webhooks_ctx,
            reports_ctx,
            gamification_ctx,
            metrics_ctx,
            system_alerts_ctx,
        ]
    )
    app.on_shutdown.append(_close_websockets)
    app.on_shutdown.append(_stop_background_work)
    # A jobs process answers its supervisor's probes only: no API, WebSocket or webhook.
    tables = ROUTE_TABLES if serves_api(app) else (health_routes,)
    for table in tables:
        table.add_to(app)
    spec = build_openapi([ep for table in tables for ep in table.endpoints])

    async def openapi(request: web.Request) -> web.Response:
        return web.json_response(spec)

    app.router.add_get("/api/v1/openapi.json", openapi)
    return app


async def _audit(app: web.Application) -> AsyncIterator[None]:
    recorder = AuditRecorder(app[DB_POOL], app[EVENT_BUS], app[SETTINGS].audit)
    app[AUDIT_RECORDER] = recorder
    yield
    # Requests were drained before cleanup; let their audit writes finish too.
    await recorder.drain()


async def take_back_claims(app: web.Application) -> None:
    """Once this daemon listens on its port: the jobs and sends an earlier run of it claimed
    and never finished (it was killed) go back to the claimers now, not when their leases end
    (jobs/claimer.py, migration 0052)."""
    claimer = app[CLAIMER]
    if not runs_jobs(app) or claimer.instance.endswith(":0"):
        return  # a port picked by the system is new: nobody ran under this name before
    async with app[DB_POOL].acquire() as conn:
        jobs = await jobs_db.release_claims(conn, claimer.instance, claimer.tag)
        sends = await outbox_db.release_claims(conn, claimer.instance, claimer.tag)
    if jobs or sends:
        log.info("claims of an earlier run taken back", jobs=jobs, sends=sends)
        app[JOBS].wake_all()
        app[SENDER].wake()


async def _jobs(app: web.Application) -> AsyncIterator[None]:
    # Acknowledgements first (jobs/priority.py): the writer reports, every claim loop yields.
    app[ACK_PRIORITY] = AckPriority()
    runner = JobRunner(
        app[DB_POOL],
        loops=app[LOOPS],
        priority=app[ACK_PRIORITY],
        forward=job_bell(app),
        claimer=app[CLAIMER].tag,
    )
    fanout = IngestFanout(
        app[DB_POOL],
        app[EVENT_BUS],
        on_work=runner.wake,
        count_invalid=lambda n: count_webhooks(app, "invalid_items", n),
    )
    runner.register_batch(
        INGEST_JOB, fanout, linger_seconds=app[SETTINGS].whatsapp.ingest_linger_seconds
    )
    app[JOBS] = runner
    app[INGEST_FANOUT] = fanout
    on_bell(app, "job", lambda kind: runner.wake(kind) if kind else runner.wake_all())
    if runs_jobs(app):
        runner.start()
    yield
    await runner.stop()


async def _whatsapp(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    wa = settings.whatsapp
    routing = RoutingTable(app[DB_POOL], app[SECRET_BOX], wa)
    await routing.refresh()
    app[WEBHOOK_ROUTING] = routing
    writer = IngestWriter(
        app[DB_POOL],
        max_batch=wa.ingest_max_batch,
        writers=wa.ingest_writers,
        on_work=app[JOBS].wake,
        priority=app[ACK_PRIORITY],
    )
    app[WEBHOOK_WRITER] = writer
    if serves_api(app):
        writer.start()
        # Its tasks are its own (each batch's failure is answered to its requests); readiness
        # still says when none is left, since webhooks would then all be refused.
        app[LOOPS].watch(
            "webhook-writer", lambda: None if writer.running else "no writer task left"
        )
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=wa.http_timeout_seconds))
    graph = GraphClient(session, base_url=wa.graph_base_url, api_version=wa.api_version)
    app[GRAPH] = graph
    app[JOBS].register(TEMPLATE_SYNC_JOB, TemplateSyncJob(app[DB_POOL], graph, app[SECRET_BOX]))
    sender = Sender(
        app[DB_POOL],
        graph,
        Throttle(app[REDIS], prefix=settings.redis.key_prefix),
        app[SECRET_BOX],
        app[EVENT_BUS],
        wa,
        acceptances=Acceptances(app[REDIS], prefix=settings.redis.key_prefix),
        forward=bell(app, "sender"),
        claimer=app[CLAIMER].tag,
    )
    app[SENDER] = sender
    on_bell(app, "sender", lambda _: sender.wake())
    if runs_jobs(app):
        sender.start(app[LOOPS])
    receipts = ReadReceipts(
        app[DB_POOL], graph, app[SECRET_BOX], app[REDIS], prefix=settings.redis.key_prefix
    )
    app[READ_RECEIPTS] = receipts
    yield
    await receipts.close()
    # Requests still in flight were drained before cleanup; answer anything left, then stop.
    await writer.close()
    await sender.stop()
    await session.close()


async def _flows(app: web.Application) -> AsyncIterator[None]:
    cfg = app[SETTINGS].flows
    http = FlowHttp(
        HttpPolicy(cfg.http_allowed),
        default_timeout=cfg.http_timeout_seconds,
        max_response_bytes=cfg.http_max_response_bytes,
    )
    app[FLOW_HTTP] = http

    async def after_transfer(tenant_id: uuid.UUID, effects: QueueEffects) -> None:
        # Looked up at call time: the queues' context starts after this one.
        await app[QUEUES].after_commit(tenant_id, effects)

    runner = FlowRunner(
        app[DB_POOL],
        app[JOBS],
        app[EVENT_BUS],
        settings=cfg,
        published=PublishedFlows(CompiledFlows()),
        http=http,
        transfer=QueueTransferToQueues(),
        reopen=reopen_batch,
        on_sent=app[SENDER].wake,
        after_transfer=after_transfer,
    )
    app[FLOW_RUNNER] = runner
    # A flow step is one transaction (events and wake-ups after it are best effort): the job
    # is completed inside it. Customers' messages are stepped by the fan-out's hook;
    # flow_inbound only retries a step that failed there.
    app[JOBS].register(FLOW_INBOUND_JOB, runner.handle_inbound, one_transaction=True)
    app[JOBS].register(FLOW_TIMER_JOB, runner.handle_timer, one_transaction=True)
    app[JOBS].register(FLOW_START_JOB, runner.handle_start, one_transaction=True)
    app[INGEST_FANOUT].add_inbound_hook(runner.inbound_hook)
    yield
    await http.close()


async def _stop_background_work(app: web.Application) -> None:
    """Stop the job runner and the sender before any context is torn down: their handlers use
    the AI pool, the flows' HTTP client, the Graph session… which the cleanup contexts close in
    reverse order of creation. In-flight requests still finish (the webhook writer stays)."""
    jobs = app.get(JOBS)
    if jobs is not None:
        await jobs.stop()
    sender = app.get(SENDER)
    if sender is not None:
        await sender.stop()


async def _close_websockets(app: web.Application) -> None:
    await app[HUB].close_all()
