"""``/api/v1/tenant/profile`` and ``/api/v1/onboarding/*``: the business profile and the
seven-step wizard, whose state is the server's so another admin can continue it.

Everyone reads the profile; owners and admins change it and drive the wizard.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from aiohttp import web

from pytake_daemon.audit.entries import difference
from pytake_daemon.audit.http import audit_in
from pytake_daemon.db.pool import tenant_transaction
from pytake_daemon.errors import NotFound
from pytake_daemon.http.api import RouteTable, identity
from pytake_daemon.keys import (
    DB_POOL,
    EVENT_BUS,
    GRAPH,
    SECRET_BOX,
    SENDER,
    SETTINGS,
    WEBHOOK_ROUTING,
)
from pytake_daemon.onboarding import db, golive, service, setup
from pytake_daemon.onboarding.segments import segment_flows
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.onboarding import (
    AutomationPreview,
    AutomationPublish,
    AutomationResult,
    GoLiveReport,
    NumberSetup,
    NumberSetupResult,
    OnboardingState,
    QueueTemplate,
    QueueTemplateQuery,
    RoundTripOut,
    SegmentFlowList,
    StepName,
    StepStatus,
    StepUpdate,
    TenantProfile,
    TenantProfileOut,
    WebhookInfo,
)
from pytake_daemon.protocol.whatsapp import NumberChanged
from pytake_daemon.system.whatsapp_checks import webhook_url
from pytake_daemon.tenancy import db as tenancy_db
from pytake_daemon.tenancy import profile_db

routes = RouteTable(tag="onboarding")

Clock = Callable[[], datetime]
# Owned here (nothing else needs it); tests pin the time steps are stamped with.
ONBOARDING_CLOCK = web.AppKey[Clock]("onboarding_clock")


def _now(request: web.Request) -> datetime:
    clock = request.app.get(ONBOARDING_CLOCK)
    return clock() if clock is not None else datetime.now(UTC)


def _base_url(request: web.Request) -> tuple[str, bool]:
    """Where Meta reaches us: ``server.public_url``, else the address this request came to."""
    public = request.app[SETTINGS].server.public_url
    return (public, True) if public else (str(request.url.origin()), False)


@routes.get(
    "/api/v1/tenant/profile",
    summary="The business profile: name, segment, time zone, language, business hours",
    response=TenantProfileOut,
)
async def get_profile(request: web.Request) -> TenantProfileOut:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        tenant = await tenancy_db.current_tenant(conn)
        row = await profile_db.profile(conn)
    return service.profile_out(row, tenant.name if tenant else "")


@routes.put(
    "/api/v1/tenant/profile",
    summary="Save the business profile (the wizard's first step)",
    body=TenantProfile,
    response=TenantProfileOut,
    role=Role.ADMIN,
    errors=(422,),
)
async def put_profile(request: web.Request, body: TenantProfile) -> TenantProfileOut:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        tenant = await tenancy_db.current_tenant(conn)
        before = service.profile_out(await profile_db.profile(conn), tenant.name if tenant else "")
        saved = await service.save_profile(conn, body, by=caller.user_id, now=_now(request))
        fields = set(TenantProfile.model_fields)
        await audit_in(
            request,
            conn,
            "tenant.profile",
            target_type="tenant",
            target_id=caller.tenant_id,
            diff=difference(
                before.model_dump(mode="json", include=fields) if before.configured else None,
                saved.model_dump(mode="json", include=fields),
            ),
        )
    return saved


@routes.get(
    "/api/v1/onboarding",
    summary="The onboarding wizard's seven steps: status, who and when, each step's outcome",
    response=OnboardingState,
    role=Role.ADMIN,
)
async def get_state(request: web.Request) -> OnboardingState:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        return await service.state(conn)


@routes.put(
    "/api/v1/onboarding/steps/{step}",
    summary="Mark a step done, skipped or pending again (the go-live step only by its check)",
    body=StepUpdate,
    response=OnboardingState,
    role=Role.ADMIN,
    errors=(404, 422),
)
async def put_step(request: web.Request, body: StepUpdate) -> OnboardingState:
    caller = identity(request)
    try:
        step = StepName(request.match_info["step"])
    except ValueError:
        # The same words for any unknown name (the isolation sweep sends ids here).
        raise NotFound(
            "no such step: profile, number, team, queues, automation, defaults or go_live"
        ) from None
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        await service.set_step(
            conn, step, body.status, body.data, by=caller.user_id, now=_now(request)
        )
        await audit_in(
            request, conn, "onboarding.step", target_type="onboarding", target_id=step.value,
            diff={"status": {"after": body.status.value}},
        )  # fmt: skip
        return await service.state(conn)


@routes.get(
    "/api/v1/onboarding/webhook",
    summary="The webhook address to paste into Meta's dashboard",
    response=WebhookInfo,
    role=Role.ADMIN,
)
async def get_webhook(request: web.Request) -> WebhookInfo:
    base, public = _base_url(request)
    return WebhookInfo(webhook_url=webhook_url(base), public_url_set=public)


@routes.post(
    "/api/v1/onboarding/number",
    summary="Check a number with Meta (its id, account and token), store it or replace its "
    "secrets, then try Meta's verify-token handshake on our webhook; 422 names the field",
    body=NumberSetup,
    response=NumberSetupResult,
    role=Role.ADMIN,
    errors=(422,),
)
async def setup_number(request: web.Request, body: NumberSetup) -> NumberSetupResult:
    caller = identity(request)
    app = request.app
    answer = await setup.ask_meta(app[GRAPH], body)  # before any write: Meta must answer
    async with tenant_transaction(app[DB_POOL], caller.tenant_id) as conn:
        number, rotated = await setup.store_number(conn, app[SECRET_BOX], body, answer)
        await audit_in(
            request,
            conn,
            "number.rotate" if rotated else "number.add",
            target_type="number",
            target_id=number.id,
            diff={"phone_number_id": {"after": number.phone_number_id},
                  "waba_id": {"after": number.waba_id}, "label": {"after": number.label}},
        )  # fmt: skip
    await app[WEBHOOK_ROUTING].refresh()
    changed = NumberChanged(number_id=number.id, phone_number_id=number.phone_number_id)
    await app[EVENT_BUS].publish(caller.tenant_id, changed)  # the admins' Numbers pages
    base, _public = _base_url(request)
    checks = [*answer.checks, await setup.handshake(base, body.verify_token)]
    passed = all(c.ok for c in checks)
    data = {
        "phone_number_id": number.phone_number_id,
        "waba_id": number.waba_id,
        "display_phone_number": number.display_phone_number,
        "webhook_url": webhook_url(base),
        "checks": [c.model_dump() for c in checks],
    }
    async with tenant_transaction(app[DB_POOL], caller.tenant_id) as conn:
        status = StepStatus.DONE if passed else StepStatus.PENDING
        await db.save_step(conn, StepName.NUMBER, status, data, by=caller.user_id, at=_now(request))
    return NumberSetupResult(
        passed=passed, checks=checks, number=number, webhook_url=webhook_url(base), rotated=rotated
    )


@routes.get(
    "/api/v1/onboarding/segments",
    summary="The ready-made segment flows and the queues each transfers to",
    response=SegmentFlowList,
    role=Role.ADMIN,
)
async def list_segments(request: web.Request) -> SegmentFlowList:
    return SegmentFlowList(items=[f.summary() for f in segment_flows().values()])


@routes.get(
    "/api/v1/onboarding/queue-template",
    summary="Queues for a segment (default: the profile's), with the profile's hours and zone",
    query=QueueTemplateQuery,
    response=QueueTemplate,
    role=Role.ADMIN,
)
async def queue_template(request: web.Request, query: QueueTemplateQuery) -> QueueTemplate:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        tenant = await tenancy_db.current_tenant(conn)
        return await service.queue_template(conn, query.segment, tenant.name if tenant else "")


@routes.get(
    "/api/v1/onboarding/automation/{segment}/preview",
    summary="A segment flow's scripted test conversation (nothing is sent)",
    response=AutomationPreview,
    role=Role.ADMIN,
    errors=(404,),
)
async def preview_automation(request: web.Request) -> AutomationPreview:
    return await setup.preview_segment_flow(request.match_info["segment"])


@routes.post(
    "/api/v1/onboarding/automation",
    summary="Import and publish a segment's ready-made flow; returns its test conversation",
    body=AutomationPublish,
    response=AutomationResult,
    role=Role.ADMIN,
    errors=(422,),
)
async def publish_automation(request: web.Request, body: AutomationPublish) -> AutomationResult:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        result = await setup.publish_segment_flow(
            conn, body.segment, by=caller.user_id, now=_now(request)
        )
        await audit_in(
            request, conn, "flow.publish", target_type="flow", target_id=result.flow_id,
            diff={"version": {"after": result.version}},
        )  # fmt: skip
    return result


@routes.post(
    "/api/v1/onboarding/go-live/round-trip",
    summary="Start the test message: send the returned code to the number from a phone",
    response=RoundTripOut,
    status=201,
    role=Role.ADMIN,
    errors=(409,),
)
async def start_round_trip(request: web.Request) -> RoundTripOut:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        return await golive.start_round_trip(conn, by=caller.user_id)


@routes.post(
    "/api/v1/onboarding/go-live/round-trip/follow",
    summary="Move the test message on: arrived → answered through the number → sent/delivered",
    response=RoundTripOut,
    role=Role.ADMIN,
    errors=(409,),
)
async def follow_round_trip(request: web.Request) -> RoundTripOut:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        trip, queued = await golive.follow_round_trip(
            conn, by=caller.user_id, now=datetime.now(UTC)
        )
    if queued is not None:
        request.app[SENDER].wake()
    return trip


@routes.post(
    "/api/v1/onboarding/go-live",
    summary="The go-live check: every earlier step verified, the round trip, a summary",
    response=GoLiveReport,
    role=Role.ADMIN,
)
async def go_live(request: web.Request) -> GoLiveReport:
    caller = identity(request)
    app = request.app
    async with tenant_transaction(app[DB_POOL], caller.tenant_id) as conn:
        return await golive.go_live(
            conn, app[GRAPH], app[SECRET_BOX], by=caller.user_id, now=_now(request)
        )
