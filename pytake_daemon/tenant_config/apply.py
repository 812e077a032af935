"""Write a compared document into the tenant, item by item as the diff lists them, through each
domain's own functions. The caller owns the transaction: any error leaves nothing applied."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from pytake_daemon.ai import db as ai_db
from pytake_daemon.attendance import agents_db, queues_db
from pytake_daemon.attendance.views import settings_values
from pytake_daemon.auth.passwords import Passwords
from pytake_daemon.db.pool import Connection
from pytake_daemon.flows import db as flows_db
from pytake_daemon.flows import service as flows_service
from pytake_daemon.notifications import settings_db as notification_db
from pytake_daemon.protocol import Role, UserCreate, UserUpdate
from pytake_daemon.protocol.flows import FlowDocument
from pytake_daemon.protocol.queues import QueueSettings
from pytake_daemon.protocol.tenant_config import (
    AgentConfig,
    ChangeKind,
    ConfigChange,
    QueueConfig,
    TenantConfig,
    UserConfig,
)
from pytake_daemon.tenancy import db as tenancy_db
from pytake_daemon.tenancy import profile_db
from pytake_daemon.tenant_config.diff import KEYS
from pytake_daemon.tenant_config.export import reply_name
from pytake_daemon.users import db as users_db
from pytake_daemon.users import service as users_service
from pytake_daemon.whatsapp import db as whatsapp_db

DRAFT = "DRAFT"
"""A template's status when its definition came from a document: not submitted to Meta."""


class _Plan:
    """The document's items by natural key, and which keys each kind of change names."""

    def __init__(self, wanted: TenantConfig, changes: list[ConfigChange]) -> None:
        self.wanted = wanted
        self.items: dict[str, dict[str, Any]] = {
            section: {key(item): item for item in getattr(wanted, section) or []}
            for section, key in KEYS.items()
        }
        self._changes = changes

    def keys(self, section: str, *kinds: ChangeKind) -> list[str]:
        return [c.key for c in self._changes if c.section == section and c.kind in kinds]

    def touched(self, section: str) -> bool:
        return bool(self.keys(section, ChangeKind.CREATED, ChangeKind.CHANGED, ChangeKind.DELETED))


_WRITE = (ChangeKind.CREATED, ChangeKind.CHANGED)


async def apply_changes(
    conn: Connection,
    wanted: TenantConfig,
    changes: list[ConfigChange],
    *,
    passwords: Passwords,
    by_role: Role,
) -> None:
    """Make the tenant what ``wanted`` says, for the items ``changes`` lists as not unchanged."""
    plan = _Plan(wanted, changes)
    if wanted.tenant is not None and plan.touched("tenant"):
        await tenancy_db.rename_current(conn, wanted.tenant.name)
        profile = wanted.tenant.profile
        if profile is not None:
            # The profile only: whether the wizard's first step is done is not configuration.
            await profile_db.save_profile(
                conn,
                business_name=profile.business_name,
                segment=profile.segment,
                timezone=profile.timezone,
                language=profile.language,
                business_hours=profile.model_dump(mode="json")["business_hours"],
                by=None,
            )
    await _users(conn, plan, passwords, by_role)
    await _flows(conn, plan)
    await _queues(conn, plan)
    await _templates(conn, plan)
    await _replies(conn, plan)
    await _intents(conn, plan)
    if wanted.ai is not None and plan.touched("ai"):
        await ai_db.replace_overrides(conn, wanted.ai.model_dump(mode="json", exclude_none=True))
    if wanted.notifications is not None and plan.touched("notifications"):
        defaults = wanted.notifications.defaults
        await notification_db.put_defaults(
            conn,
            {} if defaults is None else defaults.model_dump(mode="json"),
            wanted.notifications.retention_days,
        )


async def _users(conn: Connection, plan: _Plan, passwords: Passwords, by_role: Role) -> None:
    for email in plan.keys("users", *_WRITE):
        user: UserConfig = plan.items["users"][email]
        row = await users_db.get_user_by_email(conn, email)
        if row is None:
            # No password travels in a document: a random one nobody knows, until the person
            # is invited again (or an admin sets one).
            created = await users_service.create_user(
                conn,
                passwords,
                UserCreate(
                    email=email, name=user.name, role=user.role, password=secrets.token_urlsafe(32)
                ),
                by_role=by_role,
            )
            user_id = created.id
        else:
            user_id = row.id
            await users_service.update_user(
                conn,
                passwords,
                user_id,
                UserUpdate(name=user.name, role=user.role, disabled=False),
                by_role=by_role,
            )
        if user.agent is not None:
            await _agent(conn, user_id, user.agent)
        if user.disabled:
            await users_service.update_user(
                conn, passwords, user_id, UserUpdate(disabled=True), by_role=by_role
            )
    for email in plan.keys("users", ChangeKind.DELETED):
        row = await users_db.get_user_by_email(conn, email)
        if row is not None:
            await users_service.update_user(
                conn, passwords, row.id, UserUpdate(disabled=True), by_role=by_role
            )


