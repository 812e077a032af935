"""``/api/v1/flows``: flows and versions, validation, publishing, flow tests, sessions and their
execution logs. Supervisors read; admins change."""

from __future__ import annotations

import asyncpg
from aiohttp import web

from pytake_daemon.audit.entries import difference
from pytake_daemon.audit.http import audit_in
from pytake_daemon.db.pool import Connection, tenant_transaction
from pytake_daemon.errors import NotFound
from pytake_daemon.flows import db, service
from pytake_daemon.flows.testing import run_script
from pytake_daemon.flows.validation import check_document
from pytake_daemon.http.api import RouteTable, identity, path_uuid
from pytake_daemon.keys import DB_POOL, FLOW_HTTP, SETTINGS
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.flows import (
    FlowDocument,
    FlowList,
    FlowOut,
    FlowPublish,
    FlowSessionList,
    FlowSessionOut,
    FlowTestRequest,
    FlowTestResult,
    FlowUpdate,
    FlowValidateRequest,
    FlowValidation,
    FlowVersionQuery,
)

routes = RouteTable(tag="flows")

SESSIONS_LISTED = 50


@routes.get("/api/v1/flows", summary="Flows of the tenant", response=FlowList, role=Role.SUPERVISOR)
async def list_flows(request: web.Request) -> FlowList:
    who = identity(request)
    async with tenant_transaction(request.app[DB_POOL], who.tenant_id) as conn:
        rows = await db.list_flows(conn)
    return FlowList(items=[service.summary(r) for r in rows])


@routes.post(
    "/api/v1/flows",
    summary="Create a flow (version 1, not published); 422 lists every problem",
    body=FlowDocument,
    response=FlowOut,
    status=201,
    role=Role.ADMIN,
    errors=(409, 422),
)
async def create_flow(request: web.Request, body: FlowDocument) -> FlowOut:
    who = identity(request)
    async with tenant_transaction(request.app[DB_POOL], who.tenant_id) as conn:
        flow = await service.create_flow(conn, body)
        await _audit(request, conn, "flow.create", None, flow)
        return flow


@routes.post(
    "/api/v1/flows/validate",
    summary="Check a flow document without storing it",
    body=FlowValidateRequest,
    response=FlowValidation,
    role=Role.SUPERVISOR,
)
async def validate_flow(request: web.Request, body: FlowValidateRequest) -> FlowValidation:
    _, problems = check_document(body.document)
    return FlowValidation(valid=not problems, problems=problems)


@routes.get(
    "/api/v1/flows/{id}",
    summary="A flow with the definition of ?version= (default: the latest)",
    query=FlowVersionQuery,
    response=FlowOut,
    role=Role.SUPERVISOR,
    errors=(404,),
)
async def get_flow(request: web.Request, query: FlowVersionQuery) -> FlowOut:
    who = identity(request)
    async with tenant_transaction(request.app[DB_POOL], who.tenant_id) as conn:
        return await service.get_flow(conn, path_uuid(request), query.version)


@routes.put(
    "/api/v1/flows/{id}",
    summary="Save a new version (running sessions keep theirs)",
    body=FlowUpdate,
    response=FlowOut,
    role=Role.ADMIN,
    errors=(404, 422),
)
async def update_flow(request: web.Request, body: FlowUpdate) -> FlowOut:
    who = identity(request)
    async with tenant_transaction(request.app[DB_POOL], who.tenant_id) as conn:
        before = await db.get_flow(conn, path_uuid(request))
        flow = await service.add_version(
            conn, path_uuid(request), body.definition, body.description
        )
        await _audit(request, conn, "flow.version", before, flow)
        return flow


@routes.post(
    "/api/v1/flows/{id}/publish",
    summary="Publish a version (default: the latest); new sessions start on it",
    body=FlowPublish,
    response=FlowOut,
    role=Role.ADMIN,
    errors=(404,),
)
async def publish_flow(request: web.Request, body: FlowPublish) -> FlowOut:
    who = identity(request)
    async with tenant_transaction(request.app[DB_POOL], who.tenant_id) as conn:
        before = await db.get_flow(conn, path_uuid(request))
        flow = await service.publish(conn, path_uuid(request), body.version)
        await _audit(request, conn, "flow.publish", before, flow)
        return flow


@routes.post(
    "/api/v1/flows/{id}/archive",
    summary="Stop starting new sessions of this flow (running ones finish)",
    response=FlowOut,
    role=Role.ADMIN,
    errors=(404,),
)
async def archive_flow(request: web.Request) -> FlowOut:
    who = identity(request)
    async with tenant_transaction(request.app[DB_POOL], who.tenant_id) as conn:
        before = await db.get_flow(conn, path_uuid(request))
        flow = await service.archive(conn, path_uuid(request))
        await _audit(request, conn, "flow.archive", before, flow)
        return flow


@routes.post(
    "/api/v1/flows/{id}/test",
    summary="Run a scripted conversation against a version; nothing is sent to WhatsApp",
    body=FlowTestRequest,
    response=FlowTestResult,
    role=Role.SUPERVISOR,
    errors=(404,),
)
async def test_flow(request: web.Request, body: FlowTestRequest) -> FlowTestResult:
    who = identity(request)
    async with tenant_transaction(request.app[DB_POOL], who.tenant_id) as conn:
        flow = await service.get_flow(conn, path_uuid(request), body.version)
    return await run_script(
        flow.definition,
        body.script,
        http=request.app[FLOW_HTTP],
        max_steps=request.app[SETTINGS].flows.max_steps_per_message,
    )


@routes.get(
    "/api/v1/flows/{id}/sessions",
    summary="The flow's latest sessions (without steps)",
    response=FlowSessionList,
    role=Role.SUPERVISOR,
    errors=(404,),
)
async def list_sessions(request: web.Request) -> FlowSessionList:
    who = identity(request)
    flow_id = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], who.tenant_id) as conn:
        if await db.get_flow(conn, flow_id) is None:
            raise NotFound("no such flow")
        rows = await db.list_sessions(conn, flow_id, SESSIONS_LISTED)
    return FlowSessionList(items=rows)


@routes.get(
    "/api/v1/flow-sessions/{id}",
    summary="A session with its execution log (every step)",
    response=FlowSessionOut,
    role=Role.AGENT,
    errors=(404,),
)
async def get_session(request: web.Request) -> FlowSessionOut:
    who = identity(request)
    session_id = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], who.tenant_id) as conn:
        row = await db.get_session(conn, session_id)
        if row is None:
            raise NotFound("no such flow session")
        steps = await db.steps(conn, session_id)
    return service.session_out(row, steps)


_AUDITED_FIELDS = ("name", "description", "status", "latest_version", "published_version")


async def _audit(
    request: web.Request,
    conn: Connection,
    action: str,
    before: asyncpg.Record | None,
    flow: FlowOut,
) -> None:
    """Record a flow change with what moved (status and versions; definitions are versioned)."""
    fields = set(_AUDITED_FIELDS)
    old = (
        None if before is None else service.summary(before).model_dump(mode="json", include=fields)
    )
    new = flow.model_dump(mode="json", include=fields)
    await audit_in(
        request, conn, action, target_type="flow", target_id=flow.id, diff=difference(old, new)
    )
