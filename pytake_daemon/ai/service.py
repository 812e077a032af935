"""Analysis of every inbound message after the webhook's commit, and the alerts it raises.

:meth:`AiService.on_inbound` is the ingest fan-out's inbound hook: it only queues an
``ai_analysis`` job for the batch (in the fan-out's transaction), run by the AI's own job
runner (:mod:`.context`), so analysis never holds up the fan-out, the flows or the outbox. The
runner hands a tenant's claimed jobs over together; they are read, analysed (the models in a
process of their own, :mod:`.batch_models`, never on the event loop), stored (:mod:`.batch`;
retried jobs rewrite the same rows) and completed in one transaction, then
``message_analyzed`` and ``ai_alert`` events go to the WebSocket.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import structlog

from pytake_daemon.ai import analysis_db, db
from pytake_daemon.ai.analyzer import Analyzer, CustomIntentSpec
from pytake_daemon.ai.batch import store_batch
from pytake_daemon.ai.batch_models import BatchRequest, ModelProcess, analyse_pending, custom_key
from pytake_daemon.ai.intents import IntentModel
from pytake_daemon.config import AiSettings
from pytake_daemon.conversations.inbound import InboundBatch
from pytake_daemon.db.pool import Connection, Pool, tenant_transaction
from pytake_daemon.jobs import db as jobs_db
from pytake_daemon.jobs.job import Job
from pytake_daemon.jobs.runner import JobRunner
from pytake_daemon.protocol.ai import AiSettingsOut, AlertRaised, AlertRule, IntentOut
from pytake_daemon.realtime.bus import EventBus, number_events

log = structlog.get_logger("pytake.ai")

ANALYSIS_JOB = "ai_analysis"
"""One batch of customer messages to analyse (queued by the ingest fan-out's hook)."""


# How this process runs the analysis, not what a tenant's analysis does: never a tenant's.
_DAEMON_SETTINGS = {"workers", "process", "batch_wait_seconds"}


def settings_for(defaults: AiSettings, overrides: dict[str, Any]) -> AiSettingsOut:
    """The installation's defaults with a tenant's overrides applied (unknown keys ignored)."""
    base = defaults.model_dump(exclude=_DAEMON_SETTINGS)
    base.update({k: v for k, v in overrides.items() if k in base})
    return AiSettingsOut.model_validate(base)


async def tenant_settings(conn: Connection, defaults: AiSettings) -> AiSettingsOut:
    return settings_for(defaults, await db.get_overrides(conn))


class IntentModels:
    """One trained model per distinct set of custom intents; tenants without any share one."""

    def __init__(self, analyzer: Analyzer, executor: ThreadPoolExecutor) -> None:
        self._analyzer = analyzer
        self._executor = executor
        self._models: dict[tuple[CustomIntentSpec, ...], asyncio.Future[IntentModel]] = {}

    async def get(self, custom: Sequence[CustomIntentSpec]) -> IntentModel:
        key = custom_key(custom)
        future = self._models.get(key)
        if future is None or (future.done() and future.exception() is not None):
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(self._executor, self._analyzer.train, key)
            self._models[key] = future
        return await asyncio.shield(future)


def custom_specs(intents: Sequence[IntentOut]) -> list[CustomIntentSpec]:
    return [
        CustomIntentSpec(name=i.name, examples=tuple(i.examples), keywords=tuple(i.keywords))
        for i in intents
    ]


class AiService:
    def __init__(
        self,
        pool: Pool,
        bus: EventBus,
        defaults: AiSettings,
        analyzer: Analyzer,
        executor: ThreadPoolExecutor,
        jobs: JobRunner,
        process: ModelProcess | None = None,
    ) -> None:
        self._pool = pool
        self._process = process
        """The batch analysis's own process (``[ai] process``); None: the thread pool."""
        self._bus = bus
        self._defaults = defaults
        self.analyzer = analyzer
        self._executor = executor
        self.models = IntentModels(analyzer, executor)
        self.jobs = jobs
        """The AI's own job runner (see :mod:`.context`)."""

    async def settings(self, conn: Connection) -> AiSettingsOut:
        return await tenant_settings(conn, self._defaults)

    async def on_inbound(self, batch: InboundBatch) -> None:
        """The ingest fan-out's hook: queue the batch's analysis as a job of its own, in the
        fan-out's transaction, and return.

        The fan-out (and with it the customers' flow steps) then never waits for the models or
        the AI's writes, and an AI failure retries only the analysis.
        """
        ids = [str(m.id) for _, m in batch.inbound if m.direction == "in" and m.text.strip()]
        if not ids or not (await self.settings(batch.conn)).enabled:
            return
        await jobs_db.insert_job(batch.conn, ANALYSIS_JOB, {"messages": ids})
        batch.follow_ups.append(self._wake_analysis)

    async def _wake_analysis(self) -> None:
        self.jobs.wake(ANALYSIS_JOB)

    async def on_analysis_due(self, tenant_id: uuid.UUID, jobs: Sequence[Job]) -> None:
        """Analyse one tenant's claimed batches of customer messages, store the results and
        tell clients.

        One transaction for everything (registered with ``register_batch``, the jobs are
        completed in it too): an analysis used to take a read transaction, the models, a store
        transaction and the runner's own DELETE, and under a burst those round trips to
        PostgreSQL cost the replies more CPU than the models did. The models run in the thread
        pool while the transaction waits; it holds no row lock until the store, so a wait
        (seconds only when a tenant's custom intents changed and their model trains) blocks
        nobody but this pooled connection."""
        # In the order the messages arrived (jobs oldest first, each in its batch's order): a
        # conversation's mood window and its short messages' language fallback follow it.
        message_ids = list(
            dict.fromkeys(uuid.UUID(i) for job in jobs for i in job.payload["messages"])
        )
        async with tenant_transaction(self._pool, tenant_id, generic_plans=True) as conn:
            cfg = await self.settings(conn)
            pending = await analysis_db.pending_messages(conn, message_ids) if cfg.enabled else []
            if not pending:
                return
            custom = custom_specs(await db.list_intents(conn))
            contexts = await analysis_db.language_contexts(
                conn, sorted({p.conversation_id for p in pending})
            )
            request = BatchRequest(
                tuple(pending),
                tuple(cfg.languages),
                cfg.default_language,
                cfg.intent_threshold,
                contexts,
                custom_key(custom),
            )
            if self._process is not None:
                analyses = await self._process.analyse(request)
            else:
                model = await self.models.get(custom)
                analyses = await asyncio.get_running_loop().run_in_executor(
                    self._executor, analyse_pending, self.analyzer, model, request
                )
            contacts = {c: ctx.contact_id for c, ctx in contexts.items()}
            events = await store_batch(
                conn, pending, analyses, cfg, self.analyzer.thresholds.label, contacts
            )
            envelopes = await number_events(conn, tenant_id, events)
        await self._bus.deliver(envelopes)

    async def on_human_request_due(self, job: Job) -> None:
        """The delayed check of a request for a human: alert when nobody has answered since."""
        conversation_id = uuid.UUID(job.payload["conversation_id"])
        requested_at = datetime.fromisoformat(job.payload["requested_at"])
        async with tenant_transaction(self._pool, job.tenant_id) as conn:
            if await db.replied_since(conn, conversation_id, requested_at):
                return
            alert = await db.insert_alert(
                conn,
                conversation_id,
                AlertRule.HUMAN_REQUEST_IGNORED.value,
                uuid.UUID(job.payload["message_id"]),
                f"asked for a human {job.payload['minutes']:g} min ago; no answer since",
            )
        if alert is not None:
            await self._bus.publish(job.tenant_id, AlertRaised(alert=alert))