async def _agent(conn: Connection, user_id: uuid.UUID, agent: AgentConfig) -> None:
    await agents_db.ensure(conn, user_id)
    row = await agents_db.lock_agent(conn, user_id)
    if row is None:  # a disabled user gets no agent row
        return
    data = agent.model_dump(mode="json")
    await agents_db.update_agent(
        conn,
        user_id,
        status=row["status"],
        at=datetime.now(UTC),
        capacity=agent.capacity,
        skills=agent.skills,
        departments=agent.departments,
        working_hours=(True, data["working_hours"]),
        timezone=agent.timezone,
        busy_at_capacity=agent.busy_at_capacity,
    )


async def _flows(conn: Connection, plan: _Plan) -> None:
    for name in plan.keys("flows", *_WRITE):
        flow = plan.items["flows"][name]
        row = await flows_db.find_flow(conn, name)
        if row is None:
            first = flow.versions[0]
            out = await flows_service.create_flow(
                conn,
                FlowDocument(name=name, description=flow.description, definition=first.definition),
            )
            flow_id, stored = out.id, 1
        else:
            flow_id, stored = row["id"], row["latest_version"]
        for version in flow.versions[stored:]:
            await flows_service.add_version(conn, flow_id, version.definition, None)
        await flows_db.set_state(
            conn,
            flow_id,
            description=flow.description,
            published_version=flow.published_version,
            archived=flow.archived,
        )
    for name in plan.keys("flows", ChangeKind.DELETED):
        row = await flows_db.find_flow(conn, name)
        if row is not None:
            await flows_db.archive(conn, row["id"])


async def _queues(conn: Connection, plan: _Plan) -> None:
    written = plan.keys("queues", *_WRITE)
    # Queues name each other: every new one exists (with neutral settings) before any is set.
    for name in plan.keys("queues", ChangeKind.CREATED):
        await queues_db.insert_queue(conn, settings_values(QueueSettings(name=name)))
    ids = {row["name"]: row["id"] for row in await queues_db.list_queues(conn)}
    flows = {row["name"]: row["id"] for row in await flows_db.list_flows(conn)}
    for name in written:
        queue: QueueConfig = plan.items["queues"][name]
        fields = queue.model_dump(
            exclude={"timeout_queue", "overflow_queue", "out_of_hours_queue", "timeout_flow"}
        )
        settings = QueueSettings(
            **fields,
            timeout_queue_id=ids.get(queue.timeout_queue or ""),
            overflow_queue_id=ids.get(queue.overflow_queue or ""),
            out_of_hours_queue_id=ids.get(queue.out_of_hours_queue or ""),
            timeout_flow_id=flows.get(queue.timeout_flow or ""),
        )
        await queues_db.update_queue(conn, ids[name], settings_values(settings))
    for name in plan.keys("queues", ChangeKind.DELETED):
        row = await queues_db.get_queue(conn, ids[name])
        if row is not None:
            values = [False if c == "active" else row[c] for c in queues_db.SETTING_COLUMNS]
            await queues_db.update_queue(conn, ids[name], values)


async def _templates(conn: Connection, plan: _Plan) -> None:
    for key in plan.keys("templates", *_WRITE):
        template = plan.items["templates"][key]
        row = await whatsapp_db.get_template(
            conn, template.waba_id, template.name, template.language
        )
        # The definition differs from what Meta reviewed (or never was): a draft to submit.
        await whatsapp_db.upsert_template(
            conn,
            waba_id=template.waba_id,
            meta_id=None if row is None else row["meta_id"],
            name=template.name,
            language=template.language,
            status=DRAFT,
            category=template.category,
            parameter_format=template.parameter_format,
            components=template.components,
            reason=None,
            synced=False,
        )
    for key in plan.keys("templates", ChangeKind.DELETED):
        waba_id, name, language = key.split("/", 2)
        await whatsapp_db.delete_template(conn, waba_id, name, language)


async def _replies(conn: Connection, plan: _Plan) -> None:
    if not plan.touched("canned_responses"):
        return
    users = {row.email: row.id for row in await users_db.list_users(conn)}
    emails = {v: k for k, v in users.items()}
    ids: dict[str, uuid.UUID] = {}
    for row in await ai_db.all_replies(conn):
        owner = None if row.owner_id is None else emails.get(row.owner_id)
        key = reply_name(owner, row.kind.value, row.shortcut, row.title)
        ids.setdefault(key, row.id)
    for key in plan.keys("canned_responses", *_WRITE):
        reply = plan.items["canned_responses"][key]
        values = {
            "kind": reply.kind.value,
            "title": reply.title,
            "body": reply.body,
            "intents": reply.intents,
            "language": reply.language,
            "shortcut": reply.shortcut,
            "owner_id": None if reply.owner is None else users[reply.owner],
            "department": reply.department,
        }
        if key in ids:
            await ai_db.update_reply(conn, ids[key], values)
        else:
            await ai_db.insert_reply(conn, **values)
    for key in plan.keys("canned_responses", ChangeKind.DELETED):
        await ai_db.delete_reply(conn, ids[key])


async def _intents(conn: Connection, plan: _Plan) -> None:
    if not plan.touched("intents"):
        return
    ids = {intent.name: intent.id for intent in await ai_db.list_intents(conn)}
    for name in plan.keys("intents", *_WRITE):
        intent = plan.items["intents"][name]
        if name in ids:
            await ai_db.update_intent(conn, ids[name], intent.examples, intent.keywords)
        else:
            await ai_db.insert_intent(conn, name, intent.examples, intent.keywords)
    for name in plan.keys("intents", ChangeKind.DELETED):
        await ai_db.delete_intent(conn, ids[name])
