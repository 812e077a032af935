"""Settings → Admin → AI analysis: languages, thresholds, which rules alert and where
suggestions come from, read from and saved to ``/api/v1/ai/settings``. The daemon applies a
change to the next message, so there is nothing to restart.

Values are checked here first, against the same pydantic model the daemon uses, so a mistake is
named next to the Save button before anything is sent; only the fields that changed are sent.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static, Switch

from pytake_daemon.protocol.ai import AiSettingsOut, AiSettingsUpdate, AlertRule
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _
from pytake_tui.insights_view import RULE_TITLES
from pytake_tui.validation_words import validation_sentence

LANGUAGES = {"pt": N_("Portuguese"), "en": N_("English")}
SOURCES = {
    "canned": N_("canned responses"),
    "snippet": N_("knowledge snippets"),
    "builtin": N_("PyTake's built-in replies"),
}
NUMBERS: dict[str, tuple[str, str]] = {
    # field: (label, what the daemon accepts, said when it refuses)
    "intent_threshold": (N_("Intent threshold"), N_("a number between 0 and 1")),
    "strongly_negative": (N_("Strongly negative at"), N_("a number between -1 and 0")),
    "trend_messages": (N_("Trend over messages"), N_("a whole number from 2 to 20")),
    "trend_drop": (N_("Trend drop"), N_("a number above 0, at most 2")),
    "long_wait_minutes": (N_("Long wait (minutes)"), N_("a number of minutes above 0")),
    "human_request_minutes": (
        N_("Human request unanswered (min)"),
        N_("a number of minutes above 0"),
    ),
}
_IDS = {
    "intent_threshold": "ai-threshold",
    "strongly_negative": "ai-strongly-negative",
    "trend_messages": "ai-trend-messages",
    "trend_drop": "ai-trend-drop",
    "long_wait_minutes": "ai-long-wait",
    "human_request_minutes": "ai-human-request",
}


class FormProblem(ValueError):
    """A value the daemon would refuse, in words for the form."""


def _number(field: str, text: str) -> float | int:
    try:
        return int(text) if field == "trend_messages" else float(text)
    except ValueError:
        raise FormProblem(_refusal(field)) from None


def _refusal(field: str) -> str:
    label, accepted = NUMBERS[field]
    return _("{label}: {accepted}.").format(label=_(label), accepted=_(accepted))


def changes(current: AiSettingsOut, values: dict[str, Any]) -> AiSettingsUpdate:
    """The update that turns ``current`` into ``values`` (checked like the daemon checks it)."""
    if not values["languages"]:
        raise FormProblem(_("Pick at least one language."))
    if values["default_language"] not in values["languages"]:
        raise FormProblem(_("The default language must be one of the languages analysed."))
    changed = {k: v for k, v in values.items() if getattr(current, k) != v}
    try:
        return AiSettingsUpdate.model_validate(changed)
    except ValidationError as error:
        field = str(error.errors()[0]["loc"][0])
        if field in NUMBERS:
            raise FormProblem(_refusal(field)) from None
        raise FormProblem(f"{field}: {validation_sentence(error.errors()[0])}") from None


class AiSettingsForm(Vertical):
    """The AI part of the settings screen's admin page."""

    DEFAULT_CSS = """
    AiSettingsForm { height: auto; }
    AiSettingsForm .ai-row { height: 3; }
    AiSettingsForm .ai-row Label { padding: 1 1; width: 34; }
    AiSettingsForm .ai-row Input { width: 12; }
    AiSettingsForm .ai-row Select { width: 20; }
    AiSettingsForm .ai-title { text-style: bold; margin: 1 0 0 0; }
    AiSettingsForm #ai-problem { color: $error; margin: 1 0 0 0; }
    """

    class Loaded(Message):
        def __init__(self, settings: AiSettingsOut) -> None:
            super().__init__()
            self.settings = settings

    def __init__(self, client: DaemonClient, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._client = client
        self.settings: AiSettingsOut | None = None
        """What the daemon said last (None until read)."""

    def compose(self) -> ComposeResult:
        yield self._switch_row("ai-enabled", _("Analyse customer messages"))
        yield Static(_("Languages"), classes="ai-title")
        for code, name in LANGUAGES.items():
            yield self._switch_row(f"ai-lang-{code}", _(name))
        with Horizontal(classes="ai-row"):
            yield Label(_("Default language"))
            yield Select(
                [(_(name), code) for code, name in LANGUAGES.items()],
                allow_blank=False,
                id="ai-default-language",
            )
        yield Static(_("Thresholds"), classes="ai-title")
        for field, (label, _accepted) in NUMBERS.items():
            with Horizontal(classes="ai-row"):
                yield Label(_(label))
                yield Input(id=_IDS[field])
        yield Static(_("Alert rules"), classes="ai-title")
        for rule in AlertRule:
            yield self._switch_row(f"ai-rule-{rule.value}", _(RULE_TITLES[rule.value]))
        yield Static(_("Suggestion sources"), classes="ai-title")
        for source, label in SOURCES.items():
            yield self._switch_row(f"ai-source-{source}", _(label))
        yield Static("", id="ai-problem")
        yield Button(_("Save AI settings"), id="ai-save", variant="primary")

    @staticmethod
    def _switch_row(switch_id: str, label: str) -> Horizontal:
        return Horizontal(Switch(id=switch_id), Label(label), classes="ai-row")

    def on_show(self) -> None:
        # Read when first shown, not when the settings screen is built: most visits to the
        # settings never open this page.
        if self.settings is None:
            self._load()

    @work(exclusive=True, exit_on_error=False, group="ai-settings")
    async def _load(self) -> None:
        try:
            settings = await self._client.ai_settings()
        except DaemonError as error:
            self.notify(error.message, title=_("Could not read the AI settings"), severity="error")
            return
        self.post_message(self.Loaded(settings))

    def on_ai_settings_form_loaded(self, message: Loaded) -> None:
        self.show(message.settings)

    def show(self, settings: AiSettingsOut) -> None:
        self.settings = settings
        self.query_one("#ai-enabled", Switch).value = settings.enabled
        for code in LANGUAGES:
            self.query_one(f"#ai-lang-{code}", Switch).value = code in settings.languages
        self.query_one("#ai-default-language", Select).value = settings.default_language
        for field in NUMBERS:
            self.query_one(f"#{_IDS[field]}", Input).value = f"{getattr(settings, field):g}"
        for rule in AlertRule:
            self.query_one(f"#ai-rule-{rule.value}", Switch).value = rule in settings.alert_rules
        for source in SOURCES:
            switch = self.query_one(f"#ai-source-{source}", Switch)
            switch.value = source in settings.suggestion_sources
        self.query_one("#ai-problem", Static).update("")

    def values(self) -> dict[str, Any]:
        """What the form says, as :class:`AiSettingsUpdate` fields (raises FormProblem)."""
        values: dict[str, Any] = {
            "enabled": self.query_one("#ai-enabled", Switch).value,
            "languages": [c for c in LANGUAGES if self.query_one(f"#ai-lang-{c}", Switch).value],
            "default_language": self.query_one("#ai-default-language", Select).value,
            "alert_rules": [
                r for r in AlertRule if self.query_one(f"#ai-rule-{r.value}", Switch).value
            ],
            "suggestion_sources": [
                s for s in SOURCES if self.query_one(f"#ai-source-{s}", Switch).value
            ],
        }
        for field in NUMBERS:
            values[field] = _number(field, self.query_one(f"#{_IDS[field]}", Input).value.strip())
        return values

    @on(Button.Pressed, "#ai-save")
    def _save_pressed(self) -> None:
        if self.settings is None:
            self.notify(_("The AI settings are not loaded yet."), severity="warning")
            return
        problem = self.query_one("#ai-problem", Static)
        try:
            update = changes(self.settings, self.values())
        except FormProblem as error:
            problem.update(str(error))
            return
        problem.update("")
        if not update.model_fields_set:
            self.notify(_("Nothing changed."))
            return
        self._save(update)

    @work(exclusive=True, exit_on_error=False, group="ai-settings")
    async def _save(self, update: AiSettingsUpdate) -> None:
        try:
            settings = await self._client.update_ai_settings(update)
        except DaemonError as error:
            self.notify(error.message, title=_("AI settings not saved"), severity="error")
            return
        self.post_message(self.Loaded(settings))
        self.notify(_("AI settings saved; they apply to the next message."))
