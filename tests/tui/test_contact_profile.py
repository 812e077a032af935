"""The contact profile panel (alt+i in the chat) and the contact finder (alt+f): its lines
without Textual, pilot tests against a scripted daemon with the daemon's contact rules
(``contact_profile_support.py``), and the panel's edit against the real daemon."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Sparkline, Static, TextArea

from pytake_daemon.db.pool import Connection
from pytake_daemon.keys import SECRET_BOX
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.contacts import ContactUpdate
from pytake_tui import PyTakeApp, build_app
from pytake_tui.client import DaemonClient
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.profile_view import ProfileForm, ProfileFormError, attendance_line, mood_line
from pytake_tui.screens import ChatScreen
from pytake_tui.screens.chat_actions import NoteEditor
from pytake_tui.screens.contact_dialogs import ContactEditor, ContactFinder
from pytake_tui.widgets.contact_profile import ContactProfilePanel
from pytake_tui.widgets.conversation_list import ConversationList
from tests.conftest import ApiClient, MakeTenant
from tests.contacts.seed import PHONE, seed_customers

from .chat_support import open_first
from .contact_profile_support import MARI_BSUID, MARI_ID, contacts_world, profile_app
from .fake_world import demo_world
from .helpers import MessageLog, wait_until


def _opened(chat: ChatScreen) -> uuid.UUID | None:
    return chat.pane.open.id if chat.pane.open is not None else None


def _text(panel: ContactProfilePanel, part: str) -> str:
    return str(panel.query_one(f"#profile-{part}", Static).render())


async def _chat(pilot: Pilot[Any], rows: int) -> ChatScreen:
    app = pilot.app
    await wait_until(
        pilot,
        lambda: (
            isinstance(app.screen, ChatScreen)
            and app.screen.query_one(ConversationList).option_count == rows
        ),
        "the list",
    )
    assert isinstance(app.screen, ChatScreen)
    return app.screen


async def _profile_of_ana(pilot: Pilot[Any]) -> ContactProfilePanel:
    chat = await open_first(pilot)
    await pilot.press("alt+i")
    await wait_until(pilot, lambda: bool(chat.query(ContactProfilePanel)), "the panel")
    panel = chat.query_one(ContactProfilePanel)
    await wait_until(pilot, lambda: panel.profile is not None, "the profile read")
    return panel


def test_the_form_sends_only_what_changed_and_names_what_is_wrong() -> None:
    profile = contacts_world(demo_world()).profiles
    ana = next(p for p in profile.values() if p.name_override)
    same = ProfileForm(name=ana.name_override or "", attributes=dict(ana.attributes))
    assert same.changes(ana).model_fields_set == set()
    changed = ProfileForm(
        name="",
        attributes={**ana.attributes, "plan": " platinum ", "city": ""},
        new_key="Segment",
        new_value="retail",
    ).changes(ana)
    assert changed == ContactUpdate(
        name=None, attributes={"plan": "platinum", "city": None, "segment": "retail"}
    )
    assert changed.model_fields_set == {"name", "attributes"}
    with pytest.raises(ProfileFormError, match="attribute key 'bad key'"):
        ProfileForm(name="", attributes={}, new_key="bad key", new_value="x").changes(ana)
    with pytest.raises(ProfileFormError, match="Give the new attribute"):
        ProfileForm(name="", attributes={}, new_key="vip").changes(ana)
    assert attendance_line(ana.attendances[1]) == "Mar 10 Billing · Bob Agent · closed ★5"


def test_the_mood_line_says_which_language_the_latest_message_was_read_in() -> None:
    profile = next(p for p in contacts_world(demo_world()).profiles.values() if p.mood)
    last = profile.mood[-1].model_copy(update={"label": "positive"})
    shown = profile.model_copy(
        update={"mood": [*profile.mood[:-1], last.model_copy(update={"language": "en"})]}
    )
    assert "read in English · " in mood_line(shown)
    short = last.model_copy(update={"language": "en", "language_source": "contact"})
    line = mood_line(shown.model_copy(update={"mood": [short]}))
    assert line == (
        "now ☺ positive · read in English (too short to tell: their earlier messages) · 1 message"
    )
    assert "read in" not in mood_line(profile.model_copy(update={"mood": [last]}))


async def test_alt_i_shows_the_profile_and_edits_it(tmp_path: Path) -> None:
    app, people, _ = profile_app(tmp_path)
    log = MessageLog()
    async with app.run_test(size=(160, 48), message_hook=log) as pilot:
        panel = await _profile_of_ana(pilot)
        assert panel.has_focus
        assert _text(panel, "name") == "Ana Souza (VIP) (WhatsApp: Ana Souza)"
        assert _text(panel, "identity") == "no username\n+5511999990001"
        assert _text(panel, "tags") == "#late-delivery #vip"
        assert _text(panel, "attributes") == "city: Recife\norder_id: A-2291\nplan: gold"
        assert "Bob Agent: Prefers e-mail for invoices" in _text(panel, "notes")
        past = _text(panel, "attendances").splitlines()
        assert past[0] == "Mar 13 Support · Alice Example · being attended"
        assert past[-1] == "★ 4.0 average of 2 ratings"
        assert panel.profile is not None
        assert panel.query_one(Sparkline).data == [p.sentiment for p in panel.profile.mood]
        assert _text(panel, "mood-line") == "now ☺ positive · 12 messages"

        # e: the form; a key the daemon would refuse is named, nothing is sent.
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, ContactEditor), "the editor")
        editor = app.screen
        assert isinstance(editor, ContactEditor)
        editor.query_one("#attr-plan", Input).value = "platinum"
        editor.query_one("#attr-city", Input).value = ""
        editor.query_one("#new-key", Input).value = "Bad Key"
        editor.query_one("#new-value", Input).value = "retail"
        await pilot.press("ctrl+s")
        assert "attribute key 'bad key'" in log.notifications()[-1]
        assert app.screen is editor
        editor.query_one("#new-key", Input).value = "segment"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, ContactEditor), "saved")
        [(_, _, change)] = [c for c in people.calls if c[0] == "PATCH"]
        assert change.model_dump(exclude_unset=True) == {
            "attributes": {"plan": "platinum", "city": None, "segment": "retail"}
        }
        assert _text(panel, "attributes") == "order_id: A-2291\nplan: platinum\nsegment: retail"

        # n: a note, written for the team and listed first.
        panel.focus()
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NoteEditor), "the note editor")
        app.screen.query_one("#note-body", TextArea).text = "Call after 6pm"
        await pilot.press("ctrl+s")
        await wait_until(
            pilot, lambda: "Alice Example: Call after 6pm" in _text(panel, "notes"), "the note"
        )
        assert _text(panel, "notes").startswith("Mar 14 Alice Example: Call after 6pm")

        # alt+i again takes it away.
        chat = app.screen
        assert isinstance(chat, ChatScreen)
        await pilot.press("alt+i")
        await wait_until(pilot, lambda: not chat.query(ContactProfilePanel), "the panel closed")


async def test_alt_f_finds_a_contact_without_a_conversation(tmp_path: Path) -> None:
    app, people, _ = profile_app(tmp_path)
    log = MessageLog()
    async with app.run_test(size=(100, 30), message_hook=log) as pilot:
        chat = await _chat(pilot, 4)
        await pilot.press("alt+f")
        await wait_until(pilot, lambda: isinstance(app.screen, ContactFinder), "the finder")
        finder = app.screen
        assert isinstance(finder, ContactFinder)
        await pilot.press(*"ma")  # two characters: not searched (the daemon needs three)
        await wait_until(pilot, lambda: finder.searched == "ma", "the short text read")
        assert finder.found == []
        assert [c for c in people.calls if c[1] == "contacts"] == []
        await pilot.press("r")
        await wait_until(pilot, lambda: finder.searched == "mar", "the search")
        assert [s.contact.id for s in finder.found] == [MARI_ID]
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(chat.query(ContactProfilePanel)), "the panel")
        panel = chat.query_one(ContactProfilePanel)
        await wait_until(pilot, lambda: panel.profile is not None, "Mari's profile")
        assert _text(panel, "identity") == f"@mari.lima\nphone hidden\nBSUID {MARI_BSUID}"
        assert _text(panel, "attendances") == "not rated yet"
        assert _text(panel, "mood-line") == "no analysed message yet"
        await pilot.press("o")
        assert log.notifications()[-1].endswith("No conversation with this contact yet")
        assert chat.has_class("-profile-shown", "-profile-over-list")
        # Below 120 columns the profile takes the list's place; escape in it gives it back.
        assert not chat.query_one("#sidebar").display
        await pilot.press("escape")
        await wait_until(pilot, lambda: not chat.query(ContactProfilePanel), "closed")
        assert not chat.has_class("-profile-shown")
        assert not chat.has_class("-profile-over-list")
        assert chat.query_one("#sidebar").display


async def test_the_panel_edits_a_contact_against_the_real_daemon(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    customer = await seed_customers(admin_conn, tenant.id, agent.id, api.app[SECRET_BOX])
    server = str(api.make_url("")).rstrip("/")
    credentials = tmp_path / "credentials.json"
    CredentialStore(credentials).save(
        SavedSession(
            server=server,
            token=agent.token,
            expires_at=datetime.now(UTC) + timedelta(hours=1),
            email=agent.email,
        )
    )
    app = build_app(server=server, credentials_path=credentials, downloads_dir=tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        assert isinstance(app, PyTakeApp)
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), "the chat")
        chat = app.screen
        await pilot.press("alt+f")
        await wait_until(pilot, lambda: isinstance(app.screen, ContactFinder), "the finder")
        # Enter before the search ran: it runs at once and opens the first match.
        await pilot.press(*PHONE[-5:], "enter")
        await wait_until(pilot, lambda: bool(chat.query(ContactProfilePanel)), "the panel")
        panel = chat.query_one(ContactProfilePanel)
        await wait_until(pilot, lambda: panel.profile is not None, "Ana's profile")
        assert panel.contact_id == customer.ana
        assert "completed" not in _text(panel, "attendances")  # in the console's words
        assert "closed ★5" in _text(panel, "attendances")

        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, ContactEditor), "the editor")
        editor = app.screen
        assert isinstance(editor, ContactEditor)
        editor.query_one("#contact-name", Input).value = "Ana (VIP)"
        editor.query_one("#new-key", Input).value = "plan"
        editor.query_one("#new-value", Input).value = "gold"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, ContactEditor), "saved")
        await wait_until(pilot, lambda: _text(panel, "attributes") == "plan: gold", "shown")

        # o opens her (closed) conversation beside the panel.
        assert isinstance(chat, ChatScreen)
        assert _opened(chat) is None
        panel.focus()
        await pilot.press("o")
        await wait_until(pilot, lambda: _opened(chat) is not None, "her conversation opened")
        assert _opened(chat) == customer.ana_conversation
    async with DaemonClient(server, token=agent.token) as client:
        saved = await client.contact_profile(customer.ana)
    assert (saved.name_override, saved.attributes) == ("Ana (VIP)", {"plan": "gold"})
