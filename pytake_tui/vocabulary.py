"""The console's words for the protocol's enums (roles, statuses), in the reader's language.

The wire carries the enum values ("waiting", "assigned"); people read "aguardando", "em
atendimento". One function per enum here, so every screen names a status the same way. Each
word has a context (pgettext): Portuguese genders them ("aberta" for a conversation, "aberto"
for a ticket) where English does not, and "pending" is not the same word for a message.
"""

from __future__ import annotations

import re

from pytake_daemon.protocol import ConversationStatus, MessageStatus, Role
from pytake_daemon.protocol.agents import AgentStatus
from pytake_daemon.protocol.ai import ReplyKind
from pytake_daemon.protocol.invitations import InvitationStatus
from pytake_daemon.protocol.notifications import NotificationCategory, NotificationSeverity
from pytake_daemon.protocol.onboarding import StepName, StepStatus
from pytake_daemon.protocol.queues import (
    ItemStatus,
    OutOfHoursAction,
    OverflowAction,
    Policy,
    TimeoutAction,
)
from pytake_tui.i18n import N_, _, pgettext
from pytake_tui.inbox import AgentFilter, Period


def role_name(role: Role) -> str:
    """A role as people say it: "supervisor" / "supervisor"."""
    return {
        Role.OWNER: pgettext("role", "owner"),
        Role.ADMIN: pgettext("role", "admin"),
        Role.SUPERVISOR: pgettext("role", "supervisor"),
        Role.AGENT: pgettext("role", "agent"),
    }[role]


def conversation_status(status: ConversationStatus) -> str:
    """A conversation's status: "open" / "aberta"."""
    return {
        ConversationStatus.OPEN: pgettext("conversation", "open"),
        ConversationStatus.PENDING: pgettext("conversation", "pending"),
        ConversationStatus.SNOOZED: pgettext("conversation", "snoozed"),
        ConversationStatus.RESOLVED: pgettext("conversation", "resolved"),
    }[status]


def message_status(status: MessageStatus) -> str:
    """A message's delivery state: "delivered" / "entregue"."""
    return {
        MessageStatus.PENDING: pgettext("message", "pending"),
        MessageStatus.ACCEPTED: pgettext("message", "accepted"),
        MessageStatus.SENT: pgettext("message", "sent"),
        MessageStatus.FAILED: pgettext("message", "failed"),
        MessageStatus.DELIVERED: pgettext("message", "delivered"),
        MessageStatus.READ: pgettext("message", "read"),
        MessageStatus.RECEIVED: pgettext("message", "received"),
    }[status]


def item_status(status: ItemStatus) -> str:
    """A queue item's status: "waiting" / "aguardando"."""
    return {
        ItemStatus.WAITING: pgettext("queue item", "waiting"),
        ItemStatus.ASSIGNED: pgettext("queue item", "assigned"),
        ItemStatus.COMPLETED: pgettext("queue item", "completed"),
        ItemStatus.ABANDONED: pgettext("queue item", "abandoned"),
        ItemStatus.TIMED_OUT: pgettext("queue item", "timed out"),
        ItemStatus.TRANSFERRED: pgettext("queue item", "transferred"),
    }[status]


def agent_status(status: AgentStatus) -> str:
    """An agent's availability: "online" / "disponível"."""
    return {
        AgentStatus.ONLINE: pgettext("agent", "online"),
        AgentStatus.OFFLINE: pgettext("agent", "offline"),
        AgentStatus.BUSY: pgettext("agent", "busy"),
        AgentStatus.AWAY: pgettext("agent", "away"),
        AgentStatus.BREAK: pgettext("agent", "break"),
    }[status]


def reply_kind(kind: ReplyKind) -> str:
    """A saved reply's kind: "canned" / "pronta"."""
    return {
        ReplyKind.CANNED: pgettext("reply kind", "canned"),
        ReplyKind.SNIPPET: pgettext("reply kind", "snippet"),
    }[kind]


def agent_filter(value: AgentFilter) -> str:
    """The conversation list's "whose" filter: "anyone" / "todos"."""
    return {
        AgentFilter.ANYONE: pgettext("whose", "anyone"),
        AgentFilter.ME: pgettext("whose", "me"),
        AgentFilter.NONE: pgettext("whose", "unassigned"),
    }[value]


def period_name(value: Period) -> str:
    """The conversation list's period filter: "7 days" / "7 dias"."""
    return {
        Period.ANY: pgettext("period", "any time"),
        Period.TODAY: pgettext("period", "today"),
        Period.WEEK: pgettext("period", "7 days"),
        Period.MONTH: pgettext("period", "30 days"),
    }[value]


