"""The business profile and the wizard's state: rules shared by the routes and the steps."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from pytake_daemon.attendance import queues_db
from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import UnprocessableEntity
from pytake_daemon.onboarding import db
from pytake_daemon.onboarding.segments import segment_flows
from pytake_daemon.protocol.onboarding import (
    STEP_TITLES,
    OnboardingState,
    OnboardingStepOut,
    QueueSuggestion,
    QueueTemplate,
    StepName,
    StepStatus,
    TenantProfile,
    TenantProfileOut,
)
from pytake_daemon.tenancy import profile_db

DEFAULT_PROFILE = TenantProfile(business_name="-", segment="other", timezone="UTC")
# A step's outcome is a few ids and sentences; a bigger one is a client's mistake.
_MAX_DATA_BYTES = 16_384


def profile_out(row: asyncpg.Record | None, tenant_name: str) -> TenantProfileOut:
    """The saved profile, or the defaults (named after the tenant) before any save."""
    if row is None:
        return TenantProfileOut(
            **DEFAULT_PROFILE.model_dump(exclude={"business_name"}),
            business_name=tenant_name or "-",
            configured=False,
        )
    return rows.of(
        TenantProfileOut,
        row,
        business_hours={d: [tuple(s) for s in spans] for d, spans in row["business_hours"].items()},
        configured=True,
    )


async def save_profile(
    conn: Connection, body: TenantProfile, *, by: uuid.UUID | None, now: datetime
) -> TenantProfileOut:
    """Save the profile; the wizard's first step is done with it."""
    row = await profile_db.save_profile(
        conn,
        business_name=body.business_name,
        segment=body.segment,
        timezone=body.timezone,
        language=body.language,
        business_hours={d: [list(s) for s in spans] for d, spans in body.business_hours.items()},
        by=by,
    )
    summary = {"business_name": body.business_name, "segment": body.segment,
               "timezone": body.timezone, "language": body.language}  # fmt: skip
    await db.save_step(conn, StepName.PROFILE, StepStatus.DONE, summary, by=by, at=now)
    return profile_out(row, body.business_name)


async def state(conn: Connection) -> OnboardingState:
    """Every step in order; an untouched one is pending."""
    touched = {row["step"]: row for row in await db.steps(conn)}
    steps: list[OnboardingStepOut] = []
    for name in StepName:
        row = touched.get(name.value)
        title = STEP_TITLES[name]
        steps.append(
            rows.of(OnboardingStepOut, row, step=name, title=title)
            if row
            else OnboardingStepOut(step=name, title=title, status=StepStatus.PENDING, data={})
        )
    completed = [s for s in steps if s.status is not StepStatus.PENDING]
    upcoming = next((s.step for s in steps if s.status is StepStatus.PENDING), None)
    go_live = steps[-1]
    return OnboardingState(
        steps=steps,
        completed=len(completed),
        next_step=upcoming,
        finished=go_live.status is StepStatus.DONE and bool(go_live.data.get("passed")),
    )


async def set_step(
    conn: Connection,
    step: StepName,
    status: StepStatus,
    data: dict[str, Any],
    *,
    by: uuid.UUID | None,
    now: datetime,
) -> None:
    """Mark a step done, skipped or pending again (its data is what the console shows)."""
    if step is StepName.GO_LIVE and status is StepStatus.DONE:
        # Only a passing check finishes the wizard (POST /api/v1/onboarding/go-live).
        raise UnprocessableEntity("the go-live step is done by running the go-live check")
    if len(repr(data)) > _MAX_DATA_BYTES:
        raise UnprocessableEntity(f"a step's data is at most {_MAX_DATA_BYTES} characters")
    await db.save_step(conn, step, status, data, by=by, at=now)


async def queue_template(conn: Connection, segment: str | None, tenant_name: str) -> QueueTemplate:
    """The queues the segment's flow transfers to, with the profile's zone and hours."""
    profile = profile_out(await profile_db.profile(conn), tenant_name)
    chosen = segment or profile.segment
    flows = segment_flows()
    existing = {row["name"] for row in await queues_db.list_queues(conn)}
    if chosen in flows:
        names = flows[chosen].summary().queues
    else:  # "other": one general queue
        names = ["Atendimento" if profile.language == "pt_BR" else "Support"]
    return QueueTemplate(
        segment=chosen,
        items=[
            QueueSuggestion(
                name=name,
                description=f"{profile.business_name}: {name}",
                required_skills=[],
                timezone=profile.timezone,
                business_hours=profile.business_hours,
                exists=name in existing,
            )
            for name in names
        ],
    )
