"""A scripted client with fixed AI insights and settings, and an app signed in on it."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from textual.pilot import Pilot

from pytake_daemon.protocol import EventEnvelope, Me
from pytake_daemon.protocol.ai import (
    AgentMood,
    AiSettingsOut,
    AiSettingsUpdate,
    AlertRule,
    DayMood,
    Insights,
    LabelCounts,
    NamedCount,
    QueueMood,
    TurnedNegative,
)
from pytake_tui import PyTakeApp, build_app
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.screens.insights import InsightsScreen

from .fake_daemon import ScriptedClient, hello_envelope
from .fake_world import FakeWorld, demo_world
from .helpers import wait_until
from .identities import ALICE_EMAIL, FAR_FUTURE, FIXED_AT

SERVER = "http://pytake.invalid:8420"
ANA_CONVERSATION = uuid.UUID("00000000-0000-4000-8000-c00000000001")
"""Ana Souza's conversation in :func:`demo_world`."""


def demo_insights(days: int = 7) -> Insights:
    """A week of a small tenant: two queues, two agents and the unassigned, a few alerts."""
    today = FIXED_AT.date()
    by_day = [
        DayMood(
            day=today - timedelta(days=6 - i),
            average=average,
            counts=LabelCounts(positive=p, neutral=n, negative=neg),
        )
        for i, (average, p, n, neg) in enumerate(
            [
                (0.31, 12, 6, 2),
                (0.22, 10, 8, 4),
                (0.05, 7, 9, 7),
                (-0.18, 4, 7, 11),
                (-0.05, 6, 8, 8),
                (0.12, 9, 7, 5),
                (0.26, 11, 5, 3),
            ]
        )
    ]
    return Insights(
        days=days,
        distribution=LabelCounts(positive=59, neutral=50, negative=40),
        by_day=by_day,
        by_agent=[
            AgentMood(
                agent_id=uuid.UUID(int=11), agent_name="Bruno Agent", average=0.21, messages=64
            ),
            AgentMood(
                agent_id=uuid.UUID(int=12), agent_name="Carla Lead", average=-0.08, messages=51
            ),
            AgentMood(agent_id=None, agent_name=None, average=-0.32, messages=34),
        ],
        by_queue=[
            QueueMood(queue_id=uuid.UUID(int=21), queue_name="Billing", average=-0.12, messages=58),
            QueueMood(queue_id=uuid.UUID(int=22), queue_name="Sales", average=0.34, messages=40),
        ],
        top_intents=[
            NamedCount(name="order_status", count=38),
            NamedCount(name="billing", count=27),
            NamedCount(name="complaint", count=19),
            NamedCount(name="thanks", count=17),
            NamedCount(name="cancel", count=9),
        ],
        alerts_by_rule=[
            NamedCount(name=AlertRule.STRONGLY_NEGATIVE.value, count=7),
            NamedCount(name=AlertRule.CANCEL_OR_COMPLAINT.value, count=5),
            NamedCount(name=AlertRule.WORSENING_TREND.value, count=2),
        ],
        turned_negative=[
            TurnedNegative(
                conversation_id=ANA_CONVERSATION,
                contact_name="Ana Souza",
                score=-0.61,
                since=FIXED_AT - timedelta(minutes=25),
            ),
            TurnedNegative(
                conversation_id=uuid.UUID(int=31),
                contact_name=None,
                score=-0.22,
                since=FIXED_AT - timedelta(days=2, hours=3),
            ),
        ],
    )


def empty_insights(days: int = 7) -> Insights:
    return Insights(
        days=days,
        distribution=LabelCounts(),
        by_day=[],
        by_agent=[],
        by_queue=[],
        top_intents=[],
        alerts_by_rule=[],
        turned_negative=[],
    )


def default_settings() -> AiSettingsOut:
    return AiSettingsOut(
        enabled=True,
        languages=["pt", "en"],
        default_language="pt",
        intent_threshold=0.3,
        strongly_negative=-0.6,
        trend_messages=3,
        trend_drop=0.8,
        long_wait_minutes=15,
        human_request_minutes=5,
        alert_rules=list(AlertRule),
        suggestion_sources=["canned", "snippet", "builtin"],
    )


class AiClient(ScriptedClient):
    """ScriptedClient plus the AI endpoints: insights per period, settings kept in memory."""

    def __init__(
        self,
        server: str,
        envelopes: list[EventEnvelope],
        world: FakeWorld,
        me: Me | None,
        insights: Insights,
    ) -> None:
        super().__init__(server, envelopes, world, me)
        self.insights = insights
        self.insight_requests: list[int] = []
        self.settings = default_settings()
        self.updates: list[AiSettingsUpdate] = []
        self.fail_insights: DaemonError | None = None

    async def ai_insights(self, days: int) -> Insights:
        self.insight_requests.append(days)
        if self.fail_insights is not None:
            raise self.fail_insights
        return self.insights.model_copy(update={"days": days})

    async def ai_settings(self) -> AiSettingsOut:
        return self.settings

    async def update_ai_settings(self, update: AiSettingsUpdate) -> AiSettingsOut:
        self.updates.append(update)
        merged = self.settings.model_dump() | update.model_dump(exclude_unset=True)
        try:
            self.settings = AiSettingsOut.model_validate(merged)
        except ValidationError as error:
            raise DaemonError(422, "Unprocessable Content", str(error.errors()[0]["msg"])) from None
        return self.settings


def ai_app(
    tmp: Path,
    insights: Insights | None = None,
    *,
    envelopes: list[EventEnvelope] | None = None,
    me: Me | None = None,
) -> PyTakeApp:
    """An app resumed from a saved session on the demo inbox, with AI endpoints."""
    credentials = tmp / "config" / "credentials.json"
    CredentialStore(credentials).save(
        SavedSession(server=SERVER, token="saved", expires_at=FAR_FUTURE, email=ALICE_EMAIL)
    )
    stream = envelopes or [hello_envelope(1)]
    world = demo_world()

    def client(server: str) -> DaemonClient:
        return AiClient(server, stream, world, me, insights or demo_insights())

    return build_app(
        server=SERVER,
        credentials_path=credentials,
        client_factory=client,
        clock=lambda: FIXED_AT,
        downloads_dir=tmp / "downloads",
    )


def ai_client(pilot: Pilot[Any]) -> AiClient:
    client = running_app(pilot).client
    assert isinstance(client, AiClient)
    return client


def running_app(pilot: Pilot[Any]) -> PyTakeApp:
    assert isinstance(pilot.app, PyTakeApp)
    return pilot.app


async def signed_in(pilot: Pilot[Any]) -> None:
    await wait_until(pilot, lambda: running_app(pilot).client is not None, "the session")


async def insights_ready(pilot: Pilot[Any]) -> InsightsScreen:
    """Go to f6 and wait for the first answer to be shown."""
    await signed_in(pilot)
    await pilot.press("f6")
    await wait_until(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, InsightsScreen) and pilot.app.screen.insights is not None
        ),
        "the insights",
    )
    screen = pilot.app.screen
    assert isinstance(screen, InsightsScreen)
    await pilot.pause()
    return screen
