"""The wizard's steps that do more than save: the number (checked with Meta before it is
stored, then the verify-token handshake over the network) and the automation (a segment flow
imported, published and run against its scripted test conversation)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import aiohttp

from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import Conflict, NotFound, UnprocessableEntity
from pytake_daemon.flows import service as flows_service
from pytake_daemon.flows.testing import run_script
from pytake_daemon.onboarding import db
from pytake_daemon.onboarding.segments import segment_flows
from pytake_daemon.protocol.common import ProblemField
from pytake_daemon.protocol.onboarding import (
    AutomationPreview,
    AutomationResult,
    CheckOutcome,
    NumberSetup,
    StepName,
    StepStatus,
)
from pytake_daemon.protocol.whatsapp import NumberCreate, NumberOut
from pytake_daemon.system.outcomes import CheckFailed
from pytake_daemon.system.whatsapp_checks import GraphCheckFailed, number_answers, verify_handshake
from pytake_daemon.whatsapp import db as whatsapp_db
from pytake_daemon.whatsapp import numbers
from pytake_daemon.whatsapp.graph import GraphClient
from pytake_daemon.whatsapp.meta_errors import GraphError, explain
from pytake_daemon.whatsapp.secretbox import SecretBox

HANDSHAKE_TIMEOUT = 10.0
# Meta's OAuthException: the token is wrong or expired. Every other refusal of
# GET /{phone-number-id} (100: a node the token can't see) is about the id.
_TOKEN_CODES = frozenset({190, 102, 104})


@dataclass(frozen=True)
class MetaAnswer:
    display_phone_number: str
    verified_name: str | None
    checks: list[CheckOutcome]


async def ask_meta(graph: GraphClient, body: NumberSetup) -> MetaAnswer:
    """The number and its account as Meta answers them for that token; 422 naming the field
    (and Meta's own sentence) when Meta refuses."""
    label = f"number {body.phone_number_id}"
    try:
        found = await number_answers(graph, body.phone_number_id, body.access_token, label)
    except GraphCheckFailed as failed:
        field = "access_token" if failed.code in _TOKEN_CODES else "phone_number_id"
        raise _refused("graph api", str(failed), field) from None
    except CheckFailed as failed:
        raise _refused("graph api", str(failed), "phone_number_id") from None
    shown = found.display_phone_number or found.id
    name = f" ({found.verified_name})" if found.verified_name else ""
    checks = [CheckOutcome(name="graph api", ok=True, detail=f"{label} answers as {shown}{name}")]
    try:
        async for _template in graph.list_templates(body.waba_id, body.access_token, limit=1):
            break  # one page proves the token may read the account's templates
    except GraphError as exc:
        said = explain(exc.code, exc.details, message=exc.message)
        if exc.message and exc.message not in said:
            said += f" Meta says: {exc.message}"
        sentence = f"account {body.waba_id} can't be read: {said}"
        raise _refused("account", sentence, "waba_id") from None
    checks.append(
        CheckOutcome(name="account", ok=True, detail=f"account {body.waba_id} can be read")
    )
    return MetaAnswer(found.display_phone_number or "", found.verified_name, checks)


def _refused(check: str, sentence: str, field: str) -> UnprocessableEntity:
    return UnprocessableEntity(
        f"the {check} check failed: {sentence}",
        errors=[ProblemField(loc=f"body.{field}", msg=sentence, type=f"check.{check}")],
    )


async def store_number(
    conn: Connection, box: SecretBox, body: NumberSetup, answer: MetaAnswer
) -> tuple[NumberOut, bool]:
    """Add the number, or replace the secrets of the tenant's number with that id."""
    existing = await whatsapp_db.find_number(conn, body.phone_number_id)
    if existing is None:
        created = NumberCreate(
            phone_number_id=body.phone_number_id,
            waba_id=body.waba_id,
            display_phone_number=answer.display_phone_number[:40],
            label=body.label or (answer.verified_name or "")[:100],
            access_token=body.access_token,
            app_secret=body.app_secret,
            verify_token=body.verify_token,
        )
        try:
            return await numbers.add_number(conn, box, created), False
        except Conflict:  # live in another tenant: RLS hid it from find_number
            raise _refused(
                "number",
                f"phone_number_id {body.phone_number_id} is already configured elsewhere",
                "phone_number_id",
            ) from None
    row = await whatsapp_db.rotate_secrets(
        conn,
        existing["id"],
        waba_id=body.waba_id,
        access_token_enc=box.encrypt(body.access_token),
        app_secret_enc=box.encrypt(body.app_secret),
        verify_token_enc=box.encrypt(body.verify_token),
        # The form shows the label filled in and editable: what is typed there is kept (a
        # blank one keeps the current label rather than wiping it).
        label=body.label or None,
    )
    if row is None:
        raise NotFound("no such number")
    return numbers.number_out(row), True


async def handshake(base_url: str, token: str) -> CheckOutcome:
    """Meta's GET handshake with the new verify token, over the network to our own webhook."""
    timeout = aiohttp.ClientTimeout(total=HANDSHAKE_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        try:
            said = await verify_handshake(http, base_url, token)
        except CheckFailed as failed:
            return CheckOutcome(name="webhook", ok=False, detail=str(failed), field="verify_token")
    return CheckOutcome(name="webhook", ok=True, detail=said)


async def publish_segment_flow(
    conn: Connection, segment: str, *, by: uuid.UUID | None, now: datetime
) -> AutomationResult:
    """Import the segment's flow (a new version if a flow of that name exists), publish it,
    and run its scripted test conversation as the preview."""
    files = segment_flows().get(segment)
    if files is None:
        known = ", ".join(sorted(segment_flows()))
        raise UnprocessableEntity(
            f"no ready-made flow for {segment!r}",
            errors=[ProblemField(loc="body.segment", msg=f"one of: {known}", type="value")],
        )
    imported = await flows_service.import_flow(conn, files.document)
    flow = await flows_service.publish(conn, imported.id, imported.version)
    preview = await preview_segment_flow(segment)
    await db.save_step(
        conn,
        StepName.AUTOMATION,
        StepStatus.DONE,
        {"segment": segment, "flow_id": str(flow.id), "flow_name": flow.name,
         "version": flow.version, "preview_passed": preview.passed},
        by=by,
        at=now,
    )  # fmt: skip
    return AutomationResult(
        flow_id=flow.id, flow_name=flow.name, version=flow.version, preview=preview
    )


async def preview_segment_flow(segment: str) -> AutomationPreview:
    """The segment flow's test conversation, in memory (nothing reaches WhatsApp)."""
    files = segment_flows().get(segment)
    if files is None:
        known = ", ".join(sorted(segment_flows()))
        raise NotFound(f"no such ready-made flow (there are: {known})")
    result = await run_script(files.document.definition, files.script)
    return AutomationPreview(
        segment=segment,
        flow_name=files.document.name,
        passed=result.passed,
        failures=result.failures,
        transcript=result.transcript,
    )
