"""Queues, queue items and their WebSocket events (``/api/v1/queues``)."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from enum import IntEnum, StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from pytake_daemon.protocol.ai import SentimentLabel
from pytake_daemon.protocol.checks import refusal
from pytake_daemon.protocol.common import WireModel


class Priority(IntEnum):
    """The flows' ``priority: 0|1|2``; urgent items are served first."""

    NORMAL = 0
    HIGH = 1
    URGENT = 2


class ItemStatus(StrEnum):
    WAITING = "waiting"
    ASSIGNED = "assigned"
    COMPLETED = "completed"
    ABANDONED = "abandoned"
    TIMED_OUT = "timed_out"
    TRANSFERRED = "transferred"


class Transition(StrEnum):
    """What ``queue_history`` records and the live monitor is told."""

    ENTERED = "entered"
    ASSIGNED = "assigned"
    REASSIGNED = "reassigned"
    TRANSFERRED = "transferred"
    COMPLETED = "completed"
    ABANDONED = "abandoned"
    TIMED_OUT = "timed_out"
    REPRIORITIZED = "reprioritized"
    """A supervisor changed a waiting item's priority (told to the monitor; the audit log
    keeps the record, ``queue_history`` does not)."""


class Policy(StrEnum):
    ROUND_ROBIN = "round_robin"
    """The eligible agent who was assigned least recently."""
    LEAST_LOADED = "least_loaded"
    """The eligible agent with the lowest share of their capacity in use."""


class TimeoutAction(StrEnum):
    ABANDON = "abandon"
    """Send the timeout message and close the conversation."""
    MOVE = "move"
    """Move the item to ``timeout_queue_id`` (it keeps its priority)."""
    RETURN_TO_BOT = "return_to_bot"
    """Release the conversation: the flows answer the customer's next message again."""
    KEEP_WAITING = "keep_waiting"
    START_FLOW = "start_flow"
    """Leave the queue and start the published flow ``timeout_flow_id`` for the conversation."""


class OverflowAction(StrEnum):
    REJECT = "reject"
    """Send the queue-full message; the conversation isn't queued."""
    DIVERT = "divert"
    """Queue it in ``overflow_queue_id`` instead."""


class OutOfHoursAction(StrEnum):
    WAIT = "wait"
    """The out-of-hours message; the item waits until the queue opens."""
    DIVERT = "divert"
    """The out-of-hours message; the item goes to ``out_of_hours_queue_id``."""


_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _valid_hours(value: dict[str, list[tuple[str, str]]]) -> dict[str, list[tuple[str, str]]]:
    for day, spans in value.items():
        if day not in WEEKDAYS:
            raise refusal("queues_unknown_weekday_use", day=repr(day), weekdays=", ".join(WEEKDAYS))
        for start, end in spans:
            if not (_HHMM.match(start) and _HHMM.match(end)):
                raise refusal(
                    "queues_times_are_hh_mm", day=str(day), start=str(start), end=str(end)
                )
            if start >= end:
                raise refusal(
                    "queues_ends_before_it_starts", day=str(day), start=str(start), end=str(end)
                )
    return value


WeeklyHours = Annotated[dict[str, list[tuple[str, str]]], AfterValidator(_valid_hours)]
"""Opening spans per weekday in local time, e.g. ``{"mon": [["09:00", "12:00"], ["13:00",
"18:00"]]}``; a weekday not listed is closed; ``24:00`` ends a span at midnight."""


def _valid_zone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise refusal("unknown_time_zone", value=repr(value)) from None
    return value


TimeZoneName = Annotated[str, StringConstraints(max_length=64), AfterValidator(_valid_zone)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=50, strip_whitespace=True)]
Message = Annotated[str, StringConstraints(max_length=1000)]


class QueueSettings(WireModel):
    """Everything about a queue that an admin sets (``POST`` takes it whole, ``PUT`` too)."""

    name: Name
    description: Annotated[str, StringConstraints(max_length=500)] = ""
    department: Label | None = None
    required_skills: list[Label] = Field(default_factory=list, max_length=20)
    policy: Policy = Policy.ROUND_ROBIN
    active: bool = True
    max_wait_minutes: int = Field(default=30, ge=1, le=10080)
    max_size: int = Field(default=1000, ge=1, le=1_000_000)
    timeout_action: TimeoutAction = TimeoutAction.KEEP_WAITING
    timeout_queue_id: uuid.UUID | None = None
    timeout_flow_id: uuid.UUID | None = Field(
        default=None, description="the published flow 'start_flow' starts"
    )
    overflow_action: OverflowAction = OverflowAction.REJECT
    overflow_queue_id: uuid.UUID | None = None
    timezone: TimeZoneName = "UTC"
    business_hours: WeeklyHours | None = Field(
        default=None, description="null: always open; otherwise opening spans per weekday"
    )
    holidays: list[date] = Field(default_factory=list, max_length=400)
    out_of_hours_action: OutOfHoursAction = OutOfHoursAction.WAIT
    out_of_hours_queue_id: uuid.UUID | None = None
    welcome_message: Message = Field(
        default="", description="on entry; {position}, {wait_minutes} and {queue} are filled in"
    )
    position_message: Message = Field(default="", description="position updates (same fields)")
    out_of_hours_message: Message = ""
    timeout_message: Message = ""
    full_message: Message = ""
    position_update_seconds: int = Field(
        default=120, ge=10, le=86400, description="at most one position update per this long"
    )
    first_response_target_seconds: int = Field(
        default=300,
        ge=10,
        le=604800,
        description="SLA: a person's first reply within this long of entering (reports)",
    )

    @model_validator(mode="after")
    def _targets(self) -> QueueSettings:
        if self.timeout_action is TimeoutAction.MOVE and self.timeout_queue_id is None:
            raise refusal("queues_timeout_action_move_needs")
        if self.timeout_action is TimeoutAction.START_FLOW and self.timeout_flow_id is None:
            raise refusal("queues_timeout_action_start_flow")
        if self.overflow_action is OverflowAction.DIVERT and self.overflow_queue_id is None:
            raise refusal("queues_overflow_action_divert_needs")
        if (
            self.out_of_hours_action is OutOfHoursAction.DIVERT
            and self.out_of_hours_queue_id is None
        ):
            raise refusal("queues_out_of_hours_action")
        return self


