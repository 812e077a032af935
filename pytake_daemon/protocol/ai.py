"""Message analysis, suggestions, alerts, insights and the AI settings, as the API shows them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, model_validator

from pytake_daemon.protocol.checks import refusal
from pytake_daemon.protocol.common import NO_NUL_PATTERN, WireModel

Language = Literal["pt", "en"]
SentimentLabel = Literal["positive", "neutral", "negative"]
LanguageSource = Literal["detected", "contact", "conversation", "default"]


class AlertRule(StrEnum):
    STRONGLY_NEGATIVE = "strongly_negative"
    WORSENING_TREND = "worsening_trend"
    CANCEL_OR_COMPLAINT = "cancel_or_complaint"
    LONG_WAIT_NEGATIVE = "long_wait_negative"
    HUMAN_REQUEST_IGNORED = "human_request_ignored"


class MessageAnalysisOut(WireModel):
    message_id: uuid.UUID
    conversation_id: uuid.UUID
    language: Language
    language_source: LanguageSource = Field(
        default="detected",
        description="how `language` was chosen: detected in the text, or (a text too short to "
        "detect) the contact's remembered language, the conversation's, the tenant's default",
    )
    sentiment: float = Field(ge=-1, le=1, description="compound score")
    sentiment_label: SentimentLabel
    intent: str = Field(description="a built-in or custom intent, or 'unknown'")
    intent_confidence: float = Field(ge=0, le=1)
    analyzed_at: datetime


class ConversationMoodOut(WireModel):
    """A conversation's recency-weighted sentiment and where it is heading."""

    conversation_id: uuid.UUID
    language: Language
    score: float = Field(ge=-1, le=1)
    label: SentimentLabel
    trend: float = Field(description="slope of the recent scores per message; < 0 worsening")
    messages: int = Field(description="analysed customer messages so far")


class ConversationAnalysis(WireModel):
    """``GET /api/v1/conversations/{id}/analysis``."""

    mood: ConversationMoodOut | None
    items: list[MessageAnalysisOut] = Field(description="newest first")


class MessageAnalyzed(WireModel):
    """A customer's message was analysed (after ``message_received``): badges for clients."""

    type: Literal["message_analyzed"] = "message_analyzed"
    analysis: MessageAnalysisOut
    mood: ConversationMoodOut


class AlertOut(WireModel):
    id: uuid.UUID
    conversation_id: uuid.UUID
    rule: AlertRule
    message_id: uuid.UUID | None
    detail: str
    created_at: datetime


class AlertList(WireModel):
    items: list[AlertOut] = Field(description="newest first")


class AlertQuery(WireModel):
    conversation_id: uuid.UUID | None = None
    limit: int = Field(default=50, ge=1, le=200)


class AlertRaised(WireModel):
    """A rule fired for a conversation (once per conversation and rule): for supervisors."""

    type: Literal["ai_alert"] = "ai_alert"
    alert: AlertOut


class ReplyKind(StrEnum):
    CANNED = "canned"
    SNIPPET = "snippet"


class ReplyScope(StrEnum):
    """Who may use a reply: its owner alone, or the team (the whole tenant, or one department
    when ``department`` is set). Agents manage their personal replies, supervisors the shared."""

    PERSONAL = "personal"
    TEAM = "team"


SHORTCUT_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"
"""A shortcut as typed after ``/`` in the composer: a slug of up to 32 characters."""

Shortcut = Annotated[
    str,
    BeforeValidator(lambda v: v.strip().removeprefix("/").lower() if isinstance(v, str) else v),
    Field(
        pattern=SHORTCUT_PATTERN,
        description="typed as /shortcut in the composer: lower-case letters, digits, '-' and "
        "'_' (a leading '/' is dropped); unique among the team's replies and among each "
        "user's own",
    ),
]
Department = Annotated[str, Field(min_length=1, max_length=100)]


class ReplyCreate(WireModel):
    """A canned response or knowledge snippet. ``{{customer_name}}``, ``{{first_name}}``,
    ``{{agent_name}}`` and ``{{phone}}`` are filled in suggestions.

    ``scope`` ``team`` (the default) needs a supervisor; anyone may add a ``personal`` one."""

    kind: ReplyKind = ReplyKind.CANNED
    title: str = Field(min_length=1, max_length=120, pattern=NO_NUL_PATTERN)
    body: str = Field(min_length=1, max_length=4096, pattern=NO_NUL_PATTERN)
    intents: list[str] = Field(default_factory=list, max_length=20)
    language: Language | None = Field(default=None, description="null: any language")
    shortcut: Shortcut | None = None
    scope: ReplyScope = ReplyScope.TEAM
    department: Department | None = Field(
        default=None,
        description="team replies only: just the agents of this department see it (null: all)",
    )

    @model_validator(mode="after")
    def _department_is_shared(self) -> ReplyCreate:
        if self.department is not None and self.scope is ReplyScope.PERSONAL:
            raise refusal("ai_a_personal_reply_has")
        return self


