"""Backups on the wire: manifests, run history, health, schedule and the alert event.

The manifest is also the JSON file stored beside each backup (``<id>.manifest.json``), so an
operator, the CLI, the daemon and the TUI all read one shape.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from pytake_daemon.protocol.common import WireModel

BackupScope = Literal["full", "tenant"]
RunKind = Literal["backup", "restore", "verify", "drill"]
RunStatus = Literal["running", "succeeded", "failed", "skipped"]
RunTrigger = Literal["manual", "schedule", "api", "safety"]

FORMAT_VERSION = 1


class TableStat(WireModel):
    """Rows of one table in a backup and a checksum of their content (md5 of the rows' text,
    in a stable order), taken in the backup's own snapshot."""

    table: str
    rows: int = Field(ge=0)
    checksum: str


class BackupManifest(WireModel):
    """Everything needed to trust, find and open one backup without asking the database."""

    format_version: int = FORMAT_VERSION
    id: str
    scope: BackupScope
    tenant_id: uuid.UUID | None = None
    tenant_slug: str | None = None
    note: str | None = None
    created_at: datetime
    finished_at: datetime
    duration_seconds: float
    schema_version: int
    postgres_version: str
    """``server_version`` of the source, e.g. ``15.8``; a full dump needs that major's tools."""
    payload: Literal["pg_dump-custom", "tar-copy-csv"]
    """What the decrypted, decompressed stream is: a ``pg_dump -Fc`` archive or a tar of one
    CSV per table (``COPY ... WITH (FORMAT csv, HEADER)``) plus ``tables.json``."""
    compression: Literal["zstd"] = "zstd"
    encryption: Literal["age-x25519"] = "age-x25519"
    recipients: list[str]
    """Public keys (age1...) the file is encrypted to; any one matching secret key opens it."""
    payload_bytes: int = Field(ge=0)
    payload_sha256: str
    stored_bytes: int = Field(ge=0)
    stored_sha256: str
    """SHA-256 of the stored (encrypted) file: a single changed byte is caught before decrypting."""
    tables: list[TableStat]


class BackupList(WireModel):
    items: list[BackupManifest]


class BackupRunOut(WireModel):
    """One backup, restore, verify or drill run, as recorded in ``backup_runs``."""

    id: uuid.UUID
    kind: RunKind
    scope: BackupScope
    scope_tenant_id: uuid.UUID | None
    backup_id: str | None
    trigger: RunTrigger
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    size_bytes: int | None
    error: str | None


class BackupRunList(WireModel):
    items: list[BackupRunOut]


class BackupHealth(WireModel):
    """How the backups are doing: the monitoring summary behind ``/readyz`` and the TUI widget."""

    schedule_enabled: bool
    backup_cron: str
    last_success_at: datetime | None
    last_success_age_seconds: float | None
    last_success_size_bytes: int | None
    last_duration_seconds: float | None
    recent_sizes: list[int]
    """Sizes of the last successful backups, oldest first (the trend)."""
    recent_durations: list[float]
    failures_since_success: int
    last_failure_at: datetime | None
    last_failure_reason: str | None
    overdue: bool
    next_due_at: datetime | None
    last_drill_at: datetime | None
    last_drill_status: RunStatus | None
    last_drill_detail: str | None
    tenant_last_success_at: datetime | None = None
    """The caller's tenant's latest per-tenant backup (``POST /api/v1/backups``, the console's
    ``b``); the fields above are about the installation's full backups, which the schedule makes."""


class BackupCreate(WireModel):
    """``POST /api/v1/backups``: back up the caller's tenant now."""

    note: str | None = Field(default=None, max_length=200)


class BackupScheduleOut(WireModel):
    enabled: bool
    backup_cron: str
    drill_cron: str | None
    keep_last: int
    keep_daily: int
    keep_weekly: int
    keep_monthly: int
    next_backup_at: datetime | None
    next_drill_at: datetime | None


class VerifyResult(WireModel):
    backup_id: str
    ok: bool
    detail: str


AlertReason = Literal["backup_failed", "backup_overdue", "drill_failed"]


class BackupAlert(WireModel):
    """A backup failed or is overdue, or a restore drill found a mismatch (sent to every
    tenant's supervisors and admins: the installation's backups protect them all)."""

    type: Literal["backup_alert"] = "backup_alert"
    reason: AlertReason
    message: str
    run_id: uuid.UUID | None = None
