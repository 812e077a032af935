"""The contact profile panel, beside the chat's thread (``alt+i``; ``alt+f`` finds any contact).

Who the customer is (the team's name, @username, phone or "hidden", BSUID), their tags and
custom attributes, the team's notes, past conversations with how each ended and the rating,
and the AI's reading of their mood over time as a sparkline. With the focus in the panel,
``e`` edits the name and attributes (PATCH), ``n`` adds a note, ``t`` edits the tags, ``o``
opens their latest conversation, ``r`` reads it again and escape closes it. The panel makes its
own calls; the profile has no live event, so it is read when shown and after each change.
"""

from __future__ import annotations

import uuid
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Sparkline, Static

from pytake_daemon.protocol.contacts import ContactProfile
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _, ngettext
from pytake_tui.messages import report_failure
from pytake_tui.profile_view import (
    attendance_line,
    attribute_lines,
    identity_lines,
    mood_line,
    name_line,
    note_line,
    rating_line,
    tags_line,
)
from pytake_tui.screens.chat_actions import NoteEditor, TagEditor
from pytake_tui.screens.contact_dialogs import ContactEditor
from pytake_tui.widgets.conversation_pane import SidePanel

PROFILE_SHOWN = "-profile-shown"
"""The chat screen's class while a profile is beside the thread."""
PROFILE_OVER_LIST = "-profile-over-list"
"""...and while it is narrower than :data:`ROOM_FOR_ALL`: the profile takes the list's place."""
ROOM_FOR_ALL = 120
"""Columns for the list, a readable thread and the panel side by side."""
NOTES_SHOWN = 5
ATTENDANCES_SHOWN = 8
LINE_WIDTH = 160
"""Where a note or an attribute is cut; the panel wraps what is shorter."""


