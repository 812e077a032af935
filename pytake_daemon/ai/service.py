"""Analysis of every inbound message after the webhook's commit, and the alerts it raises.

:meth:`AiService.on_inbound` is the ingest fan-out's inbound hook: the models run in a thread
pool (never on the event loop), results are upserted by message id (the ingest job is retried
when a hook raises), then ``message_analyzed`` and ``ai_alert`` events go to the WebSocket.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import asyncpg
import structlog
from pydantic import BaseModel

from pytake_daemon.ai import db
from pytake_daemon.ai.analyzer import Analysis, Analyzer, CustomIntentSpec
from pytake_daemon.ai.intents import IntentModel
from pytake_daemon.ai.mood import mood
from pytake_daemon.ai.rules import fired_rules
from pytake_daemon.config import AiSettings
from pytake_daemon.db.pool import Connection, Pool, tenant_transaction
from pytake_daemon.jobs import db as jobs_db
from pytake_daemon.jobs.runner import Job
from pytake_daemon.protocol import ConversationOut, MessageOut, ServerEvent
from pytake_daemon.protocol.ai import (
    AiSettingsOut,
    AlertOut,
    AlertRaised,
    AlertRule,
    ConversationMoodOut,
    MessageAnalysisOut,
    MessageAnalyzed,
)
from pytake_daemon.realtime.bus import EventBus

log = structlog.get_logger("pytake.ai")

HUMAN_REQUEST_JOB = "ai_human_request"
MOOD_WINDOW = 10
"""Latest customer messages the conversation's mood is computed from."""


def settings_for(defaults: AiSettings, overrides: dict[str, Any]) -> AiSettingsOut:
    """The installation's defaults with a tenant's overrides applied (unknown keys ignored)."""
    base = defaults.model_dump(exclude={"workers"})
    base.update({k: v for k, v in overrides.items() if k in base})
    return AiSettingsOut.model_validate(base)


async def tenant_settings(conn: Connection, defaults: AiSettings) -> AiSettingsOut:
    return settings_for(defaults, await db.get_overrides(conn))


W = TypeVar("W", bound=BaseModel)


def from_row(model: type[W], row: asyncpg.Record) -> W:
    """A wire model from a row that also has columns the wire doesn't show (tenant_id…)."""
    return model.model_validate({k: row[k] for k in model.model_fields if k in row})


def analysis_out(row: asyncpg.Record) -> MessageAnalysisOut:
    return from_row(MessageAnalysisOut, row)


def mood_out(row: asyncpg.Record) -> ConversationMoodOut:
    return from_row(ConversationMoodOut, row)


def alert_out(row: asyncpg.Record) -> AlertOut:
    return from_row(AlertOut, row)


class IntentModels:
    """One trained model per distinct set of custom intents; tenants without any share one."""

    def __init__(self, analyzer: Analyzer, executor: ThreadPoolExecutor) -> None:
        self._analyzer = analyzer
        self._executor = executor
        self._models: dict[tuple[CustomIntentSpec, ...], asyncio.Future[IntentModel]] = {}

    async def get(self, custom: Sequence[CustomIntentSpec]) -> IntentModel:
        key = tuple(sorted(custom, key=lambda c: c.name))
        future = self._models.get(key)
        if future is None or (future.done() and future.exception() is not None):
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(self._executor, self._analyzer.train, key)
            self._models[key] = future
        return await asyncio.shield(future)


def custom_specs(rows: Sequence[asyncpg.Record]) -> list[CustomIntentSpec]:
    return [
        CustomIntentSpec(
            name=r["name"], examples=tuple(r["examples"]), keywords=tuple(r["keywords"])
        )
        for r in rows
    ]


@dataclass(frozen=True)
class _Item:
    conversation: ConversationOut
    message: MessageOut


