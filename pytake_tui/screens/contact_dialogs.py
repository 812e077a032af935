"""The contact profile's dialogs: the edit form (the team's name and custom attributes) and the
contact finder (search by name, @username, phone or BSUID).

The edit form makes its own PATCH and stays open when the daemon refuses it (a 422 names the
field), so nothing typed is lost; it dismisses with the profile as the daemon now has it.
"""

from __future__ import annotations

import uuid

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from pytake_daemon.protocol.contacts import ContactProfile, ContactSummary, ContactUpdate
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _
from pytake_tui.messages import report_failure
from pytake_tui.profile_view import ProfileForm, ProfileFormError, summary_line

_CSS_PATH = "contact_dialogs.tcss"
SEARCH_DEBOUNCE_SECONDS = 0.3
SEARCH_MIN_LENGTH = 3
"""The daemon's trigram index needs three characters; fewer would be a 422."""


class ContactEditor(ModalScreen[ContactProfile | None]):
    """The team's name for the contact and its attributes; ctrl+s saves, escape cancels."""

    CSS_PATH = _CSS_PATH
    BINDINGS = [
        Binding("escape", "dismiss(None)", N_("Cancel")),
        Binding("ctrl+s", "save", N_("Save")),
    ]

    def __init__(self, client: DaemonClient, profile: ContactProfile) -> None:
        super().__init__()
        self._client = client
        self.profile = profile

    def compose(self) -> ComposeResult:
        profile = self.profile
        with Vertical(id="dialog"):
            yield Static(_("Edit {name}").format(name=profile.name), classes="dialog-title")
            with VerticalScroll(id="contact-fields"):
                with Horizontal(classes="form-row"):
                    yield Label(_("Name"), classes="field-label")
                    yield Input(
                        profile.name_override or "",
                        placeholder=profile.contact.profile_name or _("the team's name for them"),
                        compact=True,
                        id="contact-name",
                    )
                for key, value in sorted(profile.attributes.items()):
                    with Horizontal(classes="form-row"):
                        yield Label(key, classes="field-label")
                        yield Input(value, compact=True, id=f"attr-{key}", classes="attribute")
                with Horizontal(classes="form-row"):
                    yield Input(placeholder=_("new attribute"), compact=True, id="new-key")
                    yield Input(placeholder=_("value"), compact=True, id="new-value")
            yield Static(
                _("blank name: WhatsApp's · blank value: removes it · ctrl+s save · esc cancel"),
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#contact-name", Input).focus()

    def form(self) -> ProfileForm:
        """The fields as typed now."""
        return ProfileForm(
            name=self.query_one("#contact-name", Input).value,
            attributes={
                str(field.id).removeprefix("attr-"): field.value
                for field in self.query(".attribute").results(Input)
            },
            new_key=self.query_one("#new-key", Input).value,
            new_value=self.query_one("#new-value", Input).value,
        )

    @on(Input.Submitted)
    def action_save(self) -> None:
        try:
            change = self.form().changes(self.profile)
        except ProfileFormError as problem:
            self.notify(str(problem), title=_("Not saved"), severity="warning")
            return
        if not change.model_fields_set:
            self.dismiss(None)  # nothing changed: nothing to send
            return
        self._save(change)

    @work(exclusive=True, exit_on_error=False, group="contact-save")
    async def _save(self, change: ContactUpdate) -> None:
        try:
            saved = await self._client.update_contact(self.profile.contact.id, change)
        except DaemonError as error:
            report_failure(self, error, _("Not saved"))
            return
        self.dismiss(saved)


class ContactFinder(ModalScreen[uuid.UUID | None]):
    """Find any contact, with or without an open conversation; enter shows their profile."""

    CSS_PATH = _CSS_PATH
    BINDINGS = [Binding("escape", "dismiss(None)", N_("Cancel"))]

    def __init__(self, client: DaemonClient) -> None:
        super().__init__()
        self._client = client
        self.found: list[ContactSummary] = []
        self.searched = ""
        """The text of the results shown (tests wait on it)."""
        self._timer: Timer | None = None
        self._open_first = False
        """Enter came before the results: open the first one when they arrive."""

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="-tall"):
            yield Static(_("Find a contact"), classes="dialog-title")
            yield Input(placeholder=_("name, @username, phone or BSUID"), id="contact-query")
            yield OptionList(id="contacts-found")
            yield Static(
                _(
                    "at least {count} characters · ↓ to the results · enter: profile · "
                    "escape: cancel"
                ).format(count=SEARCH_MIN_LENGTH),
                id="finder-hint",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#contact-query", Input).focus()

    @on(Input.Changed, "#contact-query")
    def _typed(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(SEARCH_DEBOUNCE_SECONDS, self._search_now)

    def _search_now(self) -> None:
        self._timer = None
        text = self.query_one("#contact-query", Input).value.strip()
        if len(text) < SEARCH_MIN_LENGTH:
            self._show(text, [])
            return
        self._search(text)

    @work(exclusive=True, exit_on_error=False, group="contact-search")
    async def _search(self, text: str) -> None:
        try:
            page = await self._client.search_contacts(text)
        except DaemonError as error:
            report_failure(self, error, _("Could not search"))
            return
        self._show(text, page.items)

    def _show(self, text: str, found: list[ContactSummary]) -> None:
        self.found = found
        self.searched = text
        if self._open_first and found:
            self.dismiss(found[0].contact.id)
            return
        self._open_first = False
        listed = self.query_one("#contacts-found", OptionList)
        listed.clear_options()
        listed.add_options(Option(summary_line(s), id=str(s.contact.id)) for s in found)
        if found:
            listed.highlighted = 0
        elif len(text) >= SEARCH_MIN_LENGTH:
            listed.add_option(Option(_("nobody matches {text!r}").format(text=text), disabled=True))

    def on_key(self, event: events.Key) -> None:
        # Down from the search box goes to the results, as in a browser's address bar.
        query = self.query_one("#contact-query", Input)
        if event.key == "down" and query.has_focus and self.found:
            self.query_one("#contacts-found", OptionList).focus()

    @on(Input.Submitted, "#contact-query")
    def _submitted(self) -> None:
        text = self.query_one("#contact-query", Input).value.strip()
        if self._timer is None and text == self.searched:
            if self.found:
                self.dismiss(self.found[0].contact.id)
            return
        # Typed faster than the debounce: search now and open the first match.
        self._open_first = True
        if self._timer is not None:
            self._timer.stop()
        self._search_now()

    @on(OptionList.OptionSelected, "#contacts-found")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(uuid.UUID(event.option.id))
