"""The composer: a multi-line draft, sent with enter, idempotent per draft, with typing frames,
and above it the reply suggestions for the open conversation (alt+1..3 insert one).

``/`` at the start of the draft completes a canned response's shortcut: the composer asks for
the replies whose shortcut starts with what was typed (:class:`Composer.ShortcutTyped`; the chat
answers with :meth:`Composer.show_shortcuts`), lists them above the draft, and tab or enter puts
the highlighted one's text in the draft. Escape dismisses the list, so a message that starts
with ``/`` is still sent as typed.

While the 24-hour window is closed the draft is disabled and the composer points to the template
picker: WhatsApp refuses free-form messages then, and the daemon answers them with a 409.
"""

from __future__ import annotations

import uuid

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.option_list import Option

from pytake_daemon.protocol import MessageOut
from pytake_daemon.protocol.ai import Suggestion
from pytake_tui.i18n import _
from pytake_tui.replies import ShortcutMatch, one_line, typed_shortcut

TYPING_IDLE_SECONDS = 4.0
"""After this long without a keystroke the other consoles are told the agent stopped typing."""

SUGGESTION_CHARACTER_KEYS = ("inverted_exclamation_mark", "trade_mark_sign", "pound_sign")
"""alt+1, alt+2, alt+3 as Textual reads them from most terminals (escape + digit), which are
also the characters macOS types with option+1..3: ¡ ™ £."""


SHORTCUT_LIST_KEYS = frozenset({"up", "down", "tab", "enter", "escape"})
SHORTCUTS_LISTED = 5
"""Matches shown at once above the draft (the list scrolls for more)."""

_DESTINATION_KEYS = {"f6", "f7"}
"""TextArea selects a line with f6 and everything with f7; in the console those keys open
Insights and Audit, and the draft (focused whenever a conversation is open) hid them."""


class DraftArea(TextArea, inherit_bindings=False):
    """A TextArea where enter sends and ctrl+j (or alt+enter) starts a new line."""

    BINDINGS = [
        binding
        for binding in TextArea.BINDINGS
        if not (isinstance(binding, Binding) and binding.key in _DESTINATION_KEYS)
    ]

    class Submitted(Message):
        pass

    class SuggestionKey(Message):
        def __init__(self, number: int) -> None:
            super().__init__()
            self.number = number

    class ShortcutKey(Message):
        """A key meant for the shortcut list above the draft (up, down, tab, enter, escape)."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    suggesting = False
    """While suggestions are shown, alt+1..3 insert one instead of typing ¡ ™ £."""
    completing = False
    """While shortcut matches are listed, the keys that move in, pick from or close the list
    are theirs (before the draft's, the screen's and the app's bindings see them)."""

    async def _on_key(self, event: events.Key) -> None:
        if self.completing and event.key in SHORTCUT_LIST_KEYS:
            event.stop()
            event.prevent_default()
            self.post_message(self.ShortcutKey(event.key))
            return
        if self.suggesting and event.key in SUGGESTION_CHARACTER_KEYS:
            event.stop()
            event.prevent_default()
            self.post_message(self.SuggestionKey(SUGGESTION_CHARACTER_KEYS.index(event.key) + 1))
            return
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Submitted())
            return
        if event.key in ("ctrl+j", "alt+enter"):
            event.stop()
            event.prevent_default()
            self.insert("\n")
            return
        await super()._on_key(event)


