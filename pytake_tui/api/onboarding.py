"""The business profile and the onboarding wizard (owners and admins), and the Numbers page's
remove and test."""

from __future__ import annotations

import uuid
from typing import Any

from pytake_daemon.protocol.onboarding import (
    AutomationPreview,
    AutomationPublish,
    AutomationResult,
    GoLiveReport,
    NumberSetup,
    NumberSetupResult,
    OnboardingState,
    QueueTemplate,
    RoundTripOut,
    SegmentFlowList,
    StepName,
    StepStatus,
    StepUpdate,
    TenantProfile,
    TenantProfileOut,
    WebhookInfo,
)
from pytake_daemon.protocol.system import SystemChecks
from pytake_tui.api.transport import API_PREFIX, Endpoints, parse

_ONBOARDING = f"{API_PREFIX}/onboarding"
_PROFILE = f"{API_PREFIX}/tenant/profile"


class OnboardingEndpoints(Endpoints):
    """``/tenant/profile`` and ``/onboarding/*``."""

    async def tenant_profile(self) -> TenantProfileOut:
        return await self._transport.get(TenantProfileOut, _PROFILE)

    async def save_tenant_profile(self, profile: TenantProfile) -> TenantProfileOut:
        return parse(TenantProfileOut, await self._transport.send("PUT", _PROFILE, body=profile))

    async def onboarding(self) -> OnboardingState:
        """Every step of the wizard with its status, who and when."""
        return await self._transport.get(OnboardingState, _ONBOARDING)

    async def set_onboarding_step(
        self, step: StepName, status: StepStatus, data: dict[str, Any] | None = None
    ) -> OnboardingState:
        body = StepUpdate(status=status, data=data or {})
        path = f"{_ONBOARDING}/steps/{step.value}"
        return parse(OnboardingState, await self._transport.send("PUT", path, body=body))

    async def onboarding_webhook(self) -> WebhookInfo:
        return await self._transport.get(WebhookInfo, f"{_ONBOARDING}/webhook")

    async def setup_number(self, body: NumberSetup) -> NumberSetupResult:
        """Check a number with Meta, then store it (or replace its secrets); a refusal is a
        DaemonError whose ``fields`` name the field and carry Meta's sentence."""
        path = f"{_ONBOARDING}/number"
        return parse(NumberSetupResult, await self._transport.send("POST", path, body=body))

    async def segment_flows(self) -> SegmentFlowList:
        return await self._transport.get(SegmentFlowList, f"{_ONBOARDING}/segments")

    async def queue_template(self, segment: str | None = None) -> QueueTemplate:
        params = {"segment": segment} if segment else None
        return await self._transport.get(
            QueueTemplate, f"{_ONBOARDING}/queue-template", params=params
        )

    async def preview_segment_flow(self, segment: str) -> AutomationPreview:
        path = f"{_ONBOARDING}/automation/{segment}/preview"
        return await self._transport.get(AutomationPreview, path)

    async def publish_segment_flow(self, segment: str) -> AutomationResult:
        body = AutomationPublish(segment=segment)
        path = f"{_ONBOARDING}/automation"
        return parse(AutomationResult, await self._transport.send("POST", path, body=body))

    async def start_round_trip(self) -> RoundTripOut:
        path = f"{_ONBOARDING}/go-live/round-trip"
        return parse(RoundTripOut, await self._transport.send("POST", path))

    async def follow_round_trip(self) -> RoundTripOut:
        path = f"{_ONBOARDING}/go-live/round-trip/follow"
        return parse(RoundTripOut, await self._transport.send("POST", path))

    async def remove_business_number(self, number_id: uuid.UUID) -> None:
        """Stop routing a number (the Numbers page); its conversations stay readable."""
        await self._transport.send("DELETE", f"{API_PREFIX}/whatsapp/numbers/{number_id}")

    async def system_checks(self) -> SystemChecks:
        """Every connectivity check the daemon runs (the Numbers page's test reads its own)."""
        return await self._transport.get(SystemChecks, f"{API_PREFIX}/system/checks")

    async def go_live(self) -> GoLiveReport:
        return parse(GoLiveReport, await self._transport.send("POST", f"{_ONBOARDING}/go-live"))
