"""Read a tenant's configuration, each collection through its own domain's SQL, and write it as
the document: fields in the models' order, collections sorted by natural key, so the same
configuration always gives the same bytes (a round trip through another tenant included)."""

from __future__ import annotations

import uuid
from typing import Any

import yaml

from pytake_daemon.ai import db as ai_db
from pytake_daemon.attendance import agents_db, queues_db
from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.flows import db as flows_db
from pytake_daemon.notifications import settings_db as notification_db
from pytake_daemon.protocol.ai import AiSettingsUpdate
from pytake_daemon.protocol.notifications import Preferences
from pytake_daemon.protocol.onboarding import TenantProfile
from pytake_daemon.protocol.tenant_config import (
    CONFIG_VERSION,
    AgentConfig,
    CannedResponseConfig,
    FlowConfig,
    FlowVersionConfig,
    IntentConfig,
    NotificationConfig,
    QueueConfig,
    TemplateConfig,
    TenantConfig,
    TenantSection,
    UserConfig,
)
from pytake_daemon.protocol.users import UserOut
from pytake_daemon.tenancy import db as tenancy_db
from pytake_daemon.tenancy import profile_db
from pytake_daemon.users import db as users_db
from pytake_daemon.whatsapp import db as whatsapp_db

_QUEUE_REFERENCES = {
    "timeout_queue_id": "timeout_queue",
    "overflow_queue_id": "overflow_queue",
    "out_of_hours_queue_id": "out_of_hours_queue",
}


def reply_name(owner: str | None, kind: str, shortcut: str | None, title: str) -> str:
    """A reply's natural key (it has no unique column): whose, which kind, shortcut, title."""
    return "/".join(part for part in (owner, kind, shortcut, title) if part)


def reply_key(item: CannedResponseConfig) -> str:
    return reply_name(item.owner, item.kind.value, item.shortcut, item.title)


async def read_config(conn: Connection) -> TenantConfig:
    """The tenant of the transaction, every section filled in."""
    tenant = await tenancy_db.current_tenant(conn)
    users = await users_db.list_users(conn)
    emails = {row.id: row.email for row in users}
    flows = await flows_db.list_flows(conn)
    return TenantConfig(
        version=CONFIG_VERSION,
        tenant=None if tenant is None else await _tenant(conn, tenant.name),
        users=await _users(conn, users),
        queues=await _queues(conn, {row["id"]: row["name"] for row in flows}),
        flows=await _flows(conn, flows),
        templates=await _templates(conn),
        canned_responses=await _replies(conn, emails),
        intents=[
            IntentConfig(name=i.name, examples=i.examples, keywords=i.keywords)
            for i in await ai_db.list_intents(conn)
        ],
        ai=AiSettingsUpdate.model_validate(await ai_db.get_overrides(conn)),
        notifications=await _notifications(conn),
    )


async def _tenant(conn: Connection, name: str) -> TenantSection:
    profile = rows.one(TenantProfile, await profile_db.profile(conn))
    return TenantSection(name=name, profile=profile)


async def _users(conn: Connection, users: list[UserOut]) -> list[UserConfig]:
    agents = {row["id"]: row for row in await agents_db.all_settings(conn)}
    out = []
    for user in users:
        agent = agents.get(user.id)
        out.append(
            UserConfig(
                email=user.email,
                name=user.name,
                role=user.role,
                disabled=user.disabled,
                agent=rows.one(AgentConfig, agent),
            )
        )
    return sorted(out, key=lambda u: u.email)


async def _queues(conn: Connection, flow_names: dict[uuid.UUID, str]) -> list[QueueConfig]:
    found = await queues_db.list_queues(conn)
    names = {row["id"]: row["name"] for row in found}
    out = []
    for row in found:
        # Other queues and the timeout flow by name: ids don't travel between tenants.
        refs = {
            name: None if row[column] is None else names[row[column]]
            for column, name in _QUEUE_REFERENCES.items()
        }
        flow = row["timeout_flow_id"]
        timeout_flow = None if flow is None else flow_names[flow]
        out.append(rows.of(QueueConfig, row, **refs, timeout_flow=timeout_flow))
    return sorted(out, key=lambda q: q.name)


async def _flows(conn: Connection, flows: list[Any]) -> list[FlowConfig]:
    versions: dict[uuid.UUID, list[FlowVersionConfig]] = {}
    for row in await flows_db.all_versions(conn):
        versions.setdefault(row["flow_id"], []).append(rows.of(FlowVersionConfig, row))
    out = [
        rows.of(
            FlowConfig,
            row,
            archived=row["archived_at"] is not None,
            versions=versions[row["id"]],
        )
        for row in flows
    ]
    return sorted(out, key=lambda f: f.name)


async def _templates(conn: Connection) -> list[TemplateConfig]:
    out = [
        TemplateConfig(
            waba_id=r.waba_id,
            name=r.name,
            language=r.language,
            category=r.category,
            parameter_format=r.parameter_format,
            components=r.components,
        )
        for r in await whatsapp_db.list_templates(conn)
    ]
    return sorted(out, key=lambda t: (t.waba_id, t.name, t.language))


async def _replies(conn: Connection, emails: dict[uuid.UUID, str]) -> list[CannedResponseConfig]:
    out = [
        CannedResponseConfig(
            kind=r.kind,
            title=r.title,
            body=r.body,
            shortcut=r.shortcut,
            owner=None if r.owner_id is None else emails[r.owner_id],
            department=r.department,
            language=r.language,
            intents=r.intents,
        )
        for r in await ai_db.all_replies(conn)
    ]
    return sorted(out, key=lambda r: (r.owner or "", reply_key(r), r.body))


async def _notifications(conn: Connection) -> NotificationConfig:
    row = await notification_db.tenant_settings(conn)
    # An empty object means "ours": exported as null so an import keeps it that way.
    defaults = Preferences.model_validate(row.defaults) if row.defaults else None
    return NotificationConfig(defaults=defaults, retention_days=row.retention_days)


def to_data(config: TenantConfig) -> dict[str, Any]:
    """The document as plain data (nulls left out: every null field is its default)."""
    return config.model_dump(mode="json", exclude_none=True, by_alias=True)


def dump_yaml(config: TenantConfig) -> str:
    """The document's text: keys in the models' order, so the bytes are stable."""
    header = (
        "# PyTake tenant configuration. Apply with: pytake config import -t TENANT FILE --dry-run\n"
    )
    body = yaml.safe_dump(to_data(config), sort_keys=False, allow_unicode=True, width=100)
    return header + body
