"""The pickers and dialogs of the chat's open conversation, and the calls they end in.

A widget with nothing to draw: it owns the flow of each action (load what the picker lists,
push the dialog, make the call, say how it went) in ``@work`` workers, and posts past-tense
messages for the parts of the screen that show the outcome. The screen's keys call it with the
open conversation, so they work wherever the focus is.
"""

from __future__ import annotations

import asyncio
import mimetypes
import uuid
from pathlib import Path

from textual import work
from textual.message import Message
from textual.widget import Widget

from pytake_daemon.protocol import (
    ConversationOut,
    ConversationStatus,
    Me,
    MessageOut,
    Role,
    TemplateOut,
)
from pytake_daemon.protocol.agents import AgentOut
from pytake_daemon.protocol.ai import ReplyQuery, Suggestion
from pytake_daemon.protocol.conversations import AssignmentRequest, NoteOut, TransferRequest
from pytake_daemon.protocol.outgoing import PhoneRequest
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import _
from pytake_tui.messages import SessionExpired, report_failure
from pytake_tui.notifications import contact_name
from pytake_tui.replies import ShortcutMatch, shortcut_matches, variables
from pytake_tui.screens.capacity_override import (
    ConfirmOverride,
    capacity_question,
    capacity_refused,
)
from pytake_tui.screens.chat_actions import (
    CannedPicker,
    ConfirmClose,
    NoteEditor,
    TagEditor,
    TransferPicker,
)
from pytake_tui.screens.template_picker import TemplatePicker
from pytake_tui.vocabulary import conversation_status


