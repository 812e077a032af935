"""The audit log's actions and targets in the reader's words: ``queue.entered`` is "Entered a
queue", ``conversation:<uuid>`` is "conversation 1a2b3c4d". The daemon records stable ids
(``docs/audit.md`` lists them), searched and exported as they are; the detail view shows the
raw id next to the words, so nothing recorded is hidden.
"""

from __future__ import annotations

from pytake_daemon.protocol.audit import ActorType, AuditEntryOut
from pytake_daemon.protocol.onboarding import StepName
from pytake_tui.i18n import N_, _
from pytake_tui.vocabulary import step_title

API_ROUTE_PREFIX = " /api/v1/"

_ACTIONS = {
    "auth.login": N_("Logged in"),
    "auth.login_failed": N_("Login refused"),
    "auth.logout": N_("Session ended"),
    "token.create": N_("Token created"),
    "token.revoke": N_("Token revoked"),
    "tenant.create": N_("Company created"),
    "tenant.profile": N_("Company profile changed"),
    "user.create": N_("User created"),
    "user.update": N_("User changed"),
    "user.disable": N_("User disabled"),
    "user.role_change": N_("Role changed"),
    "user.profile_update": N_("Profile changed"),
    "user.password_change": N_("Password changed"),
    "user.password_reset": N_("Password reset"),
    "user.password_reset_sent": N_("Password reset sent"),
    "invitation.create": N_("Invitation sent"),
    "invitation.resend": N_("Invitation sent again"),
    "invitation.revoke": N_("Invitation revoked"),
    "invitation.accept": N_("Invitation accepted"),
    "number.add": N_("Number added"),
    "number.remove": N_("Number removed"),
    "number.rotate": N_("Number token replaced"),
    "template.submit": N_("Template submitted"),
    "template.delete": N_("Template deleted"),
    "conversation.status": N_("Conversation status changed"),
    "conversation.note": N_("Internal note added"),
    "conversation.tags": N_("Conversation tags changed"),
    "conversation.transfer": N_("Conversation transferred"),
    "conversation.assignment": N_("Conversation assigned"),
    "contact.update": N_("Contact changed"),
    "contact.tags": N_("Contact tags changed"),
    "contact.note": N_("Contact note added"),
    "flow.create": N_("Flow created"),
    "flow.version": N_("Flow version saved"),
    "flow.publish": N_("Flow published"),
    "flow.archive": N_("Flow archived"),
    "queue.create": N_("Queue created"),
    "queue.delete": N_("Queue deleted"),
    "queue.item.priority": N_("Queue priority changed"),
    "queue.entered": N_("Entered a queue"),
    "queue.assigned": N_("Assigned from the queue"),
    "queue.reassigned": N_("Reassigned"),
    "queue.transferred": N_("Transferred to a queue"),
    "queue.completed": N_("Attendance completed"),
    "queue.abandoned": N_("Left the queue"),
    "queue.timed_out": N_("Queue wait timed out"),
    "queue.transitions": N_("Queue distribution"),
    "agent.status": N_("Agent status changed"),
    "agent.goal.update": N_("Goal changed"),
    "agent.goal.delete": N_("Goal deleted"),
    "gamification.settings": N_("Gamification settings changed"),
    "gamification.challenge.create": N_("Challenge created"),
    "gamification.challenge.update": N_("Challenge changed"),
    "gamification.challenge.end": N_("Challenge ended"),
    "gamification.challenge.delete": N_("Challenge deleted"),
    "ai.reply.create": N_("AI reply created"),
    "ai.reply.update": N_("AI reply changed"),
    "ai.reply.delete": N_("AI reply deleted"),
    "ai.settings": N_("AI settings changed"),
    "audit.export": N_("Audit log exported"),
    "audit.archive": N_("Audit log archived"),
    "report.export": N_("Report exported"),
    "report.schedule.create": N_("Report schedule created"),
    "report.schedule.delete": N_("Report schedule deleted"),
    "config.export": N_("Configuration exported"),
    "config.import": N_("Configuration imported"),
    "onboarding.step": N_("Onboarding step done"),
    "webhook_endpoint.create": N_("Webhook created"),
    "webhook_endpoint.update": N_("Webhook changed"),
    "webhook_endpoint.remove": N_("Webhook removed"),
    "webhook_endpoint.rotate_secret": N_("Webhook secret replaced"),
    "webhook_delivery.replay": N_("Webhook delivery replayed"),
}

_TARGETS = {
    "conversation": N_("conversation"),
    "conversations": N_("conversation"),
    "contact": N_("contact"),
    "contacts": N_("contact"),
    "queue": N_("queue"),
    "queues": N_("queue"),
    "user": N_("user"),
    "users": N_("user"),
    "agent": N_("agent"),
    "agents": N_("agent"),
    "flow": N_("flow"),
    "flows": N_("flow"),
    "token": N_("token"),
    "tokens": N_("token"),
    "number": N_("number"),
    "numbers": N_("number"),
    "template": N_("template"),
    "templates": N_("template"),
    "invitation": N_("invitation"),
    "invitations": N_("invitation"),
    "tenant": N_("company"),
    "goal": N_("goal"),
    "goals": N_("goal"),
    "challenge": N_("challenge"),
    "challenges": N_("challenge"),
    "reply": N_("AI reply"),
    "replies": N_("AI reply"),
    "report_schedule": N_("report schedule"),
    "schedules": N_("report schedule"),
    "webhook_endpoint": N_("webhook"),
    "endpoints": N_("webhook"),
    "webhook_delivery": N_("webhook delivery"),
    "deliveries": N_("webhook delivery"),
    "step": N_("onboarding step"),
    "onboarding": N_("onboarding step"),
}

_SHORT_ID = 8

_ACTOR_KINDS = {
    ActorType.USER: N_("user"),
    ActorType.CLI: N_("command line"),
    ActorType.SYSTEM: N_("system"),
    ActorType.ANONYMOUS: N_("anonymous"),
    ActorType.POLICY: N_("queue policy"),
    ActorType.BOT: N_("flow bot"),
}


def action_name(action: str) -> str:
    """The action in the reader's words; an API call as ``POST flows/{id}/publish``; one this
    console does not know as recorded."""
    worded = _ACTIONS.get(action)
    if worded is not None:
        return _(worded)
    return action.replace(API_ROUTE_PREFIX, " ", 1)


def target_name(entry: AuditEntryOut, *, whole: bool = False) -> str:
    """What it was done to, worded: ``conversation 1a2b3c4d`` (a UUID's first characters, or
    all of it with ``whole``: the detail view's exact reference), either part alone, or ""."""
    kind = entry.target_type
    worded = _(_TARGETS[kind]) if kind in _TARGETS else kind
    ident = entry.target_id
    if kind == "onboarding" and ident in set(StepName):
        return f"{worded}: {step_title(StepName(ident))}"
    if not whole and ident is not None and len(ident) == 36 and ident.count("-") == 4:
        ident = ident[:_SHORT_ID]
    if worded and ident:
        return f"{worded} {ident}"
    return worded or ident or ""


def actor_kind(kind: ActorType) -> str:
    """The kind of actor, in the reader's words."""
    return _(_ACTOR_KINDS[kind])
