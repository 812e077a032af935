"""The go-live step: a test message round trip through the number, then every earlier step
verified again and a summary.

The round trip is what a customer's first message will do: the owner sends a code from a phone
to the number (Meta → our webhook → the ingest), the daemon answers through the number (the
outbox → Meta), and Meta's status callback says the answer was sent or delivered (Meta → our
webhook again). Each poll moves it one stage on; nothing waits inside a request.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import Conflict
from pytake_daemon.i18n import _, translate
from pytake_daemon.onboarding import db, service
from pytake_daemon.protocol.onboarding import (
    CheckOutcome,
    GoLiveReport,
    OnboardingState,
    RoundTripOut,
    StepName,
    StepStatus,
)
from pytake_daemon.protocol.outgoing import SendMessageRequest, TextOut
from pytake_daemon.system import db as system_db
from pytake_daemon.system.outcomes import CheckFailed
from pytake_daemon.system.whatsapp_checks import number_answers
from pytake_daemon.tenancy import profile_db
from pytake_daemon.whatsapp import db as whatsapp_db
from pytake_daemon.whatsapp.graph import GraphClient
from pytake_daemon.whatsapp.secretbox import SecretBox, SecretBoxError
from pytake_daemon.whatsapp.send_service import queue_message, window_open

_ANSWER = {
    "pt_BR": "PyTake: recebemos sua mensagem de teste. Este número está pronto para atender!",
    "en": "PyTake: your test message arrived. This number is ready for your customers!",
}
_ARRIVED = ("sent", "delivered", "read")
_ARRIVED_SAID = {
    "sent": _("the answer was sent by WhatsApp"),
    "delivered": _("the answer was delivered by WhatsApp"),
    "read": _("the answer was read on the phone"),
}


def _trip_out(trip: dict[str, Any]) -> RoundTripOut:
    # Stored in English (the step's record); said in the reader's language (the request's).
    out = {k: trip[k] for k in RoundTripOut.model_fields}
    out["detail"] = translate(out["detail"]) or out["detail"]
    return RoundTripOut.model_validate(out)


async def _go_live_data(conn: Connection) -> dict[str, Any]:
    found = next((r for r in await db.steps(conn) if r["step"] == StepName.GO_LIVE), None)
    return dict(found["data"]) if found is not None else {}


async def start_round_trip(conn: Connection, *, by: uuid.UUID | None) -> RoundTripOut:
    """A new code to send from a phone; an earlier test is forgotten."""
    numbers = await whatsapp_db.list_numbers(conn)
    if not numbers:
        raise Conflict("there is no WhatsApp number yet: add one in step 2 first")
    number = numbers[0]
    started = await db.database_now(conn)
    trip = {
        "code": f"pytake {secrets.randbelow(900_000) + 100_000}",
        "number": number.display_phone_number or number.phone_number_id,
        "stage": "waiting",
        "detail": _("waiting for the test message to arrive"),
        "started_at": started.isoformat(),
        "reply_id": None,
    }
    await db.save_step(
        conn, StepName.GO_LIVE, StepStatus.PENDING, {"round_trip": trip}, by=by, at=started
    )
    return _trip_out(trip)


async def follow_round_trip(
    conn: Connection, *, by: uuid.UUID | None, now: datetime
) -> tuple[RoundTripOut, uuid.UUID | None]:
    """Move the test one stage on; the second value is a reply just queued (wake the sender)."""
    data = await _go_live_data(conn)
    trip = data.get("round_trip")
    if not isinstance(trip, dict):
        raise Conflict("no test message is under way: start one first")
    queued: uuid.UUID | None = None
    if trip["stage"] == "waiting":
        since = datetime.fromisoformat(trip["started_at"])
        found = await db.test_message(conn, since, trip["code"])
        # The message is stored before the conversation counts it (its window opens in the
        # ingest's fan-out): answer once the window is open, as any reply must be.
        if found is not None and not window_open(found["last_inbound_at"], now):
            trip.update(detail=_("the test message arrived; opening its conversation"))
        elif found is not None:
            profile = service.profile_out(await profile_db.profile(conn), "")
            answer = SendMessageRequest(content=TextOut(body=_ANSWER[profile.language]))
            sent = await queue_message(conn, found["conversation_id"], answer, sent_by=by, now=now)
            queued = sent.message_id
            trip.update(stage="replied", reply_id=str(sent.message_id),
                        detail=_("the test message arrived; the answer is on its way"))  # fmt: skip
    elif trip["stage"] == "replied":
        state = await db.message_state(conn, uuid.UUID(trip["reply_id"]))
        if state is not None and state["status"] in _ARRIVED:
            trip.update(stage="delivered", detail=_ARRIVED_SAID[state["status"]])
        elif state is not None and state["status"] == "failed":
            why = state["error_explanation"] or state["error_title"] or _("no reason given")
            trip.update(stage="failed", detail=_("WhatsApp refused the answer: {why}", why=why))
    data["round_trip"] = trip
    await db.save_step(conn, StepName.GO_LIVE, StepStatus.PENDING, data, by=by, at=now)
    return _trip_out(trip), queued


async def go_live(
    conn: Connection,
    graph: GraphClient,
    box: SecretBox,
    *,
    by: uuid.UUID | None,
    now: datetime,
) -> GoLiveReport:
    """Verify every earlier step and the round trip; a pass finishes the wizard."""
    current = await service.state(conn)
    profile = service.profile_out(await profile_db.profile(conn), "")
    counts = await db.counts(conn)
    checks = [
        _profile_check(current, profile.configured),
        await _number_check(conn, graph, box),
        _counted(current, StepName.TEAM, counts["users"] + counts["open_invitations"] > 1,
                 _("people: {users}, invited: {invited}", users=counts["users"],
                   invited=counts["open_invitations"]),
                 _("nobody but you yet: invite someone or skip the step")),
        _counted(current, StepName.QUEUES, counts["queues"] > 0,
                 _("queues: {queues}", queues=counts["queues"]), _("no queue yet")),
        _counted(current, StepName.AUTOMATION, counts["published_flows"] > 0,
                 _("published flows: {flows}", flows=counts["published_flows"]),
                 _("no published flow")),
        _counted(current, StepName.DEFAULTS, True, _("reviewed"), ""),
    ]  # fmt: skip
    data = await _go_live_data(conn)
    trip = data.get("round_trip")
    delivered = isinstance(trip, dict) and trip["stage"] == "delivered"
    checks.append(
        CheckOutcome(
            name="round trip",
            ok=delivered,
            detail=trip["detail"] if isinstance(trip, dict) else _("no test message was sent yet"),
        )
    )
    passed = all(c.ok for c in checks)
    summary = [
        f"{profile.business_name}: {profile.segment}, {profile.timezone}, {profile.language}",
        *(f"{c.name}: {c.detail}" for c in checks),
    ]
    data.update(passed=passed, checks=[c.model_dump() for c in checks], summary=summary)
    status = StepStatus.DONE if passed else StepStatus.PENDING
    await db.save_step(conn, StepName.GO_LIVE, status, data, by=by, at=now)
    # Stored in English (the step's record); said in the reader's language (the request's).
    said = [c.model_copy(update={"detail": translate(c.detail) or c.detail}) for c in checks]
    return GoLiveReport(
        passed=passed, checks=said, summary=[summary[0], *(f"{c.name}: {c.detail}" for c in said)]
    )


def _status(current: OnboardingState, step: StepName) -> StepStatus:
    return next(s.status for s in current.steps if s.step is step)


def _profile_check(current: OnboardingState, configured: bool) -> CheckOutcome:
    ok = configured and _status(current, StepName.PROFILE) is StepStatus.DONE
    said = _("saved") if ok else _("the business profile is not saved yet (step 1)")
    return CheckOutcome(name="profile", ok=ok, detail=said)


async def _number_check(conn: Connection, graph: GraphClient, box: SecretBox) -> CheckOutcome:
    numbers = await system_db.live_numbers(conn)
    if not numbers:
        return CheckOutcome(name="number", ok=False, detail=_("no WhatsApp number yet (step 2)"))
    number = numbers[0]
    label = f"number {number.phone_number_id}"
    try:
        token = box.decrypt(number.access_token_enc)
        found = await number_answers(graph, number.phone_number_id, token, label)
    except SecretBoxError:
        detail = _("number {number}: its token can't be read", number=number.phone_number_id)
        return CheckOutcome(name="number", ok=False, detail=detail)
    except CheckFailed as failed:
        return CheckOutcome(name="number", ok=False, detail=str(failed))
    shown = found.display_phone_number or found.id
    detail = _("number {number} answers as {shown}", number=number.phone_number_id, shown=shown)
    return CheckOutcome(name="number", ok=True, detail=detail)


def _counted(
    current: OnboardingState, step: StepName, ok: bool, said: str, missing: str
) -> CheckOutcome:
    name = step.value
    status = _status(current, step)
    if status is StepStatus.SKIPPED:
        return CheckOutcome(name=name, ok=True, detail=_("skipped (come back to it any time)"))
    if status is StepStatus.PENDING:
        return CheckOutcome(name=name, ok=False, detail=_("not done yet: finish or skip it"))
    return CheckOutcome(name=name, ok=ok, detail=said if ok else missing)
