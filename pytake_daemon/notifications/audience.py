"""Who is who in a tenant, read fresh for each fan-out pass: users with their role, queue
membership (an agent belongs to the queues whose skills and department they have, the rule the
distributor uses), and the conversations a pass's events name.

Read fresh, never cached: a user removed from a queue (skills or department changed, account
disabled, role lowered) gets nothing more about it from the next pass on.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol import Role
from pytake_i18n import DEFAULT_LANGUAGE, normalize


@dataclass(frozen=True, slots=True)
class Member:
    id: uuid.UUID
    role: Role
    name: str
    email: str
    skills: frozenset[str] = frozenset()
    departments: frozenset[str] = frozenset()
    language: str = DEFAULT_LANGUAGE
    """What they read: their profile's language, else the tenant profile's, else English (the
    console's and the problem documents' order, docs/i18n.md)."""


@dataclass(frozen=True, slots=True)
class Queue:
    id: uuid.UUID
    name: str
    required_skills: frozenset[str]
    department: str | None


@dataclass(frozen=True, slots=True)
class ConversationFacts:
    id: uuid.UUID
    customer: str | None  # None: no name nor number (each reader's "a customer")
    assigned_user_id: uuid.UUID | None
    queue_id: uuid.UUID | None


@dataclass(slots=True)
class Audience:
    members: dict[uuid.UUID, Member]
    queues: dict[uuid.UUID, Queue]
    conversations: dict[uuid.UUID, ConversationFacts] = field(default_factory=dict)

    def supervisors(self) -> list[Member]:
        return [m for m in self.members.values() if m.role.at_least(Role.SUPERVISOR)]

    def admins(self) -> list[Member]:
        return [m for m in self.members.values() if m.role.at_least(Role.ADMIN)]

    def in_queue(self, member: Member, queue_id: uuid.UUID) -> bool:
        """Membership as distribution sees it: the queue's skills (all) and department."""
        queue = self.queues.get(queue_id)
        if queue is None or member.role is not Role.AGENT:
            return False
        return queue.required_skills <= member.skills and (
            queue.department is None or queue.department in member.departments
        )

    def queue_members(self, queue_id: uuid.UUID) -> list[Member]:
        return [m for m in self.members.values() if self.in_queue(m, queue_id)]

    def sees_conversation(self, member: Member, conversation_id: uuid.UUID) -> bool:
        """Supervisors and up see the tenant; an agent the conversations assigned to them and
        those of their queues."""
        if member.role.at_least(Role.SUPERVISOR):
            return True
        facts = self.conversations.get(conversation_id)
        if facts is None:
            return False
        if facts.assigned_user_id == member.id:
            return True
        return facts.queue_id is not None and self.in_queue(member, facts.queue_id)


# users_pkey / (tenant_id, id) unique for the join; a team's size, not its history.
_MEMBERS = """
SELECT u.id, u.role, u.name, u.email, a.skills, a.departments,
       coalesce(u.language, p.language) AS language
  FROM users u LEFT JOIN agents a ON a.tenant_id = u.tenant_id AND a.id = u.id
  LEFT JOIN tenant_profiles p ON p.tenant_id = u.tenant_id
 WHERE u.tenant_id = current_tenant_id() AND u.disabled_at IS NULL
"""
_QUEUES = """
SELECT id, name, required_skills, department FROM queues
 WHERE tenant_id = current_tenant_id() AND active
"""
# conversations_pkey, contacts_pkey, queue_items_one_active_idx: bounded by the pass's ids.
_CONVERSATIONS = """
SELECT c.id, c.assigned_user_id, i.queue_id,
       coalesce(ct.name_override, '@' || ct.username, ct.profile_name, '+' || ct.wa_id,
                ct.bsuid) AS customer
  FROM conversations c
  JOIN contacts ct ON ct.tenant_id = c.tenant_id AND ct.id = c.contact_id
  LEFT JOIN queue_items i ON i.tenant_id = c.tenant_id AND i.conversation_id = c.id
       AND i.status IN ('waiting', 'assigned')
 WHERE c.tenant_id = current_tenant_id() AND c.id = ANY($1::uuid[])
"""

_LANGUAGES = """
SELECT u.id, coalesce(u.language, p.language) AS language
  FROM users u LEFT JOIN tenant_profiles p ON p.tenant_id = u.tenant_id
 WHERE u.tenant_id = current_tenant_id() AND u.id = ANY($1::uuid[])
"""


async def languages(conn: Connection, users: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The language each of ``users`` reads (theirs, else the tenant's, else English)."""
    return {
        r["id"]: normalize(r["language"]) or DEFAULT_LANGUAGE
        for r in await conn.fetch(_LANGUAGES, list(users))
    }


async def load(conn: Connection, conversation_ids: Iterable[uuid.UUID]) -> Audience:
    members = {
        r["id"]: rows.of(
            Member,
            r,
            role=Role(r["role"]),
            skills=frozenset(r["skills"] or ()),
            departments=frozenset(r["departments"] or ()),
            language=normalize(r["language"]) or DEFAULT_LANGUAGE,
        )
        for r in await conn.fetch(_MEMBERS)
    }
    queues = {
        r["id"]: rows.of(Queue, r, required_skills=frozenset(r["required_skills"]))
        for r in await conn.fetch(_QUEUES)
    }
    audience = Audience(members, queues)
    ids: Sequence[uuid.UUID] = list(set(conversation_ids))
    if ids:
        for r in await conn.fetch(_CONVERSATIONS, ids):
            audience.conversations[r["id"]] = rows.of(ConversationFacts, r)
    return audience