def notification_category(category: NotificationCategory) -> str:
    """A notification's category: "transfer" / "transferência"."""
    return {
        NotificationCategory.ASSIGNMENT: pgettext("notification", "assignment"),
        NotificationCategory.TRANSFER: pgettext("notification", "transfer"),
        NotificationCategory.MESSAGE: pgettext("notification", "message"),
        NotificationCategory.MENTION: pgettext("notification", "mention"),
        NotificationCategory.SLA: pgettext("notification", "sla"),
        NotificationCategory.AI_ALERT: pgettext("notification", "ai_alert"),
        NotificationCategory.SECURITY: pgettext("notification", "security"),
        NotificationCategory.BACKUP: pgettext("notification", "backup"),
        NotificationCategory.GOAL: pgettext("notification", "goal"),
        NotificationCategory.SYSTEM: pgettext("notification", "system"),
    }.get(category, category.value)


def notification_severity(severity: NotificationSeverity) -> str:
    """A notification's severity: "urgent" / "urgente"."""
    return {
        NotificationSeverity.INFO: pgettext("severity", "info"),
        NotificationSeverity.WARNING: pgettext("severity", "warning"),
        NotificationSeverity.URGENT: pgettext("severity", "urgent"),
    }[severity]


def invitation_status(status: InvitationStatus) -> str:
    """An invitation's status: "expired" / "expirado"."""
    return {
        InvitationStatus.PENDING: pgettext("invitation", "pending"),
        InvitationStatus.ACCEPTED: pgettext("invitation", "accepted"),
        InvitationStatus.REVOKED: pgettext("invitation", "revoked"),
        InvitationStatus.EXPIRED: pgettext("invitation", "expired"),
    }[status]


def queue_choice(choice: Policy | TimeoutAction | OverflowAction | OutOfHoursAction) -> str:
    """A queue setting's choice: "least loaded" / "menos ocupado", "divert" / "desviar"."""
    # One table per enum: the members are strings, so "divert" of two enums would be one key.
    words: dict[type, dict[str, str]] = {
        Policy: {
            Policy.ROUND_ROBIN: pgettext("queue policy", "round robin"),
            Policy.LEAST_LOADED: pgettext("queue policy", "least loaded"),
        },
        TimeoutAction: {
            TimeoutAction.ABANDON: pgettext("queue timeout", "abandon"),
            TimeoutAction.MOVE: pgettext("queue timeout", "move"),
            TimeoutAction.RETURN_TO_BOT: pgettext("queue timeout", "return to bot"),
            TimeoutAction.KEEP_WAITING: pgettext("queue timeout", "keep waiting"),
            TimeoutAction.START_FLOW: pgettext("queue timeout", "start flow"),
        },
        OverflowAction: {
            OverflowAction.REJECT: pgettext("queue full", "reject"),
            OverflowAction.DIVERT: pgettext("queue full", "divert"),
        },
        OutOfHoursAction: {
            OutOfHoursAction.WAIT: pgettext("queue closed", "wait"),
            OutOfHoursAction.DIVERT: pgettext("queue closed", "divert"),
        },
    }
    return words[type(choice)].get(choice, choice.value.replace("_", " "))


def step_title(step: StepName) -> str:
    """An onboarding step's title: "Go-live check" / "Checagem para entrar no ar"."""
    return {
        StepName.PROFILE: pgettext("onboarding step", "Business profile"),
        StepName.NUMBER: pgettext("onboarding step", "WhatsApp number"),
        StepName.TEAM: pgettext("onboarding step", "Team"),
        StepName.QUEUES: pgettext("onboarding step", "Queues"),
        StepName.AUTOMATION: pgettext("onboarding step", "Automation"),
        StepName.DEFAULTS: pgettext("onboarding step", "AI and notifications"),
        StepName.GO_LIVE: pgettext("onboarding step", "Go-live check"),
    }.get(step, step.value)


def step_status(status: StepStatus) -> str:
    """An onboarding step's state: "skipped" / "pulado"."""
    return {
        StepStatus.PENDING: pgettext("onboarding", "pending"),
        StepStatus.DONE: pgettext("onboarding", "done"),
        StepStatus.SKIPPED: pgettext("onboarding", "skipped"),
    }[status]


def event_kind(kind: str) -> str:
    """An event's type in the activity log ("message_received" / "recebida"); a type the log
    does not describe keeps its name."""
    return {
        "hello": pgettext("activity", "connected"),
        "user_changed": pgettext("activity", "user"),
        "token_revoked": pgettext("activity", "access"),
        "message_received": pgettext("activity", "received"),
        "message_sent": pgettext("activity", "sent"),
        "message_status_updated": pgettext("activity", "delivery"),
        "conversation_updated": pgettext("activity", "conversation"),
    }.get(kind, kind)


_SESSION_NAMES = (
    (re.compile(r"login from (.+)"), N_("login from {ip}")),
    (re.compile(r"invitation accepted from (.+)"), N_("invitation accepted from {ip}")),
)


def token_name(name: str) -> str:
    """A token's name: a session's, which the daemon writes in English ("login from 10.0.0.1",
    ``auth/service.py``, ``invitations/joining.py``), in the reader's words; an API token's as
    its author wrote it."""
    for pattern, msgid in _SESSION_NAMES:
        match = pattern.fullmatch(name)
        if match is not None:
            return _(msgid).format(ip=match.group(1))
    return name
