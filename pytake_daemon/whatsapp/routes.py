"""``/api/v1/whatsapp/numbers`` and ``/api/v1/whatsapp/templates``."""

from __future__ import annotations

from aiohttp import web

from pytake_daemon.audit.entries import difference
from pytake_daemon.audit.http import actor_of, audit_in, audit_now
from pytake_daemon.db.pool import tenant_transaction
from pytake_daemon.errors import BadGateway
from pytake_daemon.http.api import RouteTable, identity, path_uuid
from pytake_daemon.keys import DB_POOL, EVENT_BUS, GRAPH, SECRET_BOX, WEBHOOK_ROUTING
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.audit import Outcome
from pytake_daemon.protocol.whatsapp import (
    MessageTemplateOut,
    NumberChanged,
    NumberCreate,
    NumberList,
    NumberOut,
    TemplateChanged,
    TemplateCreate,
    TemplateList,
    TemplateQuery,
    TemplateSyncResult,
)
from pytake_daemon.whatsapp import db, numbers, templates
from pytake_daemon.whatsapp.meta_errors import GraphError, explain

routes = RouteTable(tag="whatsapp")


def _audited(number: NumberOut) -> dict[str, object]:
    return number.model_dump(
        mode="json", include={"phone_number_id", "waba_id", "display_phone_number", "label"}
    )


@routes.get(
    "/api/v1/whatsapp/numbers",
    summary="The tenant's WhatsApp business numbers (secrets are never returned)",
    response=NumberList,
)
async def list_numbers(request: web.Request) -> NumberList:
    who = identity(request)
    async with tenant_transaction(request.app[DB_POOL], who.tenant_id) as conn:
        return NumberList(items=await numbers.list_numbers(conn))


@routes.post(
    "/api/v1/whatsapp/numbers",
    summary="Add a number (its token and secrets are encrypted at rest)",
    body=NumberCreate,
    response=NumberOut,
    status=201,
    role=Role.ADMIN,
    errors=(409,),
)
async def add_number(request: web.Request, body: NumberCreate) -> NumberOut:
    who = identity(request)
    async with tenant_transaction(request.app[DB_POOL], who.tenant_id) as conn:
        number = await numbers.add_number(conn, request.app[SECRET_BOX], body)
        await audit_in(
            request,
            conn,
            "number.add",
            target_type="number",
            target_id=number.id,
            diff=difference(None, _audited(number)),
        )
    await request.app[WEBHOOK_ROUTING].refresh()
    # The admins' Numbers pages read them again (as after the onboarding's number step).
    changed = NumberChanged(number_id=number.id, phone_number_id=number.phone_number_id)
    await request.app[EVENT_BUS].publish(who.tenant_id, changed)
    return number


@routes.delete(
    "/api/v1/whatsapp/numbers/{id}",
    summary="Stop routing a number (by id or phone_number_id); history stays",
    role=Role.ADMIN,
    errors=(404,),
)
async def remove_number(request: web.Request) -> None:
    who = identity(request)
    async with tenant_transaction(request.app[DB_POOL], who.tenant_id) as conn:
        removed = await numbers.remove_number(conn, request.match_info["id"])
        await audit_in(
            request,
            conn,
            "number.remove",
            target_type="number",
            target_id=removed.id,
            diff=difference(_audited(removed), None),
        )
    await request.app[WEBHOOK_ROUTING].refresh()
    gone = NumberChanged(
        number_id=removed.id, phone_number_id=removed.phone_number_id, removed=True
    )
    await request.app[EVENT_BUS].publish(who.tenant_id, gone)


@routes.get(
    "/api/v1/whatsapp/templates",
    summary="Templates of the tenant's WABAs (filters: status, category, language, name)",
    query=TemplateQuery,
    response=TemplateList,
)
async def list_templates(request: web.Request, query: TemplateQuery) -> TemplateList:
    who = identity(request)
    async with tenant_transaction(request.app[DB_POOL], who.tenant_id) as conn:
        rows = await db.list_templates(
            conn,
            status=query.status,
            category=query.category,
            language=query.language,
            name=query.name,
            waba_id=query.waba_id,
        )
    return TemplateList(items=rows)


@routes.post(
    "/api/v1/whatsapp/templates",
    summary="Submit a template to Meta for review (it starts PENDING)",
    body=TemplateCreate,
    response=MessageTemplateOut,
    status=201,
    role=Role.ADMIN,
    errors=(404, 502),
)
async def create_template(request: web.Request, body: TemplateCreate) -> MessageTemplateOut:
    who = identity(request)
    app = request.app
    try:
        template = await templates.create_template(
            app[DB_POOL], app[GRAPH], app[SECRET_BOX], who.tenant_id, body
        )
    except GraphError as exc:
        raise BadGateway(explain(exc.code, exc.details, message=exc.message)) from None
    # The template module commits its own transaction around Meta's call; recorded right after.
    await audit_now(
        request,
        who.tenant_id,
        "template.submit",
        outcome=Outcome.SUCCESS,
        actor=actor_of(who),
        target_type="template",
        target_id=template.id,
    )
    await app[EVENT_BUS].publish(who.tenant_id, _changed(template))
    return template


def _changed(template: MessageTemplateOut, *, removed: bool = False) -> TemplateChanged:
    """What the admins' pages are told after the commit (they read the templates again)."""
    return TemplateChanged(
        template_id=template.id, name=template.name, language=template.language, removed=removed
    )


# What the audit keeps of a deleted template (its components are Meta's to keep).
_TEMPLATE_AUDITED = {"waba_id", "meta_id", "name", "language", "status", "category"}


@routes.delete(
    "/api/v1/whatsapp/templates/{id}",
    summary="Delete a template (this language) at Meta, then the local copy",
    response=MessageTemplateOut,
    role=Role.ADMIN,
    errors=(404, 409, 502),
)
async def delete_template(request: web.Request) -> MessageTemplateOut:
    who = identity(request)
    app = request.app
    try:
        template = await templates.delete_at_meta(
            app[DB_POOL], app[GRAPH], app[SECRET_BOX], who.tenant_id, path_uuid(request)
        )
    except GraphError as exc:
        raise BadGateway(explain(exc.code, exc.details, message=exc.message)) from None
    async with tenant_transaction(app[DB_POOL], who.tenant_id) as conn:
        await templates.forget(conn, template)
        await audit_in(
            request,
            conn,
            "template.delete",
            target_type="template",
            target_id=template.id,
            diff=difference(template.model_dump(mode="json", include=_TEMPLATE_AUDITED), None),
        )
    await app[EVENT_BUS].publish(who.tenant_id, _changed(template, removed=True))
    return template


@routes.post(
    "/api/v1/whatsapp/templates/sync",
    summary="Fetch every template of the tenant's WABAs from Meta now",
    response=TemplateSyncResult,
    role=Role.ADMIN,
    errors=(502,),
)
async def sync_templates(request: web.Request) -> TemplateSyncResult:
    who = identity(request)
    app = request.app
    try:
        result = await templates.sync_templates(
            app[DB_POOL], app[GRAPH], app[SECRET_BOX], who.tenant_id
        )
    except GraphError as exc:
        raise BadGateway(explain(exc.code, exc.details, message=exc.message)) from None
    await app[EVENT_BUS].publish(who.tenant_id, TemplateChanged(template_id=None))
    return result
