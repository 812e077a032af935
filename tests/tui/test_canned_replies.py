"""The canned responses screen (f12): pilot tests against a scripted daemon that keeps the
daemon's rules (``canned_replies_support.py``), and one against the real daemon (app,
PostgreSQL, Redis) where an agent creates, edits and removes a reply of their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import Input, Select, Static, TextArea

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.ai import ReplyCreate, ReplyQuery, ReplyScope, ReplyUpdate
from pytake_tui import build_app
from pytake_tui.client import DaemonClient
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.replies import ReplyForm, ReplyFormError
from pytake_tui.screens.admin_confirm import ConfirmChange
from pytake_tui.screens.canned_replies import TEAM_ONLY, CannedRepliesScreen
from pytake_tui.screens.canned_replies_dialogs import ReplyEditor, ShareDialog
from tests.conftest import ApiClient, MakeTenant

from .canned_replies_support import RepliesWorld, replies_app, replies_ready, reply
from .helpers import MessageLog, wait_until
from .identities import USER_ID


def _last(log: MessageLog) -> str:
    return log.notifications()[-1] if log.notifications() else ""


def _department(screen: CannedRepliesScreen) -> str | None:
    return screen.highlighted.department if screen.highlighted is not None else None


def _fill(editor: ReplyEditor, *, title: str, shortcut: str, body: str) -> None:
    editor.query_one("#reply-title", Input).value = title
    editor.query_one("#shortcut", Input).value = shortcut
    editor.query_one("#reply-body", TextArea).text = body


def test_the_form_reads_a_reply_and_sends_only_what_changed() -> None:
    made = ReplyForm(title="  Late  order ", body=" Sorry! ", shortcut="/Late", language="en")
    assert made.create() == ReplyCreate(
        title="Late order", body="Sorry!", shortcut="late", language="en",
        scope=ReplyScope.PERSONAL,
    )  # fmt: skip
    original = reply(9, "Late order", "Sorry!", shortcut="late", department="care")
    form = ReplyForm.of(original)
    assert form.changes(original).model_fields_set == set()
    # Blank removes (an explicit null), the rest stays out of the PATCH.
    cleared = ReplyForm(title=form.title, body=form.body, scope=ReplyScope.TEAM).changes(original)
    assert cleared.model_dump(exclude_unset=True) == {
        "shortcut": None, "language": None, "department": None,
    }  # fmt: skip
    for bad, sentence in (
        (ReplyForm(title="", body="x"), "needs a title"),
        (ReplyForm(title="t", body="x", shortcut="no spaces"), "lower-case letters"),
        (ReplyForm(title="t", body="x", department="care"), "personal reply has no department"),
    ):
        with pytest.raises(ReplyFormError, match=sentence):
            bad.create()


async def test_an_agent_adds_and_edits_their_own_and_only_reads_the_teams(
    tmp_path: Path,
) -> None:
    world = RepliesWorld()
    log = MessageLog()
    app = replies_app(tmp_path, world)
    async with app.run_test(size=(120, 36), message_hook=log) as pilot:
        screen = await replies_ready(pilot)
        # Own first, then the team's; another department's and another agent's are not listed.
        assert [r.title for r in screen.replies] == [
            "My sign-off", "Call me back", "Order number", "Order late",
        ]  # fmt: skip
        preview = screen.query_one("#reply-preview", Static)
        assert "Um abraço, {{agent_name}}" in str(preview.render())

        # The team's reply: no editor, no call, a toast saying who manages it.
        await pilot.press("down", "down", "e")
        assert not isinstance(app.screen, ReplyEditor)
        assert TEAM_ONLY in _last(log)
        await pilot.press("s", "d")  # sharing is a supervisor's; removing the team's too
        assert [c for c in world.calls if c[0] != "GET"] == []

        # A new reply is the agent's own (the scope is not theirs to pick).
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ReplyEditor), "the editor")
        editor = app.screen
        assert isinstance(editor, ReplyEditor)
        assert editor.query_one("#scope", Select).disabled
        _fill(editor, title="Address", shortcut="/bye", body="Which address, {{first_name}}?")
        await pilot.press("ctrl+s")
        # The shortcut is taken among the agent's own: the daemon's 409, the editor stays.
        await wait_until(pilot, lambda: "already used" in _last(log), "the 409")
        assert app.screen is editor
        editor.query_one("#shortcut", Input).value = "addr"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen, "back on the list")
        await wait_until(pilot, lambda: len(screen.replies) == 5, "the new reply listed")
        made = next(r for r in screen.replies if r.title == "Address")
        assert (made.scope, made.owner_id, made.shortcut) == (ReplyScope.PERSONAL, USER_ID, "addr")
        assert screen.highlighted == made

        # Enter edits it; a blank title is named before anything is sent.
        sent = len(world.calls)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ReplyEditor), "the editor")
        changing = app.screen
        assert isinstance(changing, ReplyEditor)
        changing.query_one("#reply-title", Input).value = " "
        await pilot.press("ctrl+s")
        assert "The reply needs a title." in _last(log)
        assert len(world.calls) == sent
        changing.query_one("#reply-title", Input).value = "Delivery address"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen, "back on the list")
        patch = next(c for c in world.calls if c[0] == "PATCH")
        assert patch[2] == ReplyUpdate(title="Delivery address")
        assert patch[2].model_fields_set == {"title"}


async def test_a_supervisor_shares_moves_and_removes(tmp_path: Path) -> None:
    world = RepliesWorld()
    log = MessageLog()
    app = replies_app(tmp_path, world, role=Role.SUPERVISOR)
    async with app.run_test(size=(120, 36), message_hook=log) as pilot:
        screen = await replies_ready(pilot)
        # A supervisor sees every department's team replies.
        assert "Refund policy" in [r.title for r in screen.replies]

        # Their own "Call me back" goes to the billing department.
        await pilot.press("down", "s")
        await wait_until(pilot, lambda: isinstance(app.screen, ShareDialog), "the share dialog")
        dialog = app.screen
        assert isinstance(dialog, ShareDialog)
        assert dialog.query_one("#share-scope", Select).value == "team"
        dialog.query_one("#share-department", Input).value = "billing"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is screen, "back on the list")
        await wait_until(pilot, lambda: _department(screen) == "billing", "the shared reply")
        shared = screen.highlighted
        assert shared is not None
        assert (shared.title, shared.scope, shared.owner_id) == ("Call me back", "team", None)
        assert "is now the billing department's" in _last(log)

        # Removing asks first: n keeps it, y removes it.
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmChange), "the question")
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is screen, "back on the list")
        assert not [c for c in world.calls if c[0] == "DELETE"]
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmChange), "the question")
        await pilot.press("y")
        await wait_until(
            pilot, lambda: "Call me back" not in [r.title for r in screen.replies], "removed"
        )
        assert [c[1] for c in world.calls if c[0] == "DELETE"] == [str(shared.id)]


async def test_an_agent_creates_a_reply_against_the_real_daemon(
    api: ApiClient, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    server = str(api.make_url("")).rstrip("/")
    async with DaemonClient(server, token=tenant[Role.SUPERVISOR].token) as supervisor:
        await supervisor.create_reply(ReplyCreate(title="Team hello", body="Olá!", shortcut="hi"))
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
    log = MessageLog()
    async with app.run_test(size=(120, 36), message_hook=log) as pilot:
        screen = await replies_ready(pilot)
        assert [r.title for r in screen.replies] == ["Team hello"]
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ReplyEditor), "the editor")
        editor = app.screen
        assert isinstance(editor, ReplyEditor)
        _fill(editor, title="Pix", shortcut="pix", body="Chave pix: {{phone}}")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen, "back on the list")
        await wait_until(pilot, lambda: len(screen.replies) == 2, "the new reply listed")
        # The same shortcut again: the daemon's 409 in a toast, the editor keeps the text.
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ReplyEditor), "the editor")
        editor = app.screen
        assert isinstance(editor, ReplyEditor)
        _fill(editor, title="Pix again", shortcut="pix", body="Outra chave")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "Conflict" in _last(log), "the refusal")
        assert _last(log) == (
            "Not saved: Conflict: the shortcut /pix is already used among your own replies"
        )
        assert editor.form().title == "Pix again"
        assert app.screen is editor
    async with DaemonClient(server, token=agent.token) as client:
        mine = (await client.find_replies(ReplyQuery(scope=ReplyScope.PERSONAL))).items
    assert [(r.title, r.shortcut, r.owner_id, r.body) for r in mine] == [
        ("Pix", "pix", agent.id, "Chave pix: {{phone}}")
    ]
