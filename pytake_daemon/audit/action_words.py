"""A security alert's summary in the reader's words: the audit action and the roles it names.

An alert's summary is stored as its English sentence (``audit/alerts.py`` marks each one), with
the audit action's stable id (``number.add``) and role values (``admin``) among its fields. Said
again for a reader (the alert list, an admin's notification), the sentence is recognised by its
msgid, and those fields are worded from this table before the sentence is said in the reader's
language. The console words the audit log's actions from its own copy
(``pytake_tui/audit_words.py``): each package's catalog is extracted from its own sources.
"""

from __future__ import annotations

import re
import string
from functools import cache

from pytake_daemon.i18n import CATALOG, N_, gettext, translate
from pytake_daemon.protocol import Role

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


# The alerts' sentences that carry an action or a role (audit/alerts.py says them).
_WITH_WORDS = (
    N_("{role} {actor} did {action} outside business hours"),
    N_("{who} did {action} {n} times in {window} s"),
    N_("{actor} raised {user} from {before} to {after}"),
)
_ROLE_FIELDS = ("role", "before", "after")
_FORMATTER = string.Formatter()


def action_name(action: str, language: str) -> str:
    """An audit action in ``language``'s words; an unknown one as recorded."""
    worded = _ACTIONS.get(action)
    return gettext(worded, language=language) if worded is not None else action


def role_name(role: str, language: str) -> str:
    """A role value in ``language``'s words; an unknown one as recorded."""
    words = {
        Role.OWNER: CATALOG.pgettext("role", "owner", language=language),
        Role.ADMIN: CATALOG.pgettext("role", "admin", language=language),
        Role.SUPERVISOR: CATALOG.pgettext("role", "supervisor", language=language),
        Role.AGENT: CATALOG.pgettext("role", "agent", language=language),
    }
    return words[Role(role)] if role in set(Role) else role


@cache
def _pattern(msgid: str) -> re.Pattern[str]:
    regex = ""
    for literal, name, _spec, _conversion in _FORMATTER.parse(msgid):
        regex += re.escape(literal)
        if name is not None:
            regex += f"(?P<{name}>.+?)"
    return re.compile(regex, re.DOTALL)


def _action_field(value: str, language: str) -> str:
    # "token.create (API token “ci”)": the action id, then the target the alert named
    # (audit/alert_context.py marks its words).
    action, _space, target = value.partition(" ")
    worded = f"“{action_name(action, language)}”"
    if target.startswith("(") and target.endswith(")"):
        return f"{worded} ({translate(target[1:-1], language)})"
    return f"{worded} {target}" if target else worded


def alert_summary(summary: str, language: str) -> str:
    """A stored alert summary in ``language``, its action and roles in words."""
    for msgid in _WITH_WORDS:
        match = _pattern(msgid).fullmatch(summary)
        if match is None:
            continue
        fields = match.groupdict()
        if "action" in fields:
            fields["action"] = _action_field(fields["action"], language)
        for name in _ROLE_FIELDS:
            if name in fields:
                fields[name] = role_name(fields[name], language)
        return gettext(msgid, language=language).format(**fields)
    return translate(summary, language) or summary