class AiService:
    def __init__(
        self,
        pool: Pool,
        bus: EventBus,
        defaults: AiSettings,
        analyzer: Analyzer,
        executor: ThreadPoolExecutor,
    ) -> None:
        self._pool = pool
        self._bus = bus
        self._defaults = defaults
        self.analyzer = analyzer
        self._executor = executor
        self.models = IntentModels(analyzer, executor)

    async def settings(self, conn: Connection) -> AiSettingsOut:
        return await tenant_settings(conn, self._defaults)

    async def on_inbound(
        self, tenant_id: uuid.UUID, inbound: Sequence[tuple[ConversationOut, MessageOut]]
    ) -> None:
        items = [_Item(c, m) for c, m in inbound if m.text.strip()]
        if not items:
            return
        async with tenant_transaction(self._pool, tenant_id) as conn:
            cfg = await self.settings(conn)
            custom = custom_specs(await db.list_intents(conn))
            languages = await db.conversation_languages(
                conn, sorted({i.conversation.id for i in items})
            )
        if not cfg.enabled:
            return
        # Outside the transaction: a tenant's first message after an intent change trains.
        model = await self.models.get(custom)
        analyses = await asyncio.get_running_loop().run_in_executor(
            self._executor, self._analyse, items, model, cfg, languages
        )
        events: list[ServerEvent] = []
        async with tenant_transaction(self._pool, tenant_id) as conn:
            for item, analysis in zip(items, analyses, strict=True):
                events.extend(await self._store(conn, item, analysis, cfg))
        for event in events:
            await self._bus.publish(tenant_id, event)

    def _analyse(
        self,
        items: Sequence[_Item],
        model: IntentModel,
        cfg: AiSettingsOut,
        languages: dict[uuid.UUID, str],
    ) -> list[Analysis]:
        results = []
        for item in items:
            fallback = languages.get(item.conversation.id, cfg.default_language)
            analysis = self.analyzer.analyse(
                item.message.text,
                model=model,
                languages=cfg.languages,
                fallback=fallback,
                intent_threshold=cfg.intent_threshold,
            )
            # Later messages of the same batch fall back to what this one was.
            languages[item.conversation.id] = analysis.language
            results.append(analysis)
        return results

    async def _store(
        self, conn: Connection, item: _Item, analysis: Analysis, cfg: AiSettingsOut
    ) -> list[ServerEvent]:
        conversation_id = item.conversation.id
        row = await db.upsert_analysis(conn, item.message.id, conversation_id, analysis)
        scores = await db.recent_scores(conn, conversation_id, MOOD_WINDOW)
        current = mood(scores, trend_messages=cfg.trend_messages)
        mood_row = await db.upsert_mood(
            conn,
            conversation_id,
            language=analysis.language,
            score=current.score,
            label=self.analyzer.thresholds.label(current.score).value,
            trend=current.trend,
            messages=await db.analysed_count(conn, conversation_id),
        )
        events: list[ServerEvent] = [
            MessageAnalyzed(analysis=analysis_out(row), mood=mood_out(mood_row))
        ]
        fired = fired_rules(
            analysis,
            recent_scores=scores,
            waiting_minutes=await db.waiting_minutes(conn, conversation_id),
            settings=cfg,
        )
        for rule in fired:
            alert = await db.insert_alert(
                conn, conversation_id, rule.rule.value, item.message.id, rule.detail
            )
            if alert is not None:
                events.append(AlertRaised(alert=alert_out(alert)))
        if (
            analysis.intent == "human_request"
            and AlertRule.HUMAN_REQUEST_IGNORED in cfg.alert_rules
        ):
            await jobs_db.insert_job_at(
                conn,
                HUMAN_REQUEST_JOB,
                {
                    "conversation_id": str(conversation_id),
                    "message_id": str(item.message.id),
                    "requested_at": item.message.created_at.isoformat(),
                    "minutes": cfg.human_request_minutes,
                },
                datetime.now(UTC) + timedelta(minutes=cfg.human_request_minutes),
            )
        return events

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
            await self._bus.publish(job.tenant_id, AlertRaised(alert=alert_out(alert)))
