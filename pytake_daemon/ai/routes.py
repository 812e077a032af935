"""``/api/v1/ai/*`` and the per-conversation analysis and suggestions."""

from __future__ import annotations

from aiohttp import web

from pytake_daemon.ai import db, replies
from pytake_daemon.ai.insights import insights as build_insights
from pytake_daemon.ai.intents import BUILTIN_INTENTS
from pytake_daemon.ai.service import custom_specs
from pytake_daemon.ai.suggestions import Candidate, builtin_replies, rank
from pytake_daemon.audit.entries import difference
from pytake_daemon.audit.http import audit_in
from pytake_daemon.db.pool import tenant_transaction
from pytake_daemon.errors import Conflict, NotFound
from pytake_daemon.http.api import RouteTable, identity, path_uuid
from pytake_daemon.keys import AI, DB_POOL
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.ai import (
    AiSettingsOut,
    AiSettingsUpdate,
    AlertList,
    AlertQuery,
    ConversationAnalysis,
    Insights,
    InsightsQuery,
    IntentCreate,
    IntentList,
    IntentOut,
    IntentUpdate,
    ReplyCreate,
    ReplyKind,
    ReplyList,
    ReplyOut,
    ReplyQuery,
    ReplyUpdate,
    Suggestion,
    SuggestionList,
)

routes = RouteTable(tag="ai")

RECENT_MESSAGES = 3
"""Customer messages a suggestion is matched against."""


@routes.get(
    "/api/v1/conversations/{id}/suggestions",
    summary="Top replies for the conversation, variables filled",
    response=SuggestionList,
    errors=(404,),
)
async def conversation_suggestions(request: web.Request) -> SuggestionList:
    caller = identity(request)
    service = request.app[AI]
    conversation_id = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        context = await db.conversation_context(conn, conversation_id, RECENT_MESSAGES)
        if context is None:
            raise NotFound("no such conversation")
        cfg = await service.settings(conn)
        custom = custom_specs(await db.list_intents(conn))
        # Only what the caller may use: another agent's personal replies are never offered.
        usable = (
            await replies.usable(conn, _caller(request))
            if {"canned", "snippet"} & set(cfg.suggestion_sources)
            else []
        )
        agent = await db.user_name(conn, caller.user_id)
        mood = await db.get_mood(conn, conversation_id)
    texts: list[str] = list(context["recent_texts"] or [])
    language: str = mood.language if mood else cfg.default_language
    intent = "unknown"
    if texts:
        model = await service.models.get(custom)
        analysis = service.analyzer.analyse(
            " ".join(reversed(texts)),
            model=model,
            languages=cfg.languages,
            fallback=language,
            intent_threshold=cfg.intent_threshold,
        )
        language, intent = analysis.language, analysis.intent
    candidates = [
        Candidate(
            "canned" if r.kind is ReplyKind.CANNED else "snippet",
            r.id,
            r.title,
            r.body,
            tuple(r.intents),
            r.language,
        )
        for r in usable
        if r.kind in cfg.suggestion_sources
    ]
    if "builtin" in cfg.suggestion_sources:
        candidates.extend(builtin_replies())
    name = context["profile_name"]
    ranked = rank(
        candidates,
        intent=intent,
        language=language,
        recent_texts=texts,
        variables={
            "customer_name": name,
            "first_name": name.split()[0] if name else None,
            "agent_name": agent,
            "phone": context["wa_id"],
        },
    )
    return SuggestionList(
        intent=intent,
        language=language,
        items=[
            Suggestion(
                source=r.candidate.source,
                reply_id=r.candidate.reply_id,
                title=r.candidate.title,
                text=r.text,
                score=r.score,
                missing_variables=list(r.missing),
            )
            for r in ranked
        ],
    )


@routes.get(
    "/api/v1/conversations/{id}/analysis",
    summary="The conversation's mood and its analysed customer messages",
    response=ConversationAnalysis,
    errors=(404,),
)
async def conversation_analysis(request: web.Request) -> ConversationAnalysis:
    caller = identity(request)
    conversation_id = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        if await db.conversation_context(conn, conversation_id, 0) is None:
            raise NotFound("no such conversation")
        mood = await db.get_mood(conn, conversation_id)
        rows = await db.list_analyses(conn, conversation_id, 50)
    return ConversationAnalysis(mood=mood, items=rows)


@routes.get(
    "/api/v1/ai/alerts",
    summary="Alerts raised by the AI rules, newest first",
    operation_id="list_ai_alerts",
    query=AlertQuery,
    response=AlertList,
    role=Role.SUPERVISOR,
)
async def list_alerts(request: web.Request, query: AlertQuery) -> AlertList:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        rows = await db.list_alerts(conn, query.conversation_id, query.limit)
    return AlertList(items=rows)


@routes.get(
    "/api/v1/ai/insights",
    summary="Sentiment by day and agent, top intents, alerts, conversations turned negative",
    query=InsightsQuery,
    response=Insights,
    role=Role.SUPERVISOR,
)
async def insights(request: web.Request, query: InsightsQuery) -> Insights:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        return await build_insights(conn, query.days)


# ---- settings ---------------------------------------------------------------------------------


