"""A tenant's configuration as one versioned YAML document (``/api/v1/config``,
``pytake config export|import``): what configures a tenant, never its traffic nor its secrets.

Every collection is keyed by a natural key (a queue's name, a user's e-mail…), never by an id,
so a document exported from one tenant applies to another. A section left out of a document
is left alone by an import; a section given is the whole truth for its collection (items not
in it are deleted, or disabled/deactivated/archived where history hangs off them).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from pytake_daemon.protocol.ai import AiSettingsUpdate, Department, Language, ReplyKind, Shortcut
from pytake_daemon.protocol.auth import Role
from pytake_daemon.protocol.checks import refusal
from pytake_daemon.protocol.common import EMAIL_PATTERN, ProblemField, WireModel
from pytake_daemon.protocol.flows import FlowDefinition
from pytake_daemon.protocol.notifications import Preferences
from pytake_daemon.protocol.onboarding import TenantProfile
from pytake_daemon.protocol.queues import (
    Label,
    Message,
    Name,
    OutOfHoursAction,
    OverflowAction,
    Policy,
    TimeoutAction,
    TimeZoneName,
    WeeklyHours,
)

CONFIG_VERSION = 1
"""The document's ``version``; a reader refuses any other (the shape may change with it)."""

Email = Annotated[
    str,
    StringConstraints(min_length=3, max_length=320, pattern=EMAIL_PATTERN, to_lower=True),
]


class TenantSection(WireModel):
    """The business itself: the tenant's display name and its profile (migration 0032)."""

    name: str = Field(min_length=1, max_length=200)
    profile: TenantProfile | None = Field(
        default=None, description="null: never saved (the wizard's first step writes it)"
    )


class AgentConfig(WireModel):
    """What distribution knows of a person (``agents``); their status is live, not config."""

    capacity: int = Field(default=3, ge=0, le=1000)
    skills: list[Label] = Field(default_factory=list, max_length=50)
    departments: list[Label] = Field(default_factory=list, max_length=20)
    working_hours: WeeklyHours | None = None
    timezone: TimeZoneName = "UTC"
    busy_at_capacity: bool = False


class UserConfig(WireModel):
    """A person by e-mail and role; never a password (a new one gets none: invite them)."""

    email: Email
    name: str = Field(min_length=1, max_length=200)
    role: Role = Role.AGENT
    disabled: bool = False
    agent: AgentConfig | None = Field(
        default=None, description="null: no agent settings yet (the defaults apply)"
    )


class QueueConfig(WireModel):
    """A queue's settings as ``QueueSettings`` has them, other queues and flows by name."""

    name: Name
    description: Annotated[str, StringConstraints(max_length=500)] = ""
    department: Label | None = None
    required_skills: list[Label] = Field(default_factory=list, max_length=20)
    policy: Policy = Policy.ROUND_ROBIN
    active: bool = True
    max_wait_minutes: int = Field(default=30, ge=1, le=10080)
    max_size: int = Field(default=1000, ge=1, le=1_000_000)
    timeout_action: TimeoutAction = TimeoutAction.KEEP_WAITING
    timeout_queue: Name | None = None
    timeout_flow: Name | None = None
    overflow_action: OverflowAction = OverflowAction.REJECT
    overflow_queue: Name | None = None
    timezone: TimeZoneName = "UTC"
    business_hours: WeeklyHours | None = None
    holidays: list[date] = Field(default_factory=list, max_length=400)
    out_of_hours_action: OutOfHoursAction = OutOfHoursAction.WAIT
    out_of_hours_queue: Name | None = None
    welcome_message: Message = ""
    position_message: Message = ""
    out_of_hours_message: Message = ""
    timeout_message: Message = ""
    full_message: Message = ""
    position_update_seconds: int = Field(default=120, ge=10, le=86400)
    first_response_target_seconds: int = Field(default=300, ge=10, le=604800)

    @model_validator(mode="after")
    def _targets(self) -> QueueConfig:
        if self.timeout_action is TimeoutAction.MOVE and self.timeout_queue is None:
            raise refusal("tenant_config_timeout_action_move_needs")
        if self.timeout_action is TimeoutAction.START_FLOW and self.timeout_flow is None:
            raise refusal("tenant_config_timeout_action_start_flow")
        if self.overflow_action is OverflowAction.DIVERT and self.overflow_queue is None:
            raise refusal("tenant_config_overflow_action_divert_needs")
        if self.out_of_hours_action is OutOfHoursAction.DIVERT and self.out_of_hours_queue is None:
            raise refusal("tenant_config_out_of_hours_action")
        return self


class FlowVersionConfig(WireModel):
    version: int = Field(ge=1)
    definition: FlowDefinition