class ReplyUpdate(WireModel):
    """Only the fields given change; ``shortcut``, ``department`` and ``language`` may be set
    to null to remove them. Changing ``scope`` needs the right to manage both scopes."""

    kind: ReplyKind | None = None
    title: str | None = Field(default=None, min_length=1, max_length=120, pattern=NO_NUL_PATTERN)
    body: str | None = Field(default=None, min_length=1, max_length=4096, pattern=NO_NUL_PATTERN)
    intents: list[str] | None = Field(default=None, max_length=20)
    language: Language | None = None
    shortcut: Shortcut | None = None
    scope: ReplyScope | None = None
    department: Department | None = None


class ReplyQuery(WireModel):
    """``GET /api/v1/ai/replies`` filters: the replies the caller may use."""

    shortcut: str | None = Field(
        default=None,
        max_length=33,
        description="only replies whose shortcut starts with this (a leading '/' is dropped): "
        "the composer's completion",
    )
    scope: ReplyScope | None = None


class ReplyOut(WireModel):
    id: uuid.UUID
    kind: ReplyKind
    title: str
    body: str
    intents: list[str]
    language: Language | None
    created_at: datetime
    updated_at: datetime
    shortcut: str | None = None
    scope: ReplyScope = ReplyScope.TEAM
    owner_id: uuid.UUID | None = Field(default=None, description="the user of a personal reply")
    department: str | None = Field(default=None, description="a team reply's department")


class ReplyList(WireModel):
    items: list[ReplyOut] = Field(
        description="what the caller may use: their own, then the team's, by shortcut and title"
    )


class Suggestion(WireModel):
    source: Literal["canned", "snippet", "builtin"]
    reply_id: uuid.UUID | None = Field(description="null for built-in replies")
    title: str
    text: str = Field(description="the body with its variables filled")
    score: float
    missing_variables: list[str] = Field(description="placeholders that could not be filled")


class SuggestionList(WireModel):
    intent: str = Field(description="the intent of the recent customer messages")
    language: Language
    items: list[Suggestion]


class IntentCreate(WireModel):
    """A tenant's own intent, learned from its examples; a keyword match decides it outright."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    examples: list[str] = Field(default_factory=list, max_length=500)
    keywords: list[str] = Field(default_factory=list, max_length=100)


class IntentUpdate(WireModel):
    examples: list[str] | None = Field(default=None, max_length=500)
    keywords: list[str] | None = Field(default=None, max_length=100)


class IntentOut(WireModel):
    id: uuid.UUID
    name: str
    examples: list[str]
    keywords: list[str]
    updated_at: datetime


class IntentList(WireModel):
    builtin: list[str]
    custom: list[IntentOut]


class AiSettingsOut(WireModel):
    """A tenant's AI settings: the installation's defaults with the tenant's overrides applied."""

    enabled: bool
    languages: list[Language] = Field(min_length=1)
    default_language: Language
    intent_threshold: float = Field(ge=0, le=1)
    strongly_negative: float = Field(ge=-1, le=0)
    trend_messages: int = Field(ge=2, le=20)
    trend_drop: float = Field(gt=0, le=2)
    long_wait_minutes: float = Field(gt=0)
    human_request_minutes: float = Field(gt=0)
    alert_rules: list[AlertRule]
    suggestion_sources: list[Literal["canned", "snippet", "builtin"]]


class AiSettingsUpdate(WireModel):
    """Only the fields given change; ``null`` is refused (leave a field out to keep it)."""

    enabled: bool | None = None
    languages: list[Language] | None = Field(default=None, min_length=1)
    default_language: Language | None = None
    intent_threshold: float | None = Field(default=None, ge=0, le=1)
    strongly_negative: float | None = Field(default=None, ge=-1, le=0)
    trend_messages: int | None = Field(default=None, ge=2, le=20)
    trend_drop: float | None = Field(default=None, gt=0, le=2)
    long_wait_minutes: float | None = Field(default=None, gt=0)
    human_request_minutes: float | None = Field(default=None, gt=0)
    alert_rules: list[AlertRule] | None = None
    suggestion_sources: list[Literal["canned", "snippet", "builtin"]] | None = None


class InsightsQuery(WireModel):
    days: int = Field(default=7, ge=1, le=90)


class LabelCounts(WireModel):
    positive: int = 0
    neutral: int = 0
    negative: int = 0


class DayMood(WireModel):
    day: date
    average: float
    counts: LabelCounts


class AgentMood(WireModel):
    agent_id: uuid.UUID | None = Field(description="null: unassigned conversations")
    agent_name: str | None = Field(default=None, description="null: unassigned conversations")
    average: float
    messages: int


class QueueMood(WireModel):
    """Messages analysed while their conversation was in a queue (entered, not yet ended)."""

    queue_id: uuid.UUID
    queue_name: str
    average: float
    messages: int


class NamedCount(WireModel):
    name: str
    count: int


class TurnedNegative(WireModel):
    conversation_id: uuid.UUID
    contact_name: str | None
    score: float
    since: datetime


class Insights(WireModel):
    """``GET /api/v1/ai/insights``: the last ``days`` days of analysed customer messages."""

    days: int
    distribution: LabelCounts
    by_day: list[DayMood]
    by_agent: list[AgentMood]
    by_queue: list[QueueMood] = Field(default_factory=list)
    top_intents: list[NamedCount]
    alerts_by_rule: list[NamedCount]
    turned_negative: list[TurnedNegative]
