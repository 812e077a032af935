"""Message templates: a local copy of each WABA's templates, synced from Meta (cursor paging),
kept current by ``message_template_status_update`` webhooks, submitted for review, and deleted
(at Meta first, then here)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import asyncpg
from pydantic import ValidationError

from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection, Pool, tenant_transaction
from pytake_daemon.errors import Conflict, NotFound
from pytake_daemon.http.api import unprocessable
from pytake_daemon.jobs.job import Job
from pytake_daemon.protocol.whatsapp import MessageTemplateOut, TemplateCreate, TemplateSyncResult
from pytake_daemon.whatsapp import db
from pytake_daemon.whatsapp.graph import GraphClient
from pytake_daemon.whatsapp.graph_models import CreateTemplateRequest, Template
from pytake_daemon.whatsapp.meta_errors import GraphError
from pytake_daemon.whatsapp.secretbox import SecretBox


@dataclass(frozen=True)
class _Account:
    waba_id: str
    access_token: str


async def _accounts(
    pool: Pool, box: SecretBox, tenant_id: uuid.UUID, number_ids: Iterable[uuid.UUID] | None
) -> list[_Account]:
    """One live number's token per WABA of the tenant (a WABA's numbers share its templates)."""
    wanted = set(number_ids) if number_ids is not None else None
    async with tenant_transaction(pool, tenant_id) as conn:
        numbers = [await db.get_number(conn, n.id) for n in await db.list_numbers(conn)]
    accounts: dict[str, _Account] = {}
    for row in numbers:
        if row is None or (wanted is not None and row["id"] not in wanted):
            continue
        accounts.setdefault(
            row["waba_id"], _Account(row["waba_id"], box.decrypt(row["access_token_enc"]))
        )
    return list(accounts.values())


async def sync_templates(
    pool: Pool,
    graph: GraphClient,
    box: SecretBox,
    tenant_id: uuid.UUID,
    *,
    number_ids: Iterable[uuid.UUID] | None = None,
) -> TemplateSyncResult:
    """Fetch every template of the tenant's WABAs and upsert the local copy."""
    created = updated = total = 0
    accounts = await _accounts(pool, box, tenant_id, number_ids)
    for account in accounts:
        fetched: list[Template] = [
            t async for t in graph.list_templates(account.waba_id, account.access_token)
        ]
        async with tenant_transaction(pool, tenant_id) as conn:
            for template in fetched:
                row = await _store(conn, account.waba_id, template)
                total += 1
                if row["created"]:
                    created += 1
                else:
                    updated += 1
    return TemplateSyncResult(
        wabas=len(accounts), templates=total, created=created, updated=updated
    )


async def _store(conn: Connection, waba_id: str, template: Template) -> asyncpg.Record:
    return await db.upsert_template(
        conn,
        waba_id=waba_id,
        meta_id=template.id,
        name=template.name,
        language=template.language,
        status=template.status or "PENDING",
        category=template.category or "UTILITY",
        parameter_format=template.parameter_format or "POSITIONAL",
        components=[c.model_dump(mode="json", exclude_none=True) for c in template.components],
        reason=_rejected_reason(template),
        synced=True,
    )


async def create_template(
    pool: Pool, graph: GraphClient, box: SecretBox, tenant_id: uuid.UUID, body: TemplateCreate
) -> MessageTemplateOut:
    """Submit a template to Meta for review and keep it locally (usually PENDING)."""
    accounts = await _accounts(pool, box, tenant_id, [body.number_id])
    if not accounts:
        raise NotFound("no such number")
    account = accounts[0]
    components = [c.model_dump(mode="json", exclude_none=True) for c in body.components]
    try:
        request = CreateTemplateRequest.model_validate(
            {
                "name": body.name,
                "language": body.language,
                "category": body.category,
                "parameter_format": body.parameter_format,
                "components": components,
            }
        )
    except ValidationError as exc:  # Meta's request model is stricter than ours somewhere
        raise unprocessable(exc, prefix="body") from None
    response = await graph.create_template(account.waba_id, account.access_token, request)
    async with tenant_transaction(pool, tenant_id) as conn:
        row = await db.upsert_template(
            conn,
            waba_id=account.waba_id,
            meta_id=response.id,
            name=body.name,
            language=body.language,
            status=response.status or "PENDING",
            category=response.category or body.category,
            parameter_format=body.parameter_format,
            components=components,
            reason=None,
            synced=False,
        )
    return rows.of(MessageTemplateOut, row)  # upsert_template's record: it also says "created"


# Meta's answer to a DELETE naming a template it does not have (error 100, this subcode): the
# template is gone there already (deleted in Meta's dashboard), so only our copy is left to go.
_NOT_AT_META = 2593002


async def delete_at_meta(
    pool: Pool, graph: GraphClient, box: SecretBox, tenant_id: uuid.UUID, template_id: uuid.UUID
) -> MessageTemplateOut:
    """Delete one template (one language) at Meta; returns it, for :func:`forget` to follow.

    Meta is asked by name *and* id (``hsm_id``): by name alone it would delete every language
    of that name. The local copy goes only after Meta said yes (or that it had none), so a
    failed call leaves both as they were.
    """
    async with tenant_transaction(pool, tenant_id) as conn:
        row = await db.get_template_by_id(conn, template_id)
    if row is None:
        raise NotFound("no such template")
    if row.meta_id is None:
        raise Conflict(f"template {row.name} has no Meta id yet: sync the templates first")
    waba_id = row.waba_id
    accounts = [a for a in await _accounts(pool, box, tenant_id, None) if a.waba_id == waba_id]
    if not accounts:
        raise Conflict(f"no number of WhatsApp Business Account {waba_id} is left to ask Meta")
    try:
        await graph.delete_template(waba_id, accounts[0].access_token, row.name, hsm_id=row.meta_id)
    except GraphError as exc:
        if not (exc.code == 100 and exc.subcode == _NOT_AT_META):
            raise
    return row


async def forget(conn: Connection, template: MessageTemplateOut) -> None:
    """Remove the local copy of a template Meta no longer has."""
    await db.delete_template(conn, template.waba_id, template.name, template.language)


class TemplateSyncJob:
    """The ``template_sync`` job: a status webhook named a template we don't have yet."""

    def __init__(self, pool: Pool, graph: GraphClient, box: SecretBox) -> None:
        self._pool = pool
        self._graph = graph
        self._box = box

    async def __call__(self, job: Job) -> None:
        number_id = uuid.UUID(job.payload["number_id"])
        await sync_templates(
            self._pool, self._graph, self._box, job.tenant_id, number_ids=[number_id]
        )


def _rejected_reason(template: Template) -> str | None:
    # Meta adds ``rejected_reason`` to rejected templates; the model keeps unknown keys.
    extra = template.model_extra or {}
    reason = extra.get("rejected_reason")
    return reason if isinstance(reason, str) and reason != "NONE" else None
