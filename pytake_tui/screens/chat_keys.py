"""The chat screen's keys (their descriptions are msgids, translated where they are shown)."""

from __future__ import annotations

from textual.binding import Binding, BindingType

from pytake_tui.i18n import N_
from pytake_tui.widgets.composer import SUGGESTION_CHARACTER_KEYS

CHAT_BINDINGS: list[BindingType] = [
    Binding("slash", "search", N_("Search"), key_display="/"),
    Binding("ctrl+g", "template", N_("Template")),
    Binding("ctrl+r", "toggle_resolved", N_("Resolve/reopen")),
    Binding("escape", "back", N_("Back"), show=False),
    # The actions on the open conversation: the footer shows them once one is open
    # (check_action hides them before), the short labels fit 80 columns.
    Binding("ctrl+o", "transfer", N_("Transfer"), tooltip=N_("Transfer to a queue or agent")),
    # Supervisors only (footer_hides leaves it out for agents).
    Binding("alt+t", "take", N_("Take"), priority=True, tooltip=N_("Attend it yourself")),
    Binding("alt+c", "close", N_("Close"), priority=True, tooltip=N_("Close (the customer rates)")),
    Binding("ctrl+n", "note", N_("Note"), tooltip=N_("Internal note")),
    Binding("alt+s", "snooze", N_("Snooze"), priority=True, tooltip=N_("Snooze or wake")),
    Binding("ctrl+l", "tags", N_("Edit tags"), show=False),
    Binding("ctrl+b", "canned", N_("Canned responses"), show=False),
    Binding("alt+p", "request_phone", N_("Ask for the phone number"), show=False, priority=True),
    Binding("alt+i", "profile", N_("Profile"), priority=True, tooltip=N_("The customer's profile")),
    Binding("alt+f", "find_contact", N_("Find a contact"), priority=True, show=False),
    # A terminal sends ctrl+space as NUL, which Textual names ctrl+@.
    Binding(
        "ctrl+space,ctrl+@",
        "suggest",
        N_("Reply suggestions"),
        show=False,
        key_display="^space",
    ),
    Binding("alt+1", "insert_suggestion(1)", N_("Insert suggestion 1"), show=False, priority=True),
    Binding("alt+2", "insert_suggestion(2)", N_("Insert suggestion 2"), show=False, priority=True),
    Binding("alt+3", "insert_suggestion(3)", N_("Insert suggestion 3"), show=False, priority=True),
    # Textual reads escape + digit (what most terminals send for alt+digit) as the
    # characters macOS types with option+digit (¡ ™ £). Outside a text field these bind
    # here; in the draft, the composer takes them while suggestions are shown.
    *(
        Binding(key, f"insert_suggestion({n})", show=False)
        for n, key in enumerate(SUGGESTION_CHARACTER_KEYS, start=1)
    ),
]
