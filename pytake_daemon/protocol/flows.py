"""Automation flows on the wire: the flow graph (nodes, edges, per-node settings), its versions,
sessions with their execution log, and flow tests.

The same models are the file format (``pytake flow import`` reads YAML or JSON of
:class:`FlowDocument`), the REST bodies and what an editor (the TUI) builds: every node type is a
class discriminated by ``type`` (in ``flow_nodes``, re-exported here), its outgoing branches are
listed by :func:`node_branches`, and ``position`` keeps where an editor drew it. Structural
checks that need the whole graph (unreachable nodes, dangling edges, loops without a wait) live
in the daemon's ``flows.validation`` and are served by ``POST /api/v1/flows/validate``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from pytake_daemon.protocol.common import WireModel
from pytake_daemon.protocol.flow_nodes import (
    BRANCHES,
    TRIGGER_TYPES,
    WAIT_TYPES,
    ActionClose,
    ActionRequestPhone,
    ActionTag,
    ActionTransferToQueue,
    Ask,
    AskValidation,
    BusinessHours,
    ButtonOption,
    Condition,
    ConditionOperator,
    ConditionRule,
    Delay,
    End,
    FallbackAction,
    FlowNode,
    HttpRequest,
    KeywordMatch,
    ListOption,
    LogicWindowCheck,
    MsgButtons,
    MsgList,
    MsgMedia,
    MsgTemplate,
    MsgText,
    NodeId,
    NodePosition,
    SetVariable,
    Text,
    TriggerKeyword,
    TriggerTemplate,
    TriggerUniversal,
    VariableName,
    node_branches,
)

# Nodes live in flow_nodes; every flow model is imported from here.
__all__ = [
    "BRANCHES",
    "TRIGGER_TYPES",
    "WAIT_TYPES",
    "ActionClose",
    "ActionRequestPhone",
    "ActionTag",
    "ActionTransferToQueue",
    "Ask",
    "AskValidation",
    "BusinessHours",
    "ButtonOption",
    "Condition",
    "ConditionOperator",
    "ConditionRule",
    "Delay",
    "End",
    "FallbackAction",
    "FlowDefinition",
    "FlowDocument",
    "FlowEdge",
    "FlowList",
    "FlowNode",
    "FlowOut",
    "FlowProblem",
    "FlowPublish",
    "FlowSessionList",
    "FlowSessionOut",
    "FlowStatus",
    "FlowStep",
    "FlowSummary",
    "FlowTestRequest",
    "FlowTestResult",
    "FlowTestScript",
    "FlowUpdate",
    "FlowValidateRequest",
    "FlowValidation",
    "FlowVersionQuery",
    "HttpMock",
    "HttpRequest",
    "KeywordMatch",
    "ListOption",
    "LogicWindowCheck",
    "MsgButtons",
    "MsgList",
    "MsgMedia",
    "MsgTemplate",
    "MsgText",
    "NodeId",
    "NodePosition",
    "ScriptStep",
    "SessionStatus",
    "SetVariable",
    "Text",
    "TranscriptLine",
    "TriggerKeyword",
    "TriggerTemplate",
    "TriggerUniversal",
    "VariableName",
    "node_branches",
]


class FlowEdge(WireModel):
    source: NodeId
    target: NodeId
    branch: Annotated[str, StringConstraints(min_length=1, max_length=32)] = "next"


class FlowDefinition(WireModel):
    """The graph of one version of a flow."""

    nodes: list[FlowNode] = Field(min_length=1, max_length=500)
    edges: list[FlowEdge] = Field(default_factory=list, max_length=2000)
    session_expiry_minutes: int | None = Field(
        default=None, ge=1, le=7 * 24 * 60, description="idle time before a session ends"
    )
    exit_keywords: list[Annotated[str, StringConstraints(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=20, description="end the session when the customer says"
    )


class FlowDocument(WireModel):
    """A flow as a file (``pytake flow import|export``) and as ``POST /api/v1/flows``."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    description: str = Field(default="", max_length=2000)
    definition: FlowDefinition


