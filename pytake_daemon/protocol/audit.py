"""The audit log, security alerts and trends as the API and the WebSocket show them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from pytake_daemon.protocol.common import WireModel


class Outcome(StrEnum):
    """How the recorded action ended."""

    SUCCESS = "success"
    FAILURE = "failure"
    """Refused for a reason of the request: bad input, wrong password, not found."""
    DENIED = "denied"
    """Refused for lack of authority (401/403)."""
    ERROR = "error"
    """The server failed (5xx)."""


class ActorType(StrEnum):
    """Who performed the action."""

    USER = "user"
    CLI = "cli"
    SYSTEM = "system"
    ANONYMOUS = "anonymous"
    POLICY = "policy"
    """A queue's distribution or timeout policy (assignments, timeouts)."""
    BOT = "bot"
    """An automation flow (e.g. its transfer to a queue)."""


class AuditEntryOut(WireModel):
    """One audit entry, with its place in the tenant's hash chain."""

    id: uuid.UUID
    seq: int
    at: datetime
    actor_type: ActorType
    actor_id: uuid.UUID | None
    actor_label: str | None
    actor_role: str | None
    action: str
    target_type: str | None
    target_id: str | None
    outcome: Outcome
    ip: str | None
    user_agent: str | None
    request_id: str | None
    method: str | None
    route: str | None
    status: int | None
    diff: dict[str, Any] | None = Field(
        description="before/after of each changed field: {field: {before, after}}"
    )
    prev_hash: str = Field(description="hex SHA-256 of the previous entry (zeros for the first)")
    hash: str = Field(description="hex SHA-256 over prev_hash and this entry's canonical form")


class AuditQuery(WireModel):
    """Filters of ``GET /api/v1/audit``; every filter narrows the result."""

    actor: str | None = Field(
        default=None, max_length=320, description="actor id, label, or a user's e-mail"
    )
    action: str | None = Field(
        default=None, max_length=100, description="exact action, or a prefix ending in '.'"
    )
    target: str | None = Field(default=None, max_length=200, description="target id")
    target_type: str | None = Field(default=None, max_length=50)
    outcome: Outcome | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = Field(
        default=None, max_length=200, description="substring of action, actor, target or route"
    )
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=200)


class AuditList(WireModel):
    """A page of entries, newest first; ``next_cursor`` continues with older ones."""

    items: list[AuditEntryOut]
    next_cursor: str | None


class AuditCount(WireModel):
    """Entries in one time bucket."""

    bucket: datetime
    count: int
    failures: int


class AuditCountsQuery(WireModel):
    since: datetime | None = None
    until: datetime | None = None
    bucket: Literal["hour", "day"] = "hour"


class AuditCounts(WireModel):
    """Counts over time for the dashboard's chart."""

    bucket: Literal["hour", "day"]
    items: list[AuditCount]


class AlertKind(StrEnum):
    BRUTE_FORCE_USER = "brute_force_user"
    BRUTE_FORCE_IP = "brute_force_ip"
    NEW_IP = "new_ip"
    UNUSUAL_HOUR = "unusual_hour"
    OFF_HOURS_ADMIN = "off_hours_admin"
    MASS_EXPORT = "mass_export"
    MASS_DELETION = "mass_deletion"
    ROLE_ESCALATION = "role_escalation"
    TOKEN_CREATED = "token_created"  # noqa: S105 - an alert kind, not a secret


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class SecurityAlertOut(WireModel):
    """An alert and the audit entries behind it."""

    id: uuid.UUID
    at: datetime
    kind: AlertKind
    severity: Severity
    subject: str = Field(description="whom or what the alert is about: an e-mail, an IP, a user")
    summary: str
    entry_ids: list[uuid.UUID]


class AlertList(WireModel):
    items: list[SecurityAlertOut]


class AlertQuery(WireModel):
    limit: int = Field(default=50, ge=1, le=500)


class SecurityAlertRaised(WireModel):
    """A security rule fired; sent to admins and owners only."""

    type: Literal["security_alert"] = "security_alert"
    alert: SecurityAlertOut


class TrendOut(WireModel):
    """One action's rate in the last hour against the same hour of the previous weeks."""

    action: str
    current: int
    baseline: float = Field(description="mean count in the same hour of the baseline weeks")
    ratio: float | None = Field(description="current / baseline; null without a baseline")
    spike: bool


class TrendList(WireModel):
    window_start: datetime
    window_end: datetime
    weeks: int
    items: list[TrendOut]


class ExportQuery(WireModel):
    """``GET /api/v1/audit/export``: entries of a period with their chain data."""

    format: Literal["csv", "jsonl"] = "jsonl"
    since: datetime | None = None
    until: datetime | None = None