class ContactProfilePanel(Vertical, can_focus=True):
    """One contact's profile; :attr:`profile` is None until read."""

    DEFAULT_CSS = """
    ContactProfilePanel { height: auto; }
    ContactProfilePanel .profile-section { text-style: bold; color: $text-accent; margin-top: 1; }
    ContactProfilePanel #profile-name { text-style: bold; }
    ContactProfilePanel #profile-mood { height: 2; margin-top: 1; }
    ContactProfilePanel .profile-hint { color: $text-muted; margin-top: 1; }
    ContactProfilePanel:focus { background-tint: $foreground 3%; }
    """

    BINDINGS = [
        Binding("e", "edit", N_("Edit contact")),
        Binding("n", "note", N_("Add note")),
        Binding("t", "tags", N_("Contact tags")),
        Binding("o", "open_latest", N_("Open their conversation")),
        Binding("r", "reload", N_("Refresh profile")),
        Binding("escape", "close_profile", N_("Close profile")),
    ]

    class Loaded(Message):
        """The daemon's profile, read or just changed."""

        def __init__(self, profile: ContactProfile) -> None:
            super().__init__()
            self.profile = profile

    class ConversationRequested(Message):
        """Open this conversation of the contact in the chat (``o``)."""

        def __init__(self, conversation_id: uuid.UUID) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    def __init__(self, client: DaemonClient, contact_id: uuid.UUID, *, id: str | None = None):
        super().__init__(id=id)
        self._client = client
        self.contact_id = contact_id
        self.profile: ContactProfile | None = None

    def compose(self) -> ComposeResult:
        yield Static(_("Reading the profile…"), id="profile-name", markup=False)
        yield Static(id="profile-identity", markup=False)
        yield Static(id="profile-tags", markup=False)
        yield Static(_("Attributes"), classes="profile-section")
        yield Static(id="profile-attributes", markup=False)
        yield Static(_("Notes"), classes="profile-section")
        yield Static(id="profile-notes", markup=False)
        yield Static(_("Past conversations"), classes="profile-section")
        yield Static(id="profile-attendances", markup=False)
        yield Static(_("Mood"), classes="profile-section")
        yield Sparkline([], id="profile-mood")
        yield Static(id="profile-mood-line", markup=False)
        yield Static(
            _(
                "e edit · n note · t tags · o open their conversation · r refresh · esc close · "
                "alt+f find another"
            ),
            classes="profile-hint",
        )

    def on_mount(self) -> None:
        self.action_reload()

    async def action_close_profile(self) -> None:
        """Take the profile away (alt+i brings it back)."""
        if isinstance(self.parent, SidePanel):
            self.screen.remove_class(PROFILE_SHOWN, PROFILE_OVER_LIST)
            await self.parent.show(None)

    def action_reload(self) -> None:
        """Read the profile again."""
        self._load()

    @work(exclusive=True, exit_on_error=False, group="profile")
    async def _load(self) -> None:
        try:
            profile = await self._client.contact_profile(self.contact_id)
        except DaemonError as error:
            report_failure(self, error, _("Could not read the profile"))
            return
        self.post_message(self.Loaded(profile))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.show(message.profile)

    def show(self, profile: ContactProfile) -> None:
        """Draw ``profile``."""
        self.profile = profile
        self.query_one("#profile-name", Static).update(name_line(profile))
        self.query_one("#profile-identity", Static).update("\n".join(identity_lines(profile)))
        self.query_one("#profile-tags", Static).update(tags_line(profile.tags))
        self.query_one("#profile-attributes", Static).update(
            "\n".join(attribute_lines(profile.attributes, LINE_WIDTH))
        )
        notes = [note_line(n, LINE_WIDTH) for n in profile.notes[:NOTES_SHOWN]]
        if len(profile.notes) > NOTES_SHOWN:
            older = len(profile.notes) - NOTES_SHOWN
            notes.append("… " + ngettext("{n} older", "{n} older", older).format(n=older))
        self.query_one("#profile-notes", Static).update("\n".join(notes) or "none yet")
        past = [attendance_line(a) for a in profile.attendances[:ATTENDANCES_SHOWN]]
        past.append(rating_line(profile))
        self.query_one("#profile-attendances", Static).update("\n".join(past))
        mood = self.query_one("#profile-mood", Sparkline)
        mood.data = [point.sentiment for point in profile.mood]
        # One reading draws nothing useful: the line under it says it.
        mood.display = len(profile.mood) > 1
        self.query_one("#profile-mood-line", Static).update(mood_line(profile))

    def action_open_latest(self) -> None:
        """Open the contact's most recent conversation (also a closed one) beside the panel."""
        if self.profile is None:
            return
        if not self.profile.conversations:
            self.notify(_("No conversation with this contact yet"), severity="warning")
            return
        self.post_message(self.ConversationRequested(self.profile.conversations[0].id))

    # Editing

    def action_edit(self) -> None:
        """Change the team's name for the contact and its custom attributes."""
        if self.profile is not None:
            self._edit(self.profile)

    @work(exclusive=True, exit_on_error=False, group="profile-dialog")
    async def _edit(self, profile: ContactProfile) -> None:
        saved = await self.app.push_screen_wait(ContactEditor(self._client, profile))
        if saved is not None:
            self.show(saved)
            self.notify(_("Saved {name}").format(name=saved.name))

    def action_note(self) -> None:
        """Add a note about the customer (the team's; never sent to them)."""
        if self.profile is not None:
            self._note(self.profile)

    @work(exclusive=True, exit_on_error=False, group="profile-dialog")
    async def _note(self, profile: ContactProfile) -> None:
        body = await self.app.push_screen_wait(NoteEditor(profile.name))
        if body is None:
            return
        try:
            await self._client.add_contact_note(profile.contact.id, body)
        except DaemonError as error:
            report_failure(self, error, _("Note not saved"))
            return
        self.notify(_("Note added"))
        self._load()

    def action_tags(self) -> None:
        """Edit the contact's tags (one line, separated by commas)."""
        if self.profile is not None:
            self._tags(self.profile)

    @work(exclusive=True, exit_on_error=False, group="profile-dialog")
    async def _tags(self, profile: ContactProfile) -> None:
        tags = await self.app.push_screen_wait(TagEditor(profile.name, profile.tags))
        if tags is None:
            return
        try:
            saved = await self._client.set_contact_tags(profile.contact.id, tags)
        except DaemonError as error:
            report_failure(self, error, _("Tags not saved"))
            return
        self.show(saved)


def place_profile(screen: Screen[Any]) -> None:
    """Below :data:`ROOM_FOR_ALL` columns the shown profile takes the list's place (chat.tcss);
    the chat calls it when shown and on each resize while shown."""
    screen.set_class(screen.size.width < ROOM_FOR_ALL, PROFILE_OVER_LIST)


def shown_profile(panel: SidePanel) -> ContactProfilePanel | None:
    """The profile in the chat's side panel, if it shows one."""
    if not panel.display:
        return None
    return next(iter(panel.query(ContactProfilePanel)), None)


async def show_profile(
    panel: SidePanel, client: DaemonClient, contact_id: uuid.UUID, *, toggle: bool = False
) -> None:
    """Put the contact's profile in the side panel and focus it; with ``toggle``, a second
    press on the same contact closes it."""
    current = shown_profile(panel)
    if current is not None and current.contact_id == contact_id:
        if toggle:
            await panel.show(None)
            panel.screen.remove_class(PROFILE_SHOWN, PROFILE_OVER_LIST)
        else:
            current.focus()
        return
    profile = ContactProfilePanel(client, contact_id, id="contact-profile")
    await panel.show(profile)
    panel.screen.add_class(PROFILE_SHOWN)
    place_profile(panel.screen)
    profile.focus()


async def follow_conversation(
    panel: SidePanel, client: DaemonClient, contact_id: uuid.UUID
) -> None:
    """A profile shown beside the thread follows the conversation opened (without the focus)."""
    current = shown_profile(panel)
    if current is not None and current.contact_id != contact_id:
        await panel.show(ContactProfilePanel(client, contact_id, id="contact-profile"))