class FlowUpdate(WireModel):
    """``PUT /api/v1/flows/{id}``: a new version (sessions on older versions keep theirs)."""

    description: str | None = Field(default=None, max_length=2000)
    definition: FlowDefinition


class FlowPublish(WireModel):
    """Publish ``version`` (default: the latest)."""

    version: int | None = Field(default=None, ge=1)


class FlowStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class FlowSummary(WireModel):
    id: uuid.UUID
    name: str
    description: str
    status: FlowStatus
    latest_version: int
    published_version: int | None
    created_at: datetime
    updated_at: datetime


class FlowOut(FlowSummary):
    version: int = Field(description="the version whose definition is shown")
    definition: FlowDefinition


class FlowList(WireModel):
    items: list[FlowSummary]


class FlowVersionQuery(WireModel):
    version: int | None = Field(default=None, ge=1)


class FlowProblem(WireModel):
    """One reason a flow is invalid: the node (or edge) and field, and why."""

    node_id: str | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"node {self.node_id}" if self.node_id else "flow"
        return f"{where}: {self.field}: {self.message}"


class FlowValidation(WireModel):
    valid: bool
    problems: list[FlowProblem]


class FlowValidateRequest(WireModel):
    """``POST /api/v1/flows/validate``: any JSON, checked as a flow document."""

    document: dict[str, Any]


# ---- Sessions and the execution log --------------------------------------------------------------


class SessionStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


class FlowStep(WireModel):
    """One executed node."""

    seq: int
    node_id: str
    node_type: str
    input: Any = None
    output: Any = None
    variables: dict[str, Any] = Field(default_factory=dict, description="variables it changed")
    branch: str | None = None
    duration_ms: float
    error: str | None = None
    at: datetime


class FlowSessionOut(WireModel):
    id: uuid.UUID
    flow_id: uuid.UUID
    flow_version: int
    conversation_id: uuid.UUID
    status: SessionStatus
    current_node: str | None
    waiting: Literal["ask", "delay"] | None
    variables: dict[str, Any]
    end_reason: str | None
    started_at: datetime
    updated_at: datetime
    steps: list[FlowStep] = Field(default_factory=list)


class FlowSessionList(WireModel):
    items: list[FlowSessionOut] = Field(description="newest first, without steps")


# ---- Flow tests ----------------------------------------------------------------------------------


class HttpMock(WireModel):
    status: int = Field(default=200, ge=100, le=599)
    json_body: Any = Field(default=None, alias="json")


class ScriptStep(WireModel):
    """One line of a scripted conversation; exactly one field is set.

    ``say``: the customer writes; ``button``: the customer taps a reply button (its id);
    ``elapse``: the pending delay or ask timeout fires; ``expect``: a bot message since the
    previous customer turn contains this text; ``expect_variables``; ``expect_transfer``: the
    transfer's fields that must match; ``expect_end``: the session ended (with this reason).
    """

    say: str | None = None
    button: str | None = None
    elapse: bool | None = None
    expect: str | None = None
    expect_variables: dict[str, Any] | None = None
    expect_transfer: dict[str, Any] | None = None
    expect_end: str | None = None


class FlowTestScript(WireModel):
    contact_name: str = "Cliente Teste"
    contact_wa_id: str | None = Field(
        default="5511999990000", description="null: a customer known only by their username"
    )
    window_open: bool = True
    template_reply: str | None = Field(
        default=None, description="start as a reply to this template (trigger_template)"
    )
    http: dict[str, HttpMock] = Field(default_factory=dict, description="mocks by node id")
    steps: list[ScriptStep] = Field(min_length=1, max_length=500)


class FlowTestRequest(WireModel):
    version: int | None = Field(default=None, ge=1)
    script: FlowTestScript


class TranscriptLine(WireModel):
    who: Literal["customer", "bot", "system"]
    text: str
    content: dict[str, Any] | None = None


class FlowTestResult(WireModel):
    passed: bool
    failures: list[str]
    transcript: list[TranscriptLine]
    steps: list[FlowStep]
    variables: dict[str, Any]
