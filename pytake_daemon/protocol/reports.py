"""Reports over a period and their exports (``/api/v1/reports``): the figures, the series, the
drill-down rows. Every figure's definition is in docs/reports.md."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints, ValidationInfo, field_validator

from pytake_daemon.protocol.checks import refusal
from pytake_daemon.protocol.common import WireModel
from pytake_daemon.protocol.queues import TimeZoneName

MAX_DAYS = 366
"""The longest period a report covers (a leap year)."""

PERIOD_PATTERN = re.compile(
    r"^(today|yesterday|this-week|last-week|this-month|last-month|last-(\d{1,3})d"
    r"|\d{4}-\d{2}-\d{2}(\.\.\d{4}-\d{2}-\d{2})?)$"
)
PERIOD_HELP = (
    "today, yesterday, this-week, last-week, this-month, last-month, last-Nd (N days ending "
    "today), YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD (both days included)"
)


class Level(StrEnum):
    """How deep the drill-down is: tenant → queue → agent → conversation."""

    TENANT = "tenant"
    QUEUE = "queue"
    AGENT = "agent"
    CONVERSATION = "conversation"


class Dataset(StrEnum):
    """What an export holds: one of the report's tables, or the period's raw rows."""

    SUMMARY = "summary"
    HOURLY = "hourly"
    HEATMAP = "heatmap"
    BREAKDOWN = "breakdown"
    CSAT = "csat"
    INTENTS = "intents"
    ERRORS = "errors"
    CONVERSATIONS = "conversations"
    MESSAGES = "messages"


class ExportFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
    XLSX = "xlsx"


def _valid_period(value: str | None) -> str | None:
    if value is not None and not PERIOD_PATTERN.match(value):
        raise refusal("reports_not_a_period_use", period_help=str(PERIOD_HELP))
    return value


class ReportQuery(WireModel):
    """The period (``period``, or ``first_day`` and ``last_day``; default: the last 7 days) in
    the time zone ``tz``, and the drill-down: a queue, an agent (within the queue, if both), or
    one conversation."""

    period: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        default=None, description=PERIOD_HELP, json_schema_extra={"pattern": PERIOD_PATTERN.pattern}
    )
    first_day: date | None = Field(default=None, description="first local day, included")
    last_day: date | None = Field(
        default=None, validate_default=True, description="last local day, included"
    )
    tz: TimeZoneName = Field(default="UTC", description="IANA time zone of the days and hours")
    queue_id: uuid.UUID | None = None
    agent_id: uuid.UUID | None = None
    conversation_id: uuid.UUID | None = None

    @field_validator("period")
    @classmethod
    def _period(cls, value: str | None) -> str | None:
        return _valid_period(value)

    @field_validator("last_day")
    @classmethod
    def _last_day(cls, value: date | None, info: ValidationInfo) -> date | None:
        first = info.data.get("first_day")
        if info.data.get("period") is not None and (value is not None or first is not None):
            raise refusal("reports_give_either_period_or")
        if (value is None) != (first is None):
            raise refusal("reports_first_day_and_last")
        if value is not None and first is not None:
            if value < first:
                raise refusal("reports_last_day_is_before")
            if (value - first).days + 1 > MAX_DAYS:
                raise refusal("reports_a_report_covers_at", max_days=str(MAX_DAYS))
        return value


class ExportQuery(ReportQuery):
    """``GET /api/v1/reports/export``: one table of the report, or the period's conversations
    or messages, streamed."""

    dataset: Dataset = Dataset.SUMMARY
    format: ExportFormat = ExportFormat.CSV


class Percentiles(WireModel):
    """Seconds; ``null`` when nothing was measured."""

    median: float | None
    p90: float | None


class Volumes(WireModel):
    inbound: int = Field(description="customer messages in the period")
    outbound: int = Field(description="our messages (people, flows, automations)")
    opened: int = Field(description="conversations opened or reopened (see docs/reports.md)")
    closed: int = Field(description="conversations closed")


class Sla(WireModel):
    met: int = Field(description="attendances answered by a person within the queue's target")
    missed: int = Field(description="answered late, or unanswered for longer than the target")
    rate: float | None = Field(description="met / (met + missed)")


class Attendance(WireModel):
    """Queue attendances that entered a queue in the period (the cohort)."""

    entered: int
    assigned: int
    abandoned: int = Field(description="abandoned or timed out before anyone took them")
    abandonment_rate: float | None = Field(description="abandoned / (abandoned + assigned)")
    transfers: int = Field(description="transfers and reassignments of the cohort")
    first_response: Percentiles = Field(description="entry to the first reply by a person")
    resolution: Percentiles = Field(description="entry to completion")
    sla: Sla


class RatingCount(WireModel):
    rating: int
    count: int


class Csat(WireModel):
    ratings: int
    average: float | None
    distribution: list[RatingCount] = Field(description="ratings 1 to 5, each with its count")


class Automation(WireModel):
    closed: int
    automated: int = Field(description="closed by a flow with no message from a person")
    share: float | None


class IntentCount(WireModel):
    intent: str
    count: int


class Mood(WireModel):
    analysed: int = Field(description="customer messages the AI analysed")
    positive: int
    neutral: int
    negative: int
    top_intents: list[IntentCount]


class Templates(WireModel):
    sent: int
    delivered: int = Field(description="delivered or read")
    read: int
    failed: int
    delivery_rate: float | None
    read_rate: float | None


class MetaErrorCount(WireModel):
    code: int
    title: str
    count: int


class HourPoint(WireModel):
    start: datetime = Field(description="the local hour's start, with its UTC offset")
    inbound: int
    outbound: int
    opened: int
    closed: int


class HeatCell(WireModel):
    weekday: int = Field(ge=0, le=6, description="0 is Monday")
    hour: int = Field(ge=0, le=23)
    messages: int


class DayRating(WireModel):
    day: date
    ratings: int
    average: float | None


class BreakdownRow(WireModel):
    """One row a level down: a queue, an agent, a conversation, or an attendance."""

    level: Level
    id: uuid.UUID
    name: str
    entered: int
    assigned: int
    abandoned: int
    transfers: int
    first_response_median: float | None
    first_response_p90: float | None
    resolution_median: float | None
    sla_rate: float | None
    csat_average: float | None
    ratings: int


class ReportOut(WireModel):
    level: Level
    tz: str
    first_day: date
    last_day: date
    start: datetime = Field(description="the first day's local midnight")
    end: datetime = Field(description="the local midnight after the last day (excluded)")
    queue_id: uuid.UUID | None
    agent_id: uuid.UUID | None
    conversation_id: uuid.UUID | None
    volumes: Volumes
    attendance: Attendance
    csat: Csat
    automation: Automation
    mood: Mood
    templates: Templates
    meta_errors: list[MetaErrorCount]
    hourly: list[HourPoint]
    heatmap: list[HeatCell]
    csat_trend: list[DayRating]
    breakdown: list[BreakdownRow]