class FlowConfig(WireModel):
    """A flow with every version (versions are immutable: an import only ever adds some)."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    description: str = Field(default="", max_length=2000)
    published_version: int | None = Field(default=None, ge=1)
    archived: bool = False
    versions: list[FlowVersionConfig] = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _numbered(self) -> FlowConfig:
        numbers = [v.version for v in self.versions]
        if numbers != list(range(1, len(numbers) + 1)):
            raise refusal("tenant_config_versions_must_be_numbered")
        if self.published_version is not None and self.published_version > len(numbers):
            raise refusal(
                "tenant_config_published_version_is_not",
                published_version=str(self.published_version),
            )
        return self


class TemplateConfig(WireModel):
    """A message template's definition (Meta owns its review: status is not configuration)."""

    waba_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=512)
    language: str = Field(min_length=1, max_length=20)
    category: str = Field(min_length=1, max_length=40)
    parameter_format: str = Field(default="POSITIONAL", max_length=20)
    components: list[dict[str, Any]] = Field(default_factory=list)


class CannedResponseConfig(WireModel):
    """A canned response or knowledge snippet; ``owner`` set: someone's personal one."""

    kind: ReplyKind = ReplyKind.CANNED
    title: str = Field(min_length=1, max_length=120)
    body: str = Field(min_length=1, max_length=4096)
    shortcut: Shortcut | None = None
    owner: Email | None = None
    department: Department | None = None
    language: Language | None = None
    intents: list[str] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _department_is_shared(self) -> CannedResponseConfig:
        if self.department is not None and self.owner is not None:
            raise refusal("tenant_config_a_personal_reply_owner")
        return self


class IntentConfig(WireModel):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    examples: list[str] = Field(default_factory=list, max_length=500)
    keywords: list[str] = Field(default_factory=list, max_length=100)


class NotificationConfig(WireModel):
    """The tenant's default notification preferences (null: ours) and retention; no SMTP."""

    defaults: Preferences | None = None
    retention_days: int = Field(default=90, ge=1, le=3650)


class TenantConfig(WireModel):
    """The whole document. Sections left out (null) are left alone by an import."""

    version: Literal[1] = Field(description="the document format; this daemon reads 1")
    tenant: TenantSection | None = None
    users: list[UserConfig] | None = None
    queues: list[QueueConfig] | None = None
    flows: list[FlowConfig] | None = None
    templates: list[TemplateConfig] | None = None
    canned_responses: list[CannedResponseConfig] | None = None
    intents: list[IntentConfig] | None = None
    ai: AiSettingsUpdate | None = Field(
        default=None, description="the tenant's overrides of the installation's AI defaults"
    )
    notifications: NotificationConfig | None = None


class ImportMode(StrEnum):
    DRY_RUN = "dry-run"
    APPLY = "apply"


class ImportQuery(WireModel):
    """``POST /api/v1/config/import?mode=…`` (the body is the YAML document)."""

    mode: ImportMode = ImportMode.DRY_RUN


class ChangeKind(StrEnum):
    CREATED = "created"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    DELETED = "deleted"

    @property
    def mark(self) -> str:
        """``+ ~ = -``, as a diff would."""
        return _MARKS[self]

    def word(self, *, applied: bool) -> str:
        """How the CLI and the console say it: a deletion not applied yet "would delete"."""
        return "would delete" if self is ChangeKind.DELETED and not applied else self.value


_MARKS = {
    ChangeKind.CREATED: "+",
    ChangeKind.CHANGED: "~",
    ChangeKind.UNCHANGED: "=",
    ChangeKind.DELETED: "-",
}


class ConfigChange(WireModel):
    """One item of the document against the tenant as it is."""

    section: str
    key: str = Field(description="the item's natural key (a name, an e-mail…)")
    path: str | None = Field(description="where it is in the document; null for a deletion")
    kind: ChangeKind
    fields: list[str] = Field(default_factory=list, description="what differs (changed items)")
    note: str | None = Field(default=None, description="e.g. 'disabled' for a user not listed")

    @property
    def item(self) -> str:
        """``queues[1]  Support: max_size (note)``: where, what, and what differs."""
        text = f"{self.path or self.section}  {self.key}"
        if self.fields:
            text += f": {', '.join(self.fields)}"
        return f"{text} ({self.note})" if self.note else text


class ImportResult(WireModel):
    applied: bool = Field(description="false for a dry run")
    changes: list[ConfigChange]

    @property
    def summary(self) -> str:
        """``1 created, 2 changed, 9 unchanged, 0 would delete``."""
        return ", ".join(
            f"{sum(c.kind is kind for c in self.changes)} {kind.word(applied=self.applied)}"
            for kind in ChangeKind
        )


class ImportProblems(WireModel):
    """Every problem of a document, each at its path in the file (nothing was applied)."""

    problems: list[ProblemField]
