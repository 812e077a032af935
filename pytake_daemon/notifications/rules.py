"""Fan-out rules: which committed events concern whom.

Each rule reads one kind of event the domains already publish and names its recipients by
role, queue membership and ownership (``Audience``). A recipient must see what it is about: an
agent hears of a conversation only while it is assigned to them or sits in one of their queues;
security and backup alerts go to admins and owners. The caller turns the intents into rows with
each recipient's preferences (service.py).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator

from pytake_daemon.ai import alert_words
from pytake_daemon.attendance import goal_titles
from pytake_daemon.audit.action_words import alert_summary
from pytake_daemon.audit.alert_kinds import kind_name
from pytake_daemon.i18n import gettext, ngettext
from pytake_daemon.notifications import system_rules
from pytake_daemon.notifications.audience import Audience, Member
from pytake_daemon.notifications.intent import Intent
from pytake_daemon.protocol import EventEnvelope, MessageReceived
from pytake_daemon.protocol.agents import GoalReached
from pytake_daemon.protocol.ai import AlertRaised, AlertRule
from pytake_daemon.protocol.audit import SecurityAlertRaised, Severity
from pytake_daemon.protocol.backups import BackupAlert
from pytake_daemon.protocol.conversations import TimelineKind
from pytake_daemon.protocol.events import ConversationEventAdded, NoteAdded
from pytake_daemon.protocol.notifications import (
    LinkKind,
    NotificationCategory,
    NotificationLink,
)
from pytake_daemon.protocol.notifications import NotificationSeverity as Sev
from pytake_daemon.protocol.whatsapp import NumberQualityChanged, TemplateStatusChanged
from pytake_daemon.whatsapp.preview_words import preview_line
from pytake_i18n import DEFAULT_LANGUAGE, N_

# Intent lives in intent.py (system_rules.py shares it); callers keep importing it from here.
__all__ = ["Intent", "conversations_named", "intents", "mentioned_members", "relevant"]

Cat = NotificationCategory

# An @mention: the e-mail's local part or the name without spaces, case-insensitive.
_MENTION = re.compile(r"(?<![\w@])@([\w.+-]{2,64})")

_AI_SEVERITY = {
    AlertRule.STRONGLY_NEGATIVE: Sev.WARNING,
    AlertRule.WORSENING_TREND: Sev.WARNING,
    AlertRule.CANCEL_OR_COMPLAINT: Sev.URGENT,
    AlertRule.LONG_WAIT_NEGATIVE: Sev.URGENT,
    AlertRule.HUMAN_REQUEST_IGNORED: Sev.URGENT,
}
_AI_TITLE = {
    AlertRule.STRONGLY_NEGATIVE: N_("Angry customer: {customer}"),
    AlertRule.WORSENING_TREND: N_("Mood getting worse: {customer}"),
    AlertRule.CANCEL_OR_COMPLAINT: N_("Cancellation or complaint: {customer}"),
    AlertRule.LONG_WAIT_NEGATIVE: N_("Unhappy after a long wait: {customer}"),
    AlertRule.HUMAN_REQUEST_IGNORED: N_("Asked for a person, no answer: {customer}"),
}
_GOAL_PERIOD = {"day": N_("daily goal"), "week": N_("weekly goal"), "month": N_("monthly goal")}
_SECURITY_SEVERITY = {
    Severity.INFO: Sev.INFO,
    Severity.WARNING: Sev.WARNING,
    Severity.CRITICAL: Sev.URGENT,
}


_BACKUP_TITLE = {
    "backup_failed": N_("Backup failed"),
    "backup_overdue": N_("Backup overdue"),
    "drill_failed": N_("Restore drill failed"),
}


def _backup_many(reason: str, language: str) -> str:
    """A group of backup alerts' title; from two on, as the replies' group."""
    match reason:
        case "backup_failed":
            return ngettext("{n} backup failed", "{n} backups failed", 2, language=language)
        case "backup_overdue":
            return ngettext(
                "{n} backup overdue alert", "{n} backup overdue alerts", 2, language=language
            )
        case _:
            return ngettext(
                "{n} restore drill failed", "{n} restore drills failed", 2, language=language
            )


def _language(audience: Audience, user_id: uuid.UUID) -> str:
    """The language ``user_id`` reads (theirs, else the tenant's, else English)."""
    member = audience.members.get(user_id)
    return member.language if member is not None else DEFAULT_LANGUAGE


def _say(audience: Audience, user_id: uuid.UUID, msgid: str, **fields: object) -> str:
    """``msgid`` in the language ``user_id`` reads."""
    return gettext(msgid, language=_language(audience, user_id)).format(**fields)


def _customer(audience: Audience, conversation_id: uuid.UUID, user_id: uuid.UUID) -> str:
    facts = audience.conversations.get(conversation_id)
    if facts is not None and facts.customer:
        return facts.customer
    return _say(audience, user_id, N_("a customer"))


def conversations_named(envelopes: Iterable[EventEnvelope]) -> set[uuid.UUID]:
    """The conversations a pass must look up (assignment, queue, customer's name)."""
    ids: set[uuid.UUID] = set()
    for envelope in envelopes:
        event = envelope.event
        if isinstance(event, MessageReceived | NoteAdded):
            ids.add(event.conversation.id)
        elif isinstance(event, ConversationEventAdded):
            ids.add(event.event.conversation_id)
        elif isinstance(event, AlertRaised):
            ids.add(event.alert.conversation_id)
    return ids


def relevant(envelope: EventEnvelope) -> bool:
    """Cheap test on the commit path: is this an event any rule reads?"""
    return isinstance(
        envelope.event,
        MessageReceived
        | ConversationEventAdded
        | NoteAdded
        | AlertRaised
        | SecurityAlertRaised
        | BackupAlert
        | GoalReached
        | NumberQualityChanged
        | TemplateStatusChanged,
    )


def intents(envelopes: Iterable[EventEnvelope], audience: Audience) -> Iterator[Intent]:
    for envelope in envelopes:
        event = envelope.event
        if isinstance(event, MessageReceived):
            yield from _customer_replied(event, audience)
        elif isinstance(event, ConversationEventAdded):
            yield from _assigned_or_transferred(event, audience)
        elif isinstance(event, NoteAdded):
            yield from _mentioned(event, audience)
        elif isinstance(event, AlertRaised):
            yield from _ai_alert(event, audience)
        elif isinstance(event, SecurityAlertRaised):
            alert = event.alert
            for admin in audience.admins():
                yield Intent(
                    admin.id,
                    Cat.SECURITY,
                    _SECURITY_SEVERITY[alert.severity],
                    _say(
                        audience,
                        admin.id,
                        N_("Security: {summary}"),
                        # Stored in English; said again from its shape (audit/alerts.py marks
                        # every summary's sentence).
                        summary=alert_summary(alert.summary, _language(audience, admin.id)),
                    )[:200],
                    f"{kind_name(alert.kind, language=_language(audience, admin.id))}: "
                    f"{alert.subject}",
                    NotificationLink(kind=LinkKind.SECURITY_ALERT, id=alert.id),
                )
        elif isinstance(event, BackupAlert):
            severity = Sev.WARNING if event.reason == "backup_overdue" else Sev.URGENT
            link = (
                None
                if event.run_id is None
                else NotificationLink(kind=LinkKind.BACKUP, id=event.run_id)
            )
            for admin in audience.admins():
                yield Intent(
                    admin.id,
                    Cat.BACKUP,
                    severity,
                    _say(audience, admin.id, _BACKUP_TITLE[event.reason]),
                    event.message[:500],  # the failure as it arrived (an error's own words)
                    link,
                    group_key=f"backup:{event.reason}",
                    many_title=_backup_many(event.reason, _language(audience, admin.id)),
                )
        elif isinstance(event, NumberQualityChanged):
            yield from system_rules.number_quality(event, audience)
        elif isinstance(event, TemplateStatusChanged):
            yield from system_rules.template_status(event, audience)
        elif isinstance(event, GoalReached) and event.agent_id in audience.members:
            goal, agent = event.goal, audience.members[event.agent_id]
            words = goal_titles.title(
                goal.kind, goal.target, goal.period.value, language=agent.language
            )
            yield Intent(
                agent.id,
                Cat.GOAL,
                Sev.INFO,
                _say(audience, agent.id, N_("Goal reached: {goal}"), goal=words),
                _say(audience, agent.id, _GOAL_PERIOD.get(goal.period.value, N_("goal"))),
                NotificationLink(kind=LinkKind.GOAL, id=goal.id),
            )


def _customer_replied(event: MessageReceived, audience: Audience) -> Iterator[Intent]:
    facts = audience.conversations.get(event.conversation.id)
    if facts is None or facts.assigned_user_id not in audience.members:
        return
    queue = audience.queues.get(facts.queue_id) if facts.queue_id else None
    yield Intent(
        facts.assigned_user_id,
        Cat.MESSAGE,
        Sev.INFO,
        _say(
            audience,
            facts.assigned_user_id,
            N_("{customer} wrote"),
            customer=_customer(audience, facts.id, facts.assigned_user_id),
        ),
        preview_line(
            event.message.text or event.conversation.last_message_preview,
            language=_language(audience, facts.assigned_user_id),
        )[:500],
        NotificationLink(kind=LinkKind.CONVERSATION, id=facts.id),
        group_key=f"reply:{facts.id}",
        # {n} stays for the database to fill with the group's count (db.py); it is used from
        # two on, and the plural form for 2 is every count's a group reaches.
        many_title=ngettext(
            "{customer}: {n} new message",
            "{customer}: {n} new messages",
            2,
            language=_language(audience, facts.assigned_user_id),
        ).format(customer=_customer(audience, facts.id, facts.assigned_user_id), n="{n}"),
        scope=queue.name if queue else "",
    )


def _assigned_or_transferred(event: ConversationEventAdded, audience: Audience) -> Iterator[Intent]:
    line = event.event
    link = NotificationLink(kind=LinkKind.CONVERSATION, id=line.conversation_id)
    actor = line.actor.id if line.actor else None

    def body(user_id: uuid.UUID, done: str, done_by: str) -> str:
        if line.actor is None:
            return _say(audience, user_id, done)
        return _say(audience, user_id, done_by, name=line.actor.name)

    def customer(user_id: uuid.UUID) -> str:
        return _customer(audience, line.conversation_id, user_id)

    if line.kind is TimelineKind.ASSIGNED and line.agent is not None:
        agent_id = line.agent.id
        if agent_id != actor and agent_id in audience.members:
            yield Intent(
                agent_id,
                Cat.ASSIGNMENT,
                Sev.INFO,
                _say(
                    audience,
                    agent_id,
                    N_("Assigned to you: {customer}"),
                    customer=customer(agent_id),
                ),
                body(agent_id, N_("assigned"), N_("assigned by {name}")),
                link,
            )
    elif line.kind is TimelineKind.TRANSFERRED:
        if line.agent is not None:
            agent_id = line.agent.id
            if agent_id != actor and agent_id in audience.members:
                yield Intent(
                    agent_id,
                    Cat.TRANSFER,
                    Sev.INFO,
                    _say(
                        audience, agent_id, N_("Transferred to you: {customer}"),
                        customer=customer(agent_id),
                    ),
                    body(agent_id, N_("transferred"), N_("transferred by {name}")),
                    link,
                )  # fmt: skip
        elif line.queue is not None:
            queue = line.queue.name
            for member in audience.queue_members(line.queue.id):
                if member.id != actor:
                    yield Intent(
                        member.id,
                        Cat.TRANSFER,
                        Sev.INFO,
                        _say(
                            audience, member.id, N_("Transferred to {queue}: {customer}"),
                            queue=queue, customer=customer(member.id),
                        ),
                        body(member.id, N_("transferred"), N_("transferred by {name}")),
                        link,
                        scope=queue,
                    )  # fmt: skip


def _handles(member: Member) -> set[str]:
    return {member.email.split("@", 1)[0].lower(), member.name.replace(" ", "").lower()}


def mentioned_members(body: str, audience: Audience) -> list[Member]:
    wanted = {m.lower().rstrip(".") for m in _MENTION.findall(body)}
    return [m for m in audience.members.values() if wanted & _handles(m)]


def _mentioned(event: NoteAdded, audience: Audience) -> Iterator[Intent]:
    conversation_id = event.conversation.id
    for member in mentioned_members(event.note.body, audience):
        if member.id == event.note.author_id:
            continue
        if not audience.sees_conversation(member, conversation_id):
            continue
        author = event.note.author_name or _say(audience, member.id, N_("Someone"))
        yield Intent(
            member.id,
            Cat.MENTION,
            Sev.WARNING,
            _say(
                audience,
                member.id,
                N_("{author} mentioned you: {customer}"),
                author=author,
                customer=_customer(audience, conversation_id, member.id),
            ),
            event.note.body[:500],
            NotificationLink(kind=LinkKind.CONVERSATION, id=conversation_id),
        )


def _ai_alert(event: AlertRaised, audience: Audience) -> Iterator[Intent]:
    alert = event.alert
    facts = audience.conversations.get(alert.conversation_id)
    recipients = {m.id: m for m in audience.supervisors()}
    if facts is not None and facts.assigned_user_id in audience.members:
        assignee = audience.members[facts.assigned_user_id]
        recipients[assignee.id] = assignee
    for member in recipients.values():
        yield Intent(
            member.id,
            Cat.AI_ALERT,
            _AI_SEVERITY[alert.rule],
            _say(
                audience,
                member.id,
                _AI_TITLE[alert.rule],
                customer=_customer(audience, alert.conversation_id, member.id),
            ),
            alert_words.say(alert.detail, language=_language(audience, member.id))[:500],
            NotificationLink(kind=LinkKind.CONVERSATION, id=alert.conversation_id),
            group_key=f"ai:{alert.conversation_id}:{alert.rule.value}",
        )
