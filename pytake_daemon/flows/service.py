"""Flow rules shared by the API and the CLI: every stored version is valid, versions are never
changed, publishing points at one of them."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import Conflict, NotFound, UnprocessableEntity
from pytake_daemon.flows import db
from pytake_daemon.flows.validation import check_definition
from pytake_daemon.protocol import ProblemField
from pytake_daemon.protocol.flows import (
    FlowDefinition,
    FlowDocument,
    FlowOut,
    FlowProblem,
    FlowSessionOut,
    FlowStatus,
    FlowStep,
    FlowSummary,
)


class InvalidFlow(UnprocessableEntity):
    """A flow with problems; each is listed (node id, field, why)."""

    def __init__(self, problems: list[FlowProblem]) -> None:
        super().__init__(
            f"the flow has {len(problems)} problem(s): " + "; ".join(str(p) for p in problems),
            errors=[
                ProblemField(loc=f"{p.node_id or 'flow'}.{p.field}", msg=p.message, type="flow")
                for p in problems
            ],
        )
        self.problems = problems


def _checked(definition: FlowDefinition) -> dict[str, Any]:
    problems = check_definition(definition)
    if problems:
        raise InvalidFlow(problems)
    return definition.model_dump(mode="json", exclude_none=True, by_alias=True)


async def create_flow(conn: Connection, document: FlowDocument) -> FlowOut:
    stored = _checked(document.definition)
    flow_id = await db.insert_flow(conn, document.name, document.description)
    if flow_id is None:
        raise Conflict(f"a flow named {document.name!r} already exists")
    await db.insert_version(conn, flow_id, 1, stored)
    return await get_flow(conn, flow_id)


async def add_version(
    conn: Connection, flow_id: uuid.UUID, definition: FlowDefinition, description: str | None
) -> FlowOut:
    stored = _checked(definition)
    version = await db.bump_version(conn, flow_id, description)
    if version is None:
        raise NotFound("no such flow")
    await db.insert_version(conn, flow_id, version, stored)
    return await get_flow(conn, flow_id)


async def import_flow(conn: Connection, document: FlowDocument) -> FlowOut:
    """Create the flow, or add a version to the flow of the same name."""
    existing = await db.find_flow(conn, document.name)
    if existing is None:
        return await create_flow(conn, document)
    return await add_version(conn, existing["id"], document.definition, document.description)


async def publish(conn: Connection, flow_id: uuid.UUID, version: int | None) -> FlowOut:
    row = await db.get_flow(conn, flow_id)
    if row is None:
        raise NotFound("no such flow")
    chosen = version or row["latest_version"]
    if chosen > row["latest_version"]:
        raise NotFound(f"the flow has no version {chosen} (latest: {row['latest_version']})")
    await db.publish(conn, flow_id, chosen)
    return await get_flow(conn, flow_id)


async def archive(conn: Connection, flow_id: uuid.UUID) -> FlowOut:
    if await db.get_flow(conn, flow_id) is None:
        raise NotFound("no such flow")
    await db.archive(conn, flow_id)
    return await get_flow(conn, flow_id)


def summary(row: asyncpg.Record) -> FlowSummary:
    return rows.of(FlowSummary, row, status=_status(row))


def _status(row: asyncpg.Record) -> FlowStatus:
    if row["archived_at"] is not None:
        return FlowStatus.ARCHIVED
    if row["published_version"] is not None:
        return FlowStatus.PUBLISHED
    return FlowStatus.DRAFT


async def get_flow(conn: Connection, flow_id: uuid.UUID, version: int | None = None) -> FlowOut:
    row = await db.get_flow(conn, flow_id)
    if row is None:
        raise NotFound("no such flow")
    chosen = version or row["latest_version"]
    stored = await db.get_definition(conn, flow_id, chosen)
    if stored is None:
        raise NotFound(f"the flow has no version {chosen}")
    return rows.of(
        FlowOut,
        row,
        status=_status(row),
        version=chosen,
        definition=FlowDefinition.model_validate(stored),
    )


def session_out(row: asyncpg.Record, steps: list[FlowStep]) -> FlowSessionOut:
    """``db.get_session``'s row, which stays a record: the runner reads its engine state."""
    return rows.of(FlowSessionOut, row, steps=steps)