@routes.get("/api/v1/ai/settings", summary="The tenant's AI settings", response=AiSettingsOut)
async def get_settings(request: web.Request) -> AiSettingsOut:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        return await request.app[AI].settings(conn)


@routes.patch(
    "/api/v1/ai/settings",
    summary="Change the tenant's AI settings (effective on the next message)",
    body=AiSettingsUpdate,
    response=AiSettingsOut,
    role=Role.ADMIN,
    errors=(422,),
)
async def update_settings(request: web.Request, body: AiSettingsUpdate) -> AiSettingsOut:
    caller = identity(request)
    changes = body.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        before = await request.app[AI].settings(conn)
        await db.merge_overrides(conn, changes)
        after = await request.app[AI].settings(conn)
        await audit_in(
            request,
            conn,
            "ai.settings",
            target_type="ai_settings",
            diff=difference(before.model_dump(mode="json"), after.model_dump(mode="json")),
        )
        return after


# ---- replies ----------------------------------------------------------------------------------


def _caller(request: web.Request) -> replies.ReplyCaller:
    caller = identity(request)
    return replies.ReplyCaller(caller.user_id, caller.role)


@routes.get(
    "/api/v1/ai/replies",
    summary="The canned responses and snippets the caller may use (their own, then the team's)",
    query=ReplyQuery,
    response=ReplyList,
)
async def list_replies(request: web.Request, query: ReplyQuery) -> ReplyList:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        rows = await replies.usable(
            conn, _caller(request), shortcut_prefix=query.shortcut, scope=query.scope
        )
    return ReplyList(items=rows)


@routes.post(
    "/api/v1/ai/replies",
    summary="Add a canned response or snippet: personal (anyone) or the team's (supervisors)",
    body=ReplyCreate,
    response=ReplyOut,
    status=201,
    errors=(403, 409),
)
async def create_reply(request: web.Request, body: ReplyCreate) -> ReplyOut:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        row = await replies.create(conn, body, _caller(request))
        await audit_in(
            request,
            conn,
            "ai.reply.create",
            target_type="reply",
            target_id=row.id,
            diff=difference(None, replies.audit_view(row)),
        )
    return row


@routes.patch(
    "/api/v1/ai/replies/{id}",
    summary="Change a canned response or snippet (your own, or the team's as a supervisor)",
    body=ReplyUpdate,
    response=ReplyOut,
    errors=(403, 404, 409, 422),
)
async def update_reply(request: web.Request, body: ReplyUpdate) -> ReplyOut:
    caller = identity(request)
    reply_id = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        before, after = await replies.update(conn, reply_id, body, _caller(request))
        await audit_in(
            request,
            conn,
            "ai.reply.update",
            target_type="reply",
            target_id=reply_id,
            diff=difference(replies.audit_view(before), replies.audit_view(after)),
        )
    return after


@routes.delete(
    "/api/v1/ai/replies/{id}",
    summary="Remove a canned response or snippet (your own, or the team's as a supervisor)",
    status=204,
    errors=(403, 404),
)
async def delete_reply(request: web.Request) -> None:
    caller = identity(request)
    reply_id = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        before = await replies.delete(conn, reply_id, _caller(request))
        await audit_in(
            request,
            conn,
            "ai.reply.delete",
            target_type="reply",
            target_id=reply_id,
            diff=difference(replies.audit_view(before), None),
        )


# ---- custom intents ---------------------------------------------------------------------------


@routes.get("/api/v1/ai/intents", summary="Built-in and custom intents", response=IntentList)
async def list_intents(request: web.Request) -> IntentList:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        rows = await db.list_intents(conn)
    return IntentList(builtin=list(BUILTIN_INTENTS), custom=rows)


@routes.post(
    "/api/v1/ai/intents",
    summary="Add a custom intent (the classifier retrains on the next message)",
    body=IntentCreate,
    response=IntentOut,
    status=201,
    role=Role.ADMIN,
    errors=(409,),
)
async def create_intent(request: web.Request, body: IntentCreate) -> IntentOut:
    caller = identity(request)
    if body.name in BUILTIN_INTENTS or body.name == "unknown":
        raise Conflict(f"{body.name} is a built-in intent")
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        row = await db.insert_intent(conn, body.name, body.examples, body.keywords)
    if row is None:
        raise Conflict(f"an intent named {body.name} exists")
    return row


@routes.patch(
    "/api/v1/ai/intents/{id}",
    summary="Change a custom intent's examples or keywords",
    body=IntentUpdate,
    response=IntentOut,
    role=Role.ADMIN,
    errors=(404,),
)
async def update_intent(request: web.Request, body: IntentUpdate) -> IntentOut:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        row = await db.update_intent(conn, path_uuid(request), body.examples, body.keywords)
    if row is None:
        raise NotFound("no such intent")
    return row


@routes.delete(
    "/api/v1/ai/intents/{id}",
    summary="Remove a custom intent",
    status=204,
    role=Role.ADMIN,
    errors=(404,),
)
async def delete_intent(request: web.Request) -> None:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        if not await db.delete_intent(conn, path_uuid(request)):
            raise NotFound("no such intent")
