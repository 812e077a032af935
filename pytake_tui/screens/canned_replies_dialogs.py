"""The canned responses screen's dialogs: the reply editor, sharing, and removing one.

Each dialog makes its own call and stays open when the daemon refuses it (a taken shortcut is a
409, an invalid field a 422), with the daemon's sentence in a toast, so nothing typed is lost;
it dismisses with the reply as the daemon now has it.
"""

from __future__ import annotations

import uuid

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static, TextArea

from pytake_daemon.protocol.ai import ReplyCreate, ReplyOut, ReplyScope, ReplyUpdate
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _, pgettext
from pytake_tui.messages import report_failure
from pytake_tui.replies import ANY_LANGUAGE, VARIABLES_HINT, ReplyForm, ReplyFormError

_CSS_PATH = "canned_replies_dialogs.tcss"


def _scopes() -> list[tuple[str, str]]:
    return [
        (_("only me (personal)"), ReplyScope.PERSONAL.value),
        (pgettext("reply scope", "team"), ReplyScope.TEAM.value),
    ]


def _languages() -> list[tuple[str, str]]:
    return [(_("any language"), ANY_LANGUAGE), ("pt", "pt"), ("en", "en")]


class ReplyEditor(ModalScreen[ReplyOut | None]):
    """Add a reply (``reply`` None) or change one; ctrl+s saves, escape cancels."""

    CSS_PATH = _CSS_PATH
    BINDINGS = [
        Binding("escape", "dismiss(None)", N_("Cancel")),
        Binding("ctrl+s", "save", N_("Save")),
    ]

    def __init__(self, client: DaemonClient, reply: ReplyOut | None, *, shares: bool) -> None:
        super().__init__()
        self._client = client
        self.reply = reply
        self._shares = shares
        """The user may manage the team's replies (a supervisor): the scope is theirs to pick."""

    def compose(self) -> ComposeResult:
        form = ReplyForm.of(self.reply) if self.reply else ReplyForm(title="", body="")
        if self.reply is None and self._shares:
            form = ReplyForm(title="", body="", scope=ReplyScope.TEAM)
        title = (
            _("New canned response")
            if self.reply is None
            else _("Edit: {title}").format(title=self.reply.title)
        )
        with Vertical(id="dialog"):
            yield Static(title, classes="dialog-title")
            with Horizontal(classes="form-row"):
                yield Label(_("Title"), classes="field-label")
                yield Input(form.title, compact=True, id="reply-title")
            with Horizontal(classes="form-row"):
                yield Label(_("Shortcut /"), classes="field-label")
                yield Input(form.shortcut, placeholder=_("order-late"), compact=True, id="shortcut")
                yield Select(
                    _languages(),
                    value=form.language,
                    allow_blank=False,
                    compact=True,
                    id="language",
                )
            with Horizontal(classes="form-row"):
                yield Label(_("Who uses it"), classes="field-label")
                yield Select(
                    _scopes(),
                    value=form.scope.value,
                    allow_blank=False,
                    compact=True,
                    disabled=not self._shares,
                    id="scope",
                )
                yield Input(
                    form.department,
                    placeholder=_("department (team: all)"),
                    compact=True,
                    id="department",
                )
            yield Label(_("Text"), classes="field-label")
            yield TextArea(form.body, id="reply-body", soft_wrap=True, compact=True)
            yield Static(_(VARIABLES_HINT), classes="dialog-hint")
            yield Static(_("ctrl+s save · escape cancel"), classes="dialog-hint")

    def on_mount(self) -> None:
        self._scope_changed()
        self.query_one("#reply-title", Input).focus()

    @on(Select.Changed, "#scope")
    def _scope_changed(self) -> None:
        personal = self.query_one("#scope", Select).value == ReplyScope.PERSONAL.value
        self.query_one("#department", Input).disabled = personal

    def form(self) -> ReplyForm:
        """The fields as typed now."""
        scope = ReplyScope(str(self.query_one("#scope", Select).value))
        department = self.query_one("#department", Input)
        return ReplyForm(
            title=self.query_one("#reply-title", Input).value,
            body=self.query_one("#reply-body", TextArea).text,
            shortcut=self.query_one("#shortcut", Input).value,
            language=str(self.query_one("#language", Select).value),
            scope=scope,
            department="" if department.disabled else department.value,
        )

    @on(Input.Submitted)
    def action_save(self) -> None:
        try:
            form = self.form()
            request = form.create() if self.reply is None else form.changes(self.reply)
        except ReplyFormError as problem:
            self.notify(str(problem), title=_("Not saved"), severity="warning")
            return
        self._save(request)

    @work(exclusive=True, exit_on_error=False, group="reply-save")
    async def _save(self, request: ReplyCreate | ReplyUpdate) -> None:
        try:
            if isinstance(request, ReplyCreate):
                saved = await self._client.create_reply(request)
            else:
                assert self.reply is not None
                if not request.model_fields_set:
                    self.dismiss(self.reply)  # nothing changed: nothing to send
                    return
                saved = await self._client.update_reply(self.reply.id, request)
        except DaemonError as error:
            report_failure(self, error, _("Not saved"))
            return
        self.dismiss(saved)


