"""How a customer reads on screen, without Textual: by username when they have one (what they
chose to be known by), else profile name, phone, BSUID; and what an agent should know about
their identity (a hidden phone, a phone flagged as conflicting)."""

from __future__ import annotations

from pytake_daemon.protocol import ContactOut
from pytake_tui.i18n import _


def contact_title(contact: ContactOut) -> str:
    """``@ana.s · Ana Souza · +5511… ✓`` for the thread's title line."""
    parts = [contact.display_name]
    if contact.username and contact.profile_name:
        parts.append(contact.profile_name)
    phone = f"+{contact.wa_id}" if contact.wa_id else None
    if phone and phone != contact.display_name:
        parts.append(f"{phone} ✓" if contact.phone_verified else phone)
    elif phone is None:
        parts.append(_("phone hidden"))
    return " · ".join(parts)


def identity_warning(contact: ContactOut) -> str | None:
    """A line for the agent when a phone was seen for this customer that belongs to another
    contact or differs from theirs (never merged automatically)."""
    if contact.phone_conflict is None:
        return None
    return _("⚠ also seen with +{phone}: check before merging anything").format(
        phone=contact.phone_conflict
    )
