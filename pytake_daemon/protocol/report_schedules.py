"""Scheduled e-mail reports (``/api/v1/reports/schedules``): who gets which report tables,
how often, at which local hour of which time zone. Semantics in docs/reports.md."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import Field, field_validator

from pytake_daemon.protocol.checks import refusal
from pytake_daemon.protocol.common import WireModel
from pytake_daemon.protocol.queues import TimeZoneName
from pytake_daemon.protocol.reports import Dataset


class Audience(StrEnum):
    """``user``: the report goes to its owner; ``team``: to every supervisor, admin and owner
    of the tenant when it is sent."""

    USER = "user"
    TEAM = "team"


class Frequency(StrEnum):
    """daily: yesterday's report; weekly: the seven days before the send day; monthly: the
    previous calendar month."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


MAILABLE = (
    Dataset.SUMMARY,
    Dataset.BREAKDOWN,
    Dataset.HOURLY,
    Dataset.HEATMAP,
    Dataset.CSAT,
    Dataset.INTENTS,
    Dataset.ERRORS,
)
"""The report tables an e-mail can carry (each as a CSV); the raw datasets are exports."""


class ScheduleCreate(WireModel):
    audience: Audience = Audience.USER
    frequency: Frequency = Frequency.WEEKLY
    datasets: list[Dataset] = Field(
        default_factory=lambda: [Dataset.SUMMARY, Dataset.BREAKDOWN],
        min_length=1,
        max_length=len(MAILABLE),
        description="the report tables to attach, each as a CSV (not messages/conversations)",
    )
    tz: TimeZoneName = Field(default="UTC", description="IANA zone of the hour and the days")
    hour: int = Field(default=8, ge=0, le=23, description="local hour the e-mail leaves")
    weekday: int = Field(default=0, ge=0, le=6, description="weekly: 0 is Monday")
    month_day: int = Field(default=1, ge=1, le=28, description="monthly: day of the month")
    queue_id: uuid.UUID | None = Field(default=None, description="one queue's report")

    @field_validator("datasets")
    @classmethod
    def _mailable(cls, value: list[Dataset]) -> list[Dataset]:
        for dataset in value:
            if dataset not in MAILABLE:
                names = ", ".join(d.value for d in MAILABLE)
                raise refusal("report_schedules_can_t_be_e", dataset=dataset.value, names=names)
        # Order kept, duplicates dropped: one attachment per table.
        return list(dict.fromkeys(value))


class ScheduleOut(WireModel):
    id: uuid.UUID
    audience: Audience
    user_id: uuid.UUID | None = Field(description="the owner (recipient of a user schedule)")
    owner_email: str | None
    frequency: Frequency
    datasets: list[Dataset]
    tz: str
    hour: int
    weekday: int
    month_day: int
    queue_id: uuid.UUID | None
    next_at: datetime = Field(description="the next send, UTC")
    created_at: datetime
    last_status: str | None = Field(description="sending, sent, failed or skipped")
    last_slot: datetime | None


class ScheduleList(WireModel):
    items: list[ScheduleOut]
