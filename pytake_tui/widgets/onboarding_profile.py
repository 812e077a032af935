"""Step 1 and the Tenant page: the business profile (name, segment, time zone, language,
business hours), read from and saved to ``/api/v1/tenant/profile``."""

from __future__ import annotations

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Select, Static

from pytake_daemon.protocol.onboarding import (
    SEGMENTS,
    StepName,
    TenantProfile,
    TenantProfileOut,
)
from pytake_tui.client import DaemonError
from pytake_tui.i18n import N_, _
from pytake_tui.widgets.admin_form import validation_problems
from pytake_tui.widgets.onboarding_hours import HoursProblem, format_hours, parse_hours
from pytake_tui.widgets.onboarding_step import Field, StepPane, daemon_problems

SEGMENT_NAMES = {
    "retail": N_("Retail / online shop"),
    "restaurant": N_("Restaurant / delivery"),
    "clinic": N_("Clinic / appointments"),
    "education": N_("School / courses"),
    "services": N_("Professional services"),
    "other": N_("Other"),
}
LANGUAGE_NAMES = {"pt_BR": "Português (Brasil)", "en": "English"}


class ProfileStep(StepPane):
    step = StepName.PROFILE

    loaded: TenantProfileOut | None = None
    """The profile as last read or saved (None until the daemon answered)."""

    def compose(self) -> ComposeResult:
        yield Static(_("Business profile"), classes="step-title")
        yield Static(
            _("How your business is named and when it is open; queues and flows start from it."),
            classes="step-help",
        )
        yield Field(_("Business name"), Input(id="business_name"), name="business_name")
        options = [(_(SEGMENT_NAMES[s]), s) for s in SEGMENTS]
        yield Field(_("Segment"), Select(options, allow_blank=False, id="segment"), name="segment")
        yield Field(
            _("Time zone (IANA, e.g. America/Sao_Paulo)"), Input(id="timezone"), name="timezone"
        )
        languages = [(n, code) for code, n in LANGUAGE_NAMES.items()]
        yield Field(
            _("Language"), Select(languages, allow_blank=False, id="language"), name="language"
        )
        yield Field(
            _("Business hours (mon-fri 09:00-18:00; sat 09:00-13:00)"),
            Input(id="business_hours"),
            name="business_hours",
        )
        yield self.problem_line()
        yield Static("", classes="step-ok", id="profile-saved")
        with Horizontal(classes="step-buttons"):
            yield Button(_("Save profile"), id="profile-save", variant="primary")

    def on_mount(self) -> None:
        # Nothing typed before the daemon answers may be overwritten by its answer: the form
        # waits, disabled, until the profile is in.
        self.disabled = True
        self._load()

    @work(exclusive=True, exit_on_error=False, group="profile-load")
    async def _load(self) -> None:
        try:
            profile = await self.client.tenant_profile()
        except DaemonError as error:
            self.disabled = False
            self.show_problems([("", error.message)])
            return
        self.show_profile(profile)
        self.disabled = False
        if self.display:
            self.query_one("#business_name", Input).focus()

    def show_profile(self, profile: TenantProfileOut) -> None:
        self.loaded = profile
        self.query_one("#business_name", Input).value = profile.business_name
        self.query_one("#segment", Select).value = profile.segment
        self.query_one("#timezone", Input).value = profile.timezone
        self.query_one("#language", Select).value = profile.language
        self.query_one("#business_hours", Input).value = format_hours(profile.business_hours)

    def profile(self) -> TenantProfile | None:
        """The form as the protocol reads it; None (and the problems shown) if it can't be."""
        try:
            hours = parse_hours(self.query_one("#business_hours", Input).value)
        except HoursProblem as problem:
            self.show_problems([("business_hours", str(problem))])
            return None
        try:
            return TenantProfile.model_validate(
                {
                    "business_name": self.query_one("#business_name", Input).value,
                    "segment": self.query_one("#segment", Select).value,
                    "timezone": self.query_one("#timezone", Input).value.strip(),
                    "language": self.query_one("#language", Select).value,
                    "business_hours": hours,
                }
            )
        except ValidationError as error:
            self.show_problems(validation_problems(error))
            return None

    @on(Button.Pressed, "#profile-save")
    @on(Input.Submitted)
    def save(self) -> None:
        profile = self.profile()
        if profile is not None:
            self.clear_problems()
            self._save(profile)

    @work(exclusive=True, exit_on_error=False, group="profile-save")
    async def _save(self, profile: TenantProfile) -> None:
        try:
            saved = await self.client.save_tenant_profile(profile)
        except DaemonError as error:
            self.show_problems(daemon_problems(error))
            return
        self.show_profile(saved)
        self.query_one("#profile-saved", Static).update(
            _("Saved: {business_name}").format(business_name=saved.business_name)
        )
        self.post_message(self.Recorded(None))