class QueueOut(QueueSettings):
    id: uuid.UUID
    waiting: int = Field(description="items waiting now")
    assigned: int = Field(description="items being attended now")
    open_now: bool = Field(description="inside business hours right now")
    created_at: datetime
    updated_at: datetime


class QueueList(WireModel):
    items: list[QueueOut]


class QueueItemOut(WireModel):
    id: uuid.UUID
    queue_id: uuid.UUID
    conversation_id: uuid.UUID
    contact_wa_id: str | None = Field(description="the phone; null while the customer hides it")
    contact_name: str | None = Field(
        description="@username, else profile name, else (without a phone) the BSUID"
    )
    priority: Priority
    status: ItemStatus
    agent_id: uuid.UUID | None
    source: str
    position: int | None = Field(description="1-based place among the waiting; null otherwise")
    entered_at: datetime
    wait_deadline: datetime | None
    assigned_at: datetime | None
    ended_at: datetime | None
    wait_seconds: float = Field(description="waited so far, or until assigned/ended")
    sentiment: SentimentLabel | None = Field(
        default=None, description="the conversation's mood (AI), when analysed; item lists only"
    )
    last_message: str | None = Field(
        default=None,
        description="the conversation's latest message, shortened, as ``last_message_preview`` "
        "(a kind tagged for the reader to word); item lists only",
    )
    rating: int | None = Field(
        default=None, description="the customer's rating of this attendance (1-5); item lists only"
    )


class ItemQuery(WireModel):
    status: Literal["active", "waiting", "assigned", "ended"] = "active"
    limit: int = Field(default=100, ge=1, le=10_000)


class QueueItemList(WireModel):
    items: list[QueueItemOut] = Field(description="waiting ones in the order they'll be served")


class AssignRequest(WireModel):
    """``POST /api/v1/queues/{id}/assign``.

    - ``{}``: run automatic distribution for the queue now;
    - ``item_id`` + ``agent_id``: assign a waiting item, or reassign an assigned one;
    - ``item_id`` + ``to_queue_id``: transfer the item to another queue (it waits there).

    ``override_capacity`` (with ``agent_id``): assign even past the agent's capacity; the
    history's audit entry records it.
    """

    item_id: uuid.UUID | None = None
    agent_id: uuid.UUID | None = None
    to_queue_id: uuid.UUID | None = None
    override_capacity: bool = False

    @model_validator(mode="after")
    def _one_thing(self) -> AssignRequest:
        if self.item_id is None and (self.agent_id or self.to_queue_id):
            raise refusal("queues_agent_id_and_to")
        if self.item_id is not None and (self.agent_id is None) == (self.to_queue_id is None):
            raise refusal("queues_with_item_id_give")
        if self.override_capacity and self.agent_id is None:
            raise refusal("queues_override_capacity_applies_to")
        return self


class PriorityUpdate(WireModel):
    """``PATCH /api/v1/queues/{id}/items/{item_id}``: a waiting item's new priority."""

    priority: Priority


class AssignResult(WireModel):
    items: list[QueueItemOut] = Field(description="the items this call assigned or moved")


class QueueSummary(WireModel):
    queue_id: uuid.UUID
    name: str
    waiting: int
    assigned: int
    urgent_waiting: int
    oldest_wait_seconds: float | None
    open_now: bool
    completed_today: int
    abandoned_today: int
    avg_wait_seconds_today: float | None


class AgentLoad(WireModel):
    agent_id: uuid.UUID
    name: str
    status: str
    active: int
    capacity: int


class HistoryEntry(WireModel):
    item_id: uuid.UUID
    queue_id: uuid.UUID
    conversation_id: uuid.UUID
    event: Transition
    agent_id: uuid.UUID | None
    at: datetime


class Dashboard(WireModel):
    """``GET /api/v1/queues/dashboard``: the live monitor's first picture (events follow)."""

    queues: list[QueueSummary]
    agents: list[AgentLoad]
    recent: list[HistoryEntry] = Field(description="the latest transitions, newest first")


class QueueChanged(WireModel):
    """A queue was created, its settings changed, or it was removed: the admins' pages read the
    queues again (the items have :class:`QueueItemChanged`)."""

    type: Literal["queue_changed"] = "queue_changed"
    queue_id: uuid.UUID
    name: str
    removed: bool = False


class QueueItemChanged(WireModel):
    """An item entered, was assigned, moved or left a queue (the live monitor's feed)."""

    type: Literal["queue_item_changed"] = "queue_item_changed"
    transition: Transition
    item: QueueItemOut
