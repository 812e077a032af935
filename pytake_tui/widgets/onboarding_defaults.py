"""Step 6: the AI's and the notifications' defaults, through their own APIs
(``/api/v1/ai/settings``, ``/api/v1/notifications/settings``); the AI's default language
starts from the profile's."""

from __future__ import annotations

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Select, Static, Switch

from pytake_daemon.protocol.ai import AiSettingsUpdate
from pytake_daemon.protocol.notifications import Digest, TenantNotificationSettings
from pytake_daemon.protocol.onboarding import StepName, StepStatus
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _
from pytake_tui.widgets.admin_form import validation_problems
from pytake_tui.widgets.onboarding_step import Field, StepPane, daemon_problems

AI_LANGUAGES = [("Português", "pt"), ("English", "en")]
DIGEST_NAMES = {
    Digest.IMMEDIATE: N_("Immediate"),
    Digest.HOURLY: N_("Hourly"),
    Digest.DAILY: N_("Daily"),
    Digest.OFF: N_("Off"),
}


class DefaultsStep(StepPane):
    step = StepName.DEFAULTS

    def __init__(self, client: DaemonClient, *, id: str | None = None) -> None:
        super().__init__(client, id=id)
        self._notifications: TenantNotificationSettings | None = None
        self._asked = False

    def compose(self) -> ComposeResult:
        yield Static(_("AI and notifications"), classes="step-title")
        yield Static(
            _("Analysis of customers' mood and intents, and how people hear of events."),
            classes="step-help",
        )
        yield Field(_("Analyse customer messages"), Switch(id="ai_enabled"), name="enabled")
        yield Field(
            _("The AI's default language"),
            Select(AI_LANGUAGES, allow_blank=False, id="ai_language"),
            name="default_language",
        )
        yield Field(
            _("E-mail digest of notifications"),
            Select(
                [(_(DIGEST_NAMES.get(d, d.value)), d.value) for d in Digest],
                allow_blank=False,
                id="digest",
            ),
            name="digest",
        )
        yield Field(
            _("Keep notifications (days)"), Input(id="retention_days"), name="retention_days"
        )
        yield self.problem_line()
        yield Static("", classes="step-ok", id="defaults-saved")
        with Horizontal(classes="step-buttons"):
            yield Button(_("Save defaults"), id="defaults-save", variant="primary")

    def on_mount(self) -> None:
        self.disabled = True  # as the profile step: nothing typed is overwritten by the answer

    def on_show(self) -> None:
        # Read when the step first shows, not when the wizard opens: the AI's language starts
        # from the profile's, which step 1 has usually saved by then (read at the opening, an
        # owner who chose English in step 1 was offered Português here).
        if not self._asked:
            self._asked = True
            self._load()

    @work(exclusive=True, exit_on_error=False, group="defaults-load")
    async def _load(self) -> None:
        try:
            ai = await self.client.ai_settings()
            notifications = await self.client.notification_settings()
            profile = await self.client.tenant_profile()
        except DaemonError as error:
            self.disabled = False
            self.show_problems([("", error.message)])
            return
        self.disabled = False
        self._notifications = notifications
        self.query_one("#ai_enabled", Switch).value = ai.enabled
        language = "en" if profile.configured and profile.language == "en" else "pt"
        self.query_one("#ai_language", Select).value = (
            language if profile.configured else ai.default_language
        )
        self.query_one("#digest", Select).value = notifications.defaults.digest.value
        self.query_one("#retention_days", Input).value = str(notifications.retention_days)
        if self.display:  # shown while loading (disabled): the field show_step would focus
            self.query_one("#ai_language", Select).focus(scroll_visible=False)

    @on(Button.Pressed, "#defaults-save")
    def save(self) -> None:
        language = self.query_one("#ai_language", Select).value
        try:
            ai = AiSettingsUpdate(
                enabled=self.query_one("#ai_enabled", Switch).value,
                default_language=language,
                languages=["pt", "en"],
            )
            kept = self._notifications or TenantNotificationSettings()
            notifications = TenantNotificationSettings.model_validate(
                {
                    "defaults": {
                        **kept.defaults.model_dump(mode="json"),
                        "digest": self.query_one("#digest", Select).value,
                    },
                    "retention_days": self.query_one("#retention_days", Input).value,
                }
            )
        except ValidationError as error:
            self.show_problems(validation_problems(error))
            return
        self.clear_problems()
        self._save(ai, notifications)

    @work(exclusive=True, exit_on_error=False, group="defaults-save")
    async def _save(self, ai: AiSettingsUpdate, notifications: TenantNotificationSettings) -> None:
        try:
            await self.client.update_ai_settings(ai)
            await self.client.put_notification_defaults(
                notifications.defaults.model_dump(mode="json"), notifications.retention_days
            )
            state = await self.client.set_onboarding_step(
                self.step,
                StepStatus.DONE,
                {"ai_enabled": ai.enabled, "ai_language": ai.default_language,
                 "digest": notifications.defaults.digest.value},
            )  # fmt: skip
        except DaemonError as error:
            self.show_problems(daemon_problems(error))
            return
        self.query_one("#defaults-saved", Static).update(_("Saved"))
        self.post_message(self.Recorded(state))