class ShareDialog(ModalScreen[ReplyOut | None]):
    """A supervisor moves a reply between their own and the team's (and picks a department)."""

    CSS_PATH = _CSS_PATH
    BINDINGS = [
        Binding("escape", "dismiss(None)", N_("Cancel")),
        Binding("ctrl+s", "save", N_("Save")),
    ]

    def __init__(self, client: DaemonClient, reply: ReplyOut) -> None:
        super().__init__()
        self._client = client
        self.reply = reply

    def compose(self) -> ComposeResult:
        # Sharing a personal reply is the usual wish: the dialog opens on the other scope.
        target = ReplyScope.TEAM if self.reply.scope is ReplyScope.PERSONAL else self.reply.scope
        with Vertical(id="dialog", classes="-short"):
            yield Static(_("Share: {title}").format(title=self.reply.title), classes="dialog-title")
            with Horizontal(classes="form-row"):
                yield Label(_("Who uses it"), classes="field-label")
                yield Select(
                    _scopes(), value=target.value, allow_blank=False, compact=True, id="share-scope"
                )
            with Horizontal(classes="form-row"):
                yield Label(_("Department"), classes="field-label")
                yield Input(
                    self.reply.department or "",
                    placeholder=_("blank: the whole team"),
                    compact=True,
                    id="share-department",
                )
            yield Static(
                _("team: every agent (or one department's) · only me: yours alone"),
                classes="dialog-hint",
            )
            yield Static(_("enter or ctrl+s save · escape cancel"), classes="dialog-hint")

    def on_mount(self) -> None:
        self._scope_changed()
        self.query_one("#share-department", Input).focus()

    @on(Select.Changed, "#share-scope")
    def _scope_changed(self) -> None:
        personal = self.query_one("#share-scope", Select).value == ReplyScope.PERSONAL.value
        self.query_one("#share-department", Input).disabled = personal

    @on(Input.Submitted)
    def action_save(self) -> None:
        form = ReplyForm.of(self.reply)
        department = self.query_one("#share-department", Input)
        scope = ReplyScope(str(self.query_one("#share-scope", Select).value))
        shared = ReplyForm(
            title=form.title,
            body=form.body,
            shortcut=form.shortcut,
            language=form.language,
            scope=scope,
            department="" if department.disabled else department.value,
        )
        try:
            change = shared.changes(self.reply)
        except ReplyFormError as problem:
            self.notify(str(problem), title=_("Not shared"), severity="warning")
            return
        self._share(self.reply.id, change)

    @work(exclusive=True, exit_on_error=False, group="reply-share")
    async def _share(self, reply_id: uuid.UUID, change: ReplyUpdate) -> None:
        if not change.model_fields_set:
            self.dismiss(None)
            return
        try:
            saved = await self._client.update_reply(reply_id, change)
        except DaemonError as error:
            report_failure(self, error, _("Not shared"))
            return
        self.dismiss(saved)