class ConversationActions(Widget):
    """Transfer, close, snooze, resolve, notes, tags, canned responses, suggestions, templates,
    phone requests and downloads."""

    DEFAULT_CSS = "ConversationActions { display: none; }"

    class ConversationChanged(Message):
        """The daemon answered an action with the conversation's new state."""

        def __init__(self, conversation: ConversationOut) -> None:
            super().__init__()
            self.conversation = conversation

    class NoteWritten(Message):
        def __init__(self, note: NoteOut) -> None:
            super().__init__()
            self.note = note

    class TemplateChosen(Message):
        """A filled template to send (the composer's send path sends it)."""

        def __init__(self, conversation_id: uuid.UUID, content: TemplateOut) -> None:
            super().__init__()
            self.conversation_id = conversation_id
            self.content = content

    class TextChosen(Message):
        """Text for the draft (a canned response)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class SuggestionsFound(Message):
        def __init__(
            self, conversation_id: uuid.UUID, suggestions: list[Suggestion], intent: str
        ) -> None:
            super().__init__()
            self.conversation_id = conversation_id
            self.suggestions = suggestions
            self.intent = intent

    class ShortcutsFound(Message):
        """The replies whose shortcut starts with ``prefix``, filled for the conversation."""

        def __init__(self, prefix: str, matches: list[ShortcutMatch]) -> None:
            super().__init__()
            self.prefix = prefix
            self.matches = matches

    class MessageAccepted(Message):
        """The daemon queued a message this console asked for outside the draft."""

        def __init__(self, message: MessageOut) -> None:
            super().__init__()
            self.message = message

    def __init__(self, *, client: DaemonClient, me: Me, downloads: Path) -> None:
        super().__init__()
        self._client = client
        self._me = me
        self._downloads = downloads

    @work(exclusive=True, exit_on_error=False, group="templates")
    async def pick_template(self, conversation: ConversationOut) -> None:
        """Pick an approved template (the only thing allowed outside the 24-hour window)."""
        try:
            templates = await self._client.approved_templates()
        except DaemonError as error:
            report_failure(self, error, _("Could not load the templates"))
            return
        content = await self.app.push_screen_wait(
            TemplatePicker(templates.items, contact_name(conversation.contact))
        )
        if content is not None:
            self.post_message(self.TemplateChosen(conversation.id, content))

    @work(exclusive=True, exit_on_error=False, group="status")
    async def set_status(self, conversation: ConversationOut, status: ConversationStatus) -> None:
        """Resolve, reopen, snooze or wake the conversation."""
        try:
            changed = await self._client.set_status(conversation.id, status)
        except DaemonError as error:
            report_failure(self, error, _("Could not change the status"))
            return
        self.notify(f"{contact_name(changed.contact)}: {conversation_status(status)}")
        self.post_message(self.ConversationChanged(changed))

    @work(exclusive=True, exit_on_error=False, group="transfer")
    async def transfer(self, conversation: ConversationOut) -> None:
        """Hand the conversation to a queue or another agent."""
        try:
            queues = await self._client.queues()
            agents = await self._client.agents()
        except DaemonError as error:
            report_failure(self, error, _("Could not load the queues and agents"))
            return
        # A supervisor may pick an agent at capacity: the daemon's 409 then asks to override.
        supervisor = self._me.role.at_least(Role.SUPERVISOR)
        picker = TransferPicker(
            contact_name(conversation.contact),
            queues.items,
            agents.items,
            self._me.user_id,
            allow_full=supervisor,
        )
        request = await self.app.push_screen_wait(picker)
        if request is None:
            return
        if request.queue_id is not None:
            target = next(q.name for q in queues.items if q.id == request.queue_id)
        else:
            target = next(a.name for a in agents.items if a.id == request.agent_id)
        if supervisor:
            agent = next((a for a in agents.items if a.id == request.agent_id), None)
            changed = await self._assign(conversation, _as_assignment(request), agent)
            if changed is None:
                return
        else:
            try:
                changed = await self._client.transfer(conversation.id, request)
            except DaemonError as error:
                report_failure(self, error, _("Not transferred"))
                return
        self.notify(
            _("{contact} transferred to {target}").format(
                contact=contact_name(changed.contact), target=target
            ),
            title=_("Transferred"),
        )
        self.post_message(self.ConversationChanged(changed))

    @work(exclusive=True, exit_on_error=False, group="transfer")
    async def take(self, conversation: ConversationOut) -> None:
        """Attend the conversation yourself (supervisors)."""
        if conversation.assigned_user_id == self._me.user_id:
            self.notify(_("You already attend it"), severity="warning")
            return
        changed = await self._assign(conversation, AssignmentRequest(take=True), None)
        if changed is not None:
            self.notify(
                _("You attend {contact} now").format(contact=contact_name(changed.contact)),
                title=_("Taken"),
            )
            self.post_message(self.ConversationChanged(changed))

    async def _assign(
        self, conversation: ConversationOut, request: AssignmentRequest, agent: AgentOut | None
    ) -> ConversationOut | None:
        """A supervisor's move; an agent at capacity asks whether to assign anyway."""
        try:
            return await self._client.assign(conversation.id, request)
        except DaemonError as error:
            if not capacity_refused(error) or request.queue_id is not None:
                report_failure(self, error, _("Not assigned"))
                return None
        if agent is not None:
            question = capacity_question(agent.name, agent.active, agent.capacity)
        else:
            question = _("You are at capacity. Take it anyway?")
        if not await self.app.push_screen_wait(ConfirmOverride(question)):
            return None
        try:
            forced = request.model_copy(update={"override_capacity": True})
            return await self._client.assign(conversation.id, forced)
        except DaemonError as error:
            report_failure(self, error, _("Not assigned"))
            return None

    @work(exclusive=True, exit_on_error=False, group="status")
    async def close(self, conversation: ConversationOut) -> None:
        """Resolve the conversation after a confirmation; the customer rates the agent."""
        # As it is now: an assignment made meanwhile decides whether a rating is asked.
        try:
            conversation = await self._client.conversation(conversation.id)
        except DaemonError as error:
            report_failure(self, error, _("Could not close the conversation"))
            return
        attended = conversation.assigned_user_id is not None
        name = contact_name(conversation.contact)
        if not await self.app.push_screen_wait(ConfirmClose(name, attended)):
            return
        try:
            changed = await self._client.set_status(conversation.id, ConversationStatus.RESOLVED)
        except DaemonError as error:
            report_failure(self, error, _("Could not close the conversation"))
            return
        closed = (
            _("{contact}: closed — the customer will be asked for a rating")
            if attended
            else _("{contact}: closed")
        )
        self.notify(closed.format(contact=name), title=_("Closed"))
        self.post_message(self.ConversationChanged(changed))

    @work(exclusive=True, exit_on_error=False, group="note")
    async def write_note(self, conversation: ConversationOut) -> None:
        """Write an internal note on the conversation."""
        body = await self.app.push_screen_wait(NoteEditor(contact_name(conversation.contact)))
        if body is None:
            return
        try:
            note = await self._client.add_note(conversation.id, body)
        except DaemonError as error:
            report_failure(self, error, _("Note not saved"))
            return
        self.post_message(self.NoteWritten(note))

    @work(exclusive=True, exit_on_error=False, group="tags")
    async def edit_tags(self, conversation: ConversationOut) -> None:
        """Edit the conversation's tags."""
        editor = TagEditor(contact_name(conversation.contact), conversation.tags)
        tags = await self.app.push_screen_wait(editor)
        if tags is None:
            return
        try:
            changed = await self._client.set_tags(conversation.id, tags)
        except DaemonError as error:
            report_failure(self, error, _("Tags not saved"))
            return
        self.post_message(self.ConversationChanged(changed))

    @work(exclusive=True, exit_on_error=False, group="phone-request")
    async def request_phone(self, conversation: ConversationOut) -> None:
        """Ask a customer known only by their username to share their phone number."""
        # The daemon decides (window, templates, a phone already known) and says why in a 409.
        request = PhoneRequest(idempotency_key=str(uuid.uuid4()))
        try:
            message = await self._client.request_phone(conversation.id, request)
        except DaemonError as error:
            if error.unauthorized:
                self.post_message(SessionExpired(_("your session has ended")))
            else:
                self.notify(
                    error.detail or error.message, title=_("Phone not asked"), severity="error"
                )
            return
        self.notify(
            _("Asked {contact} to share their phone number").format(
                contact=contact_name(conversation.contact)
            )
        )
        self.post_message(self.MessageAccepted(message))

    @work(exclusive=True, exit_on_error=False, group="canned")
    async def pick_canned(self, conversation: ConversationOut) -> None:
        """Pick a canned response; it goes into the draft with its variables filled."""
        try:
            replies = await self._client.canned_replies()
        except DaemonError as error:
            report_failure(self, error, _("Could not load the canned responses"))
            return
        values = variables(conversation, self._me.name)
        text = await self.app.push_screen_wait(CannedPicker(replies.items, values))
        if text is not None:
            self.post_message(self.TextChosen(text))

    @work(exclusive=True, exit_on_error=False, group="shortcuts")
    async def find_shortcuts(self, conversation: ConversationOut, prefix: str) -> None:
        """The replies the composer offers for ``/prefix`` (a newer prefix cancels this)."""
        try:
            found = await self._client.find_replies(ReplyQuery(shortcut=prefix))
        except DaemonError as error:
            report_failure(self, error, _("Could not look up the shortcut"))
            return
        matches = shortcut_matches(found.items, variables(conversation, self._me.name))
        self.post_message(self.ShortcutsFound(prefix, matches))

    @work(exclusive=True, exit_on_error=False, group="suggestions")
    async def load_suggestions(self, conversation_id: uuid.UUID) -> None:
        """The top three replies for the conversation now."""
        try:
            found = await self._client.reply_suggestions(conversation_id)
        except DaemonError as error:
            report_failure(self, error, _("No suggestions"))
            return
        self.post_message(self.SuggestionsFound(conversation_id, found.items, found.intent))

    @work(exit_on_error=False, group="download")
    async def download(self, message: MessageOut) -> None:
        """Save a message's medium under the downloads directory."""
        try:
            media = await self._client.media(message.conversation_id, message.id)
        except DaemonError as error:
            report_failure(self, error, _("Could not download"))
            return
        extension = mimetypes.guess_extension(media.content_type.split(";")[0]) or ""
        name = Path(media.filename).name if media.filename else f"{message.id}{extension}"
        target = self._downloads / name
        try:
            await asyncio.to_thread(_write, target, media.content)
        except OSError as error:
            self.notify(f"{target}: {error.strerror}", title=_("Could not save"), severity="error")
            return
        self.notify(_("saved to {path}").format(path=target), title=_("Downloaded"))


def _as_assignment(request: TransferRequest) -> AssignmentRequest:
    """The picker's choice as a supervisor's move (which may override capacity)."""
    return AssignmentRequest(
        agent_id=request.agent_id, queue_id=request.queue_id, note=request.note
    )


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
