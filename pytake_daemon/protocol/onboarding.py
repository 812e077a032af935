"""The tenant's business profile and the seven-step onboarding wizard (issue 19, OB1/OB2).

``GET/PUT /api/v1/tenant/profile`` and ``/api/v1/onboarding/*``; owners and admins only.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from pytake_daemon.protocol.common import WireModel
from pytake_daemon.protocol.flows import TranscriptLine
from pytake_daemon.protocol.queues import TimeZoneName, WeeklyHours
from pytake_daemon.protocol.whatsapp import NumberOut

Segment = Literal["retail", "restaurant", "clinic", "education", "services", "other"]
SEGMENTS: tuple[Segment, ...] = ("retail", "restaurant", "clinic", "education", "services", "other")
ProfileLanguage = Literal["pt_BR", "en"]
BusinessName = Annotated[
    str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)
]


class TenantProfile(WireModel):
    """``PUT /api/v1/tenant/profile``: what describes the business."""

    business_name: BusinessName
    segment: Segment = "other"
    timezone: TimeZoneName = Field(default="UTC", description="an IANA name, America/Sao_Paulo")
    language: ProfileLanguage = "pt_BR"
    business_hours: WeeklyHours = Field(
        default_factory=dict,
        description='opening spans per weekday, {"mon": [["09:00", "18:00"]]}; unlisted: closed',
    )


class TenantProfileOut(TenantProfile):
    """The profile; ``configured`` is false (and the rest defaults) until someone saves one."""

    configured: bool
    updated_at: datetime | None = None
    updated_by: uuid.UUID | None = None


class StepName(StrEnum):
    """The wizard's steps, in order."""

    PROFILE = "profile"
    NUMBER = "number"
    TEAM = "team"
    QUEUES = "queues"
    AUTOMATION = "automation"
    DEFAULTS = "defaults"
    GO_LIVE = "go_live"


STEP_TITLES: dict[StepName, str] = {
    StepName.PROFILE: "Business profile",
    StepName.NUMBER: "WhatsApp number",
    StepName.TEAM: "Team",
    StepName.QUEUES: "Queues",
    StepName.AUTOMATION: "Automation",
    StepName.DEFAULTS: "AI and notifications",
    StepName.GO_LIVE: "Go-live check",
}


class StepStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    SKIPPED = "skipped"


class OnboardingStepOut(WireModel):
    step: StepName
    title: str
    status: StepStatus
    data: dict[str, Any] = Field(description="the step's non-secret outcome (ids, names, checks)")
    updated_by: uuid.UUID | None = None
    updated_by_name: str | None = None
    updated_at: datetime | None = None


class OnboardingState(WireModel):
    """``GET /api/v1/onboarding``: every step, in order."""

    steps: list[OnboardingStepOut]
    completed: int = Field(description="steps done or skipped")
    next_step: StepName | None = Field(description="the first step neither done nor skipped")
    finished: bool = Field(description="the go-live check passed")


class StepUpdate(WireModel):
    """``PUT /api/v1/onboarding/steps/{step}``: mark a step done, skipped, or pending again.

    ``data`` is kept as the step's outcome: never put a secret in it (the number step's secrets
    go through ``POST /api/v1/onboarding/number``)."""

    status: StepStatus
    data: dict[str, Any] = Field(default_factory=dict)


class CheckOutcome(WireModel):
    """One check of a step: its name, whether it passed, and the sentence that says why."""

    name: str
    ok: bool
    detail: str
    field: str | None = Field(default=None, description="the form field a failure is about")


class NumberSetup(WireModel):
    """``POST /api/v1/onboarding/number``: add a number, or replace its secrets (same
    phone_number_id), after Meta answers for it with that token. Secrets are write-only."""

    phone_number_id: str = Field(pattern=r"^[0-9]{1,32}$")
    waba_id: str = Field(pattern=r"^[0-9]{1,32}$")
    access_token: str = Field(min_length=1, max_length=4096)
    app_secret: str = Field(min_length=1, max_length=512)
    verify_token: str = Field(min_length=1, max_length=512)
    label: str = Field(
        default="",
        max_length=100,
        description="a name for the number; on rotation a label given renames it, blank keeps it",
    )


class NumberSetupResult(WireModel):
    """What each check said; ``number`` is set once the number is stored (Meta answered)."""

    passed: bool
    checks: list[CheckOutcome]
    number: NumberOut | None
    webhook_url: str = Field(description="what to paste into Meta's dashboard as callback URL")
    rotated: bool = Field(default=False, description="an existing number's secrets were replaced")


class WebhookInfo(WireModel):
    webhook_url: str
    public_url_set: bool = Field(description="false: server.public_url is not configured")


class SegmentFlow(WireModel):
    """A ready-made flow of a segment (``flows/segments``) and the queues its transfers name."""

    segment: str
    name: str
    description: str
    queues: list[str]


class SegmentFlowList(WireModel):
    items: list[SegmentFlow]


class QueueTemplateQuery(WireModel):
    segment: Segment | None = Field(default=None, description="default: the profile's segment")


class QueueSuggestion(WireModel):
    """A queue the segment's flow transfers to, with the profile's hours and zone."""

    name: str
    description: str
    required_skills: list[str]
    timezone: str
    business_hours: dict[str, list[tuple[str, str]]]
    exists: bool = Field(description="a queue of this name exists already")


class QueueTemplate(WireModel):
    segment: str
    items: list[QueueSuggestion]


class AutomationPublish(WireModel):
    """``POST /api/v1/onboarding/automation``: import and publish the segment's flow."""

    segment: str = Field(min_length=1, max_length=40)


class AutomationPreview(WireModel):
    """The segment flow's scripted test conversation (nothing sent to WhatsApp)."""

    segment: str
    flow_name: str
    passed: bool
    failures: list[str]
    transcript: list[TranscriptLine]


class AutomationResult(WireModel):
    flow_id: uuid.UUID
    flow_name: str
    version: int
    preview: AutomationPreview


RoundTripStage = Literal["waiting", "received", "replied", "delivered", "failed"]


class RoundTripOut(WireModel):
    """The go-live test message: the owner sends ``code`` to the number from a phone; the
    daemon replies through the number and follows the reply to sent/delivered."""

    code: str
    number: str = Field(description="the number to write to (display number or id)")
    stage: RoundTripStage
    detail: str
    started_at: datetime


class GoLiveReport(WireModel):
    """``POST /api/v1/onboarding/go-live``: every earlier step verified, the round trip, and
    a summary; ``passed`` finishes the wizard."""

    passed: bool
    checks: list[CheckOutcome]
    summary: list[str]
