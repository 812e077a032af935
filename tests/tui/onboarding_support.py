"""Fixed data for the onboarding wizard's snapshots: a client whose onboarding calls answer
from memory (no network), a tenant halfway through its setup."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.screen import Screen

from pytake_daemon.protocol import Me, Role
from pytake_daemon.protocol.ai import AiSettingsOut
from pytake_daemon.protocol.flows import TranscriptLine
from pytake_daemon.protocol.notifications import TenantNotificationSettings
from pytake_daemon.protocol.onboarding import (
    STEP_TITLES,
    AutomationPreview,
    OnboardingState,
    OnboardingStepOut,
    QueueSuggestion,
    QueueTemplate,
    SegmentFlow,
    SegmentFlowList,
    StepName,
    StepStatus,
    TenantProfileOut,
    WebhookInfo,
)
from pytake_daemon.protocol.queues import QueueList, QueueOut
from pytake_daemon.protocol.whatsapp import NumberList, NumberOut
from pytake_tui.client import DaemonClient
from pytake_tui.screens.onboarding import OnboardingScreen

from .identities import FIXED_AT, TENANT_ID, TOKEN_ID, USER_ID

OWNER = Me(
    user_id=USER_ID,
    email="ana@loja.test",
    name="Ana Souza",
    role=Role.OWNER,
    tenant_id=TENANT_ID,
    tenant_slug="loja",
    tenant_name="Loja da Ana",
    token_id=TOKEN_ID,
    token_expires_at=FIXED_AT.replace(year=2099),
)
HOURS = {"mon": [("09:00", "18:00")], "tue": [("09:00", "18:00")], "sat": [("09:00", "13:00")]}
PROFILE = TenantProfileOut(
    business_name="Loja da Ana",
    segment="retail",
    timezone="America/Sao_Paulo",
    language="pt_BR",
    business_hours=HOURS,
    configured=True,
    updated_at=FIXED_AT,
    updated_by=USER_ID,
)
DONE = {
    StepName.PROFILE: StepStatus.DONE,
    StepName.NUMBER: StepStatus.DONE,
    StepName.TEAM: StepStatus.SKIPPED,
}


def state() -> OnboardingState:
    steps = [
        OnboardingStepOut(
            step=step,
            title=STEP_TITLES[step],
            status=DONE.get(step, StepStatus.PENDING),
            data={},
            updated_by=USER_ID if step in DONE else None,
            updated_by_name="Ana Souza" if step in DONE else None,
            updated_at=FIXED_AT if step in DONE else None,
        )
        for step in StepName
    ]
    return OnboardingState(steps=steps, completed=3, next_step=StepName.QUEUES, finished=False)


class FixedOnboardingClient(DaemonClient):
    """The real client's surface; the calls the wizard makes answer fixed data."""

    def __init__(self) -> None:
        super().__init__("http://pytake.invalid:8420", token="fixed")

    async def onboarding(self) -> OnboardingState:
        return state()

    async def tenant_profile(self) -> TenantProfileOut:
        return PROFILE

    async def onboarding_webhook(self) -> WebhookInfo:
        return WebhookInfo(
            webhook_url="https://pytake.loja.test/api/v1/whatsapp/webhook", public_url_set=True
        )

    async def queue_template(self, segment: str | None = None) -> QueueTemplate:
        return QueueTemplate(
            segment="retail",
            items=[
                QueueSuggestion(
                    name=name,
                    description=f"Loja da Ana: {name}",
                    required_skills=[],
                    timezone="America/Sao_Paulo",
                    business_hours=HOURS,
                    exists=False,
                )
                for name in ("Pedidos", "Atendimento")
            ],
        )

    async def segment_flows(self) -> SegmentFlowList:
        return SegmentFlowList(
            items=[
                SegmentFlow(
                    segment="retail",
                    name="varejo",
                    description="Loja online",
                    queues=["Pedidos", "Atendimento"],
                ),
                SegmentFlow(
                    segment="clinic", name="clinica", description="Clínica", queues=["Agendamentos"]
                ),
            ]
        )

    async def preview_segment_flow(self, segment: str) -> AutomationPreview:
        return AutomationPreview(
            segment=segment,
            flow_name="varejo",
            passed=True,
            failures=[],
            transcript=[
                TranscriptLine(who="customer", text="Oi"),
                TranscriptLine(who="bot", text="Olá Ana! Bem-vindo(a) à nossa loja."),
                TranscriptLine(who="bot", text="Como podemos ajudar?"),
            ],
        )

    async def ai_settings(self) -> AiSettingsOut:
        return AiSettingsOut(
            enabled=True,
            languages=["pt", "en"],
            default_language="pt",
            intent_threshold=0.5,
            strongly_negative=-0.6,
            trend_messages=5,
            trend_drop=0.5,
            long_wait_minutes=10,
            human_request_minutes=5,
            alert_rules=[],
            suggestion_sources=["canned"],
        )

    async def notification_settings(self) -> TenantNotificationSettings:
        return TenantNotificationSettings()

    async def queues(self) -> QueueList:
        """Two queues made earlier: the team step offers them to scope an agent."""
        return QueueList(
            items=[
                QueueOut(id=uuid.UUID(int=0xA1 + n), name=name, department=None, waiting=0,
                         assigned=0, open_now=True, created_at=FIXED_AT, updated_at=FIXED_AT)
                for n, name in enumerate(("Vendas", "Suporte"))
            ]
        )  # fmt: skip

    async def business_numbers(self) -> NumberList:
        return NumberList(
            items=[
                NumberOut(
                    id=uuid.UUID("00000000-0000-4000-8000-0000000000b1"),
                    phone_number_id="106540352242922",
                    waba_id="102290129340398",
                    display_phone_number="+55 11 4004-0001",
                    label="Loja",
                    throughput_mps=80,
                    created_at=FIXED_AT,
                    quality_rating="GREEN",
                )
            ]
        )


class WizardApp(App[None]):
    """Only the wizard, over an empty screen."""

    def __init__(self, client: DaemonClient | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.client = client or FixedOnboardingClient()

    def on_mount(self) -> None:
        self.push_screen(OnboardingScreen(client=self.client, me=OWNER))


class PageApp(App[None]):
    """One admin page over an empty screen."""

    def __init__(self, page: Callable[[DaemonClient], Screen[None]]) -> None:
        super().__init__()
        self.client = FixedOnboardingClient()
        self._page = page

    def on_mount(self) -> None:
        self.push_screen(self._page(self.client))