class Composer(Vertical):
    """Posts :class:`SendRequested` with the draft and its idempotency key."""

    class SendRequested(Message):
        """Send ``text``; a retry of the same draft carries the same ``idempotency_key``."""

        def __init__(self, text: str, idempotency_key: str, reply_to: MessageOut | None) -> None:
            super().__init__()
            self.text = text
            self.idempotency_key = idempotency_key
            self.reply_to = reply_to

    class SuggestionPicked(Message):
        """The agent pressed the key of the ``number``-th suggestion (1-based) in the draft."""

        def __init__(self, number: int) -> None:
            super().__init__()
            self.number = number

    class ShortcutTyped(Message):
        """The draft is ``/`` and the start of a shortcut: which replies match ``prefix``?"""

        def __init__(self, prefix: str) -> None:
            super().__init__()
            self.prefix = prefix

    class TypingChanged(Message):
        def __init__(self, typing: bool) -> None:
            super().__init__()
            self.typing = typing

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.sending = False
        self.reply_to: MessageOut | None = None
        self._key: str | None = None
        self._typing = False
        self._idle: Timer | None = None
        self.suggestions: list[Suggestion] = []
        """The suggestions shown above the draft (none: the panel is hidden)."""
        self.shortcuts: list[ShortcutMatch] = []
        """The replies listed for the shortcut being typed (none: the list is hidden)."""
        self._shortcut_dismissed = False

    def compose(self) -> ComposeResult:
        yield Static(id="suggestions")
        yield OptionList(id="shortcuts")
        yield Static(id="window")
        yield Static(id="replying")
        yield DraftArea(id="draft", soft_wrap=True, show_line_numbers=False, compact=True)

    def on_mount(self) -> None:
        self.query_one("#replying").display = False
        self.query_one("#suggestions").display = False
        shortcuts = self.query_one("#shortcuts", OptionList)
        shortcuts.display = False
        # The draft keeps the focus: the list's keys reach it through DraftArea.ShortcutKey.
        shortcuts.can_focus = False

    def show_suggestions(self, suggestions: list[Suggestion], intent: str) -> None:
        """Show up to three suggestions, one line each, with the key that inserts it."""
        self.suggestions = suggestions[:3]
        self.draft.suggesting = bool(self.suggestions)
        panel = self.query_one("#suggestions", Static)
        panel.display = True
        if not self.suggestions:
            panel.update(
                _("No suggestion for this conversation (intent: {intent})").format(intent=intent)
            )
            return
        width = max(20, self.size.width - 4)
        keys = f"alt+1..{len(self.suggestions)}" if len(self.suggestions) > 1 else "alt+1"
        heading = _("Suggestions for {intent} · {keys} inserts").format(intent=intent, keys=keys)
        lines = [one_line(heading, width)]
        lines += [
            one_line(f"alt+{n} {s.title}: {s.text}", width)
            for n, s in enumerate(self.suggestions, start=1)
        ]
        panel.update("\n".join(lines))

    def hide_suggestions(self) -> None:
        self.suggestions = []
        self.draft.suggesting = False
        self.query_one("#suggestions", Static).display = False

    def insert(self, text: str) -> None:
        """Put ``text`` into the draft at the cursor (a suggestion, a canned response)."""
        if self.draft.disabled:
            return
        self.draft.insert(text)
        self.draft.focus()

    # The /shortcut completion

    def show_shortcuts(self, prefix: str, matches: list[ShortcutMatch]) -> None:
        """List the replies matching ``prefix``, unless the draft has moved on or was dismissed."""
        if self._shortcut_dismissed or typed_shortcut(self.draft.text) != prefix:
            return
        self.shortcuts = matches
        listed = self.query_one("#shortcuts", OptionList)
        listed.clear_options()
        width = max(20, self.size.width - 4)
        listed.add_options(
            Option(one_line(f"/{m.shortcut}  {m.title} · {m.text}", width)) for m in matches
        )
        listed.styles.height = min(len(matches), SHORTCUTS_LISTED)
        listed.display = bool(matches)
        self.draft.completing = bool(matches)
        if matches:
            listed.highlighted = 0

    def hide_shortcuts(self) -> None:
        self.shortcuts = []
        self.draft.completing = False
        self.query_one("#shortcuts", OptionList).display = False

    def insert_shortcut(self, index: int) -> None:
        """Replace the typed ``/shortcut`` with the ``index``-th match's text."""
        if not 0 <= index < len(self.shortcuts):
            return
        match = self.shortcuts[index]
        self.hide_shortcuts()
        self.draft.text = match.text
        self.draft.move_cursor(self.draft.document.end)
        self.draft.focus()
        if match.missing:
            names = ", ".join(match.missing)
            self.notify(
                _("Fill in: {names}").format(names=names),
                title=f"/{match.shortcut}",
                severity="warning",
            )

    @on(DraftArea.ShortcutKey)
    def _shortcut_key(self, event: DraftArea.ShortcutKey) -> None:
        event.stop()
        listed = self.query_one("#shortcuts", OptionList)
        if event.key == "up":
            listed.action_cursor_up()
        elif event.key == "down":
            listed.action_cursor_down()
        elif event.key == "escape":
            # Dismissed until the draft stops being a shortcut: enter then sends it as typed.
            self._shortcut_dismissed = True
            self.hide_shortcuts()
        else:
            self.insert_shortcut(listed.highlighted or 0)

    @on(OptionList.OptionSelected, "#shortcuts")
    def _shortcut_clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.insert_shortcut(event.option_index)

    def _follow_shortcut(self) -> None:
        prefix = typed_shortcut(self.draft.text)
        if prefix is None:
            self._shortcut_dismissed = False
            if self.shortcuts:
                self.hide_shortcuts()
        elif not self._shortcut_dismissed:
            # Narrow what is listed at once; the daemon's answer for the new prefix follows.
            self.show_shortcuts(
                prefix, [m for m in self.shortcuts if m.shortcut.startswith(prefix)]
            )
            self.post_message(self.ShortcutTyped(prefix))

    @property
    def draft(self) -> DraftArea:
        return self.query_one(DraftArea)

    def set_window(self, label: str, *, open_: bool) -> None:
        window = self.query_one("#window", Static)
        window.update(label if open_ else f"{label} (ctrl+g)")
        window.set_class(not open_, "-closed")
        self.draft.disabled = not open_

    def set_reply_to(self, message: MessageOut | None, quote: str = "") -> None:
        self.reply_to = message
        replying = self.query_one("#replying", Static)
        replying.display = message is not None
        replying.update(
            "↪ " + _("replying to: {quote} (escape cancels)").format(quote=quote) if message else ""
        )

    def reset(self) -> None:
        """A new conversation: an empty draft and nothing pending."""
        self.draft.text = ""
        self.set_reply_to(None)
        self.hide_suggestions()
        self.hide_shortcuts()
        self._shortcut_dismissed = False
        self._key = None
        self.sending = False
        self._stop_typing()

    def sent(self) -> None:
        """The daemon queued the draft: clear it (the next draft gets a new key)."""
        self.sending = False
        self.draft.text = ""
        self._key = None
        self.set_reply_to(None)

    def send_failed(self) -> None:
        """Keep the draft and its key: sending it again cannot send it twice."""
        self.sending = False

    @on(DraftArea.Changed)
    def _edited(self) -> None:
        if self.sending:
            return
        self._follow_shortcut()
        # A changed draft is a different message: it must not reuse the old one's key.
        self._key = None
        if not self.draft.text.strip():
            self._stop_typing()
            return
        if not self._typing:
            self._typing = True
            self.post_message(self.TypingChanged(True))
        if self._idle is not None:
            self._idle.stop()
        self._idle = self.set_timer(TYPING_IDLE_SECONDS, self._stop_typing)

    @on(DraftArea.SuggestionKey)
    def _suggestion_key(self, event: DraftArea.SuggestionKey) -> None:
        event.stop()
        self.post_message(self.SuggestionPicked(event.number))

    @on(DraftArea.Submitted)
    def _submit(self) -> None:
        text = self.draft.text.strip()
        if not text or self.sending or self.draft.disabled:
            return
        if self._key is None:
            self._key = str(uuid.uuid4())
        self.sending = True
        self._stop_typing()
        self.post_message(self.SendRequested(text, self._key, self.reply_to))

    def _stop_typing(self) -> None:
        if self._idle is not None:
            self._idle.stop()
            self._idle = None
        if self._typing:
            self._typing = False
            self.post_message(self.TypingChanged(False))
