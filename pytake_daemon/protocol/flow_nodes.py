"""Flow nodes on the wire: every node type (a class discriminated by ``type``), the ``FlowNode``
union and each type's outgoing branches. Re-exported by ``protocol.flows``, the module callers
import from."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from pytake_daemon.protocol.checks import refusal
from pytake_daemon.protocol.common import HTTP_URL_PATTERN, HTTPS_URL_PATTERN, WireModel

NodeId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
VariableName = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z_][A-Za-z0-9_.]*$")
]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4096)]


def _valid_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise refusal("flow_nodes_not_a_valid_regular", exc=str(exc)) from None
    return value


class NodePosition(WireModel):
    """Where an editor drew the node (grid cells); ignored by the engine."""

    x: int = 0
    y: int = 0


class _Node(WireModel):
    id: NodeId
    label: str = Field(default="", max_length=100)
    position: NodePosition | None = None


# ---- Triggers ----------------------------------------------------------------------------------


class TriggerUniversal(_Node):
    """Starts on any message when no other flow claims it (the lowest priority)."""

    type: Literal["trigger_universal"] = "trigger_universal"


class KeywordMatch(StrEnum):
    EQUALS = "equals"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    REGEX = "regex"


class TriggerKeyword(_Node):
    """Starts when the message matches one of ``keywords`` (case- and accent-insensitive)."""

    type: Literal["trigger_keyword"] = "trigger_keyword"
    keywords: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] = Field(
        min_length=1, max_length=100
    )
    match: KeywordMatch = KeywordMatch.EQUALS

    @model_validator(mode="after")
    def _regexes_compile(self) -> TriggerKeyword:
        if self.match == KeywordMatch.REGEX:
            for keyword in self.keywords:
                _valid_regex(keyword)
        return self


class TriggerTemplate(_Node):
    """Starts when the customer replies (e.g. taps a button) to template ``template_name`` that
    was sent to them directly; takes precedence over any running session. The button's payload
    (or text) is stored in the variable ``template_button``."""

    type: Literal["trigger_template"] = "trigger_template"
    template_name: Annotated[str, StringConstraints(min_length=1, max_length=512)]


# ---- Logic ---------------------------------------------------------------------------------------


class LogicWindowCheck(_Node):
    """Branches ``inside`` / ``outside`` the 24-hour customer-service window."""

    type: Literal["logic_window_check"] = "logic_window_check"


class ConditionOperator(StrEnum):
    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    CONTAINS = "contains"
    GREATER = "greater_than"
    LESS = "less_than"
    EXISTS = "exists"
    NOT_EXISTS = "not_exists"
    REGEX = "regex"


class ConditionRule(WireModel):
    """``variable`` names a captured variable, ``contact.name``/``contact.wa_id``,
    ``conversation.status``, or ``ai.intent``/``ai.sentiment`` (filled by the AI features)."""

    variable: VariableName
    operator: ConditionOperator
    value: str = ""


class BusinessHours(WireModel):
    """Open on ``days`` (0 = Monday) from ``start`` to ``end`` (HH:MM) in ``timezone``."""

    timezone: str = "America/Sao_Paulo"
    days: list[Annotated[int, Field(ge=0, le=6)]] = Field(default=[0, 1, 2, 3, 4], min_length=1)
    start: Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] = "09:00"
    end: Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-4]):[0-5][0-9]$")] = "18:00"


class Condition(_Node):
    """Branches ``true`` / ``false``: every rule (``match: all``) or one (``any``), and inside
    ``business_hours`` when given."""

    type: Literal["condition"] = "condition"
    rules: list[ConditionRule] = Field(default_factory=list, max_length=50)
    match: Literal["all", "any"] = "all"
    business_hours: BusinessHours | None = None


class SetVariable(_Node):
    type: Literal["set_variable"] = "set_variable"
    variable: VariableName
    value: str = Field(default="", max_length=4096, description="may use {{variables}}")


class Delay(_Node):
    """Waits, then continues; the wait survives daemon restarts."""

    type: Literal["delay"] = "delay"
    seconds: int = Field(ge=1, le=7 * 24 * 3600)


# ---- Messages ----------------------------------------------------------------------------------


class MsgText(_Node):
    type: Literal["msg_text"] = "msg_text"
    text: Text


class MsgTemplate(_Node):
    """An approved template; parameters may use {{variables}} (works outside the window)."""

    type: Literal["msg_template"] = "msg_template"
    name: Annotated[str, StringConstraints(min_length=1, max_length=512)]
    language: Annotated[str, StringConstraints(min_length=2, max_length=15)] = "pt_BR"
    body_parameters: list[str] = Field(default_factory=list, max_length=100)


class ButtonOption(WireModel):
    id: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    title: Annotated[str, StringConstraints(min_length=1, max_length=20)]


class MsgButtons(_Node):
    type: Literal["msg_buttons"] = "msg_buttons"
    text: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    buttons: list[ButtonOption] = Field(min_length=1, max_length=3)


class ListOption(WireModel):
    id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    title: Annotated[str, StringConstraints(min_length=1, max_length=24)]
    description: Annotated[str, StringConstraints(max_length=72)] | None = None


class MsgList(_Node):
    type: Literal["msg_list"] = "msg_list"
    text: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    button: Annotated[str, StringConstraints(min_length=1, max_length=20)] = "Opções"
    options: list[ListOption] = Field(min_length=1, max_length=10)


class MsgMedia(_Node):
    type: Literal["msg_media"] = "msg_media"
    media_type: Literal["image", "video", "audio", "document"]
    link: Annotated[str, StringConstraints(pattern=HTTPS_URL_PATTERN, max_length=2048)] | None = (
        None
    )
    media_id: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_-]{1,128}$")] | None = None
    caption: Annotated[str, StringConstraints(max_length=1024)] | None = None


# ---- Ask -----------------------------------------------------------------------------------------


class AskValidation(StrEnum):
    TEXT = "text"
    OPTION = "option"
    NUMBER = "number"
    EMAIL = "email"
    DATE = "date"
    REGEX = "regex"


class Ask(_Node):
    """Sends ``question`` and waits. A valid answer goes to ``variable`` and branch ``next``;
    an invalid one is re-asked up to ``max_attempts`` times, then branch ``invalid``; no answer
    within ``timeout_minutes`` takes branch ``timeout``."""

    type: Literal["ask"] = "ask"
    question: Text
    variable: VariableName
    validation: AskValidation = AskValidation.TEXT
    options: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=20
    )
    pattern: str | None = Field(default=None, max_length=500)
    retry_message: str = Field(default="Desculpe, não entendi. Pode repetir?", max_length=1024)
    max_attempts: int = Field(default=3, ge=1, le=10)
    timeout_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        return None if value is None else _valid_regex(value)


# ---- HTTP ----------------------------------------------------------------------------------------


class HttpRequest(_Node):
    """Calls an HTTP API; ``response_map`` copies fields of the JSON answer (dotted paths) into
    variables. Branches ``success`` (2xx) and ``error`` (anything else, timeouts, refusals)."""

    type: Literal["http_request"] = "http_request"
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    url: Annotated[str, StringConstraints(pattern=HTTP_URL_PATTERN, max_length=2048)]
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    timeout_seconds: float | None = Field(default=None, gt=0, le=60)
    response_map: dict[VariableName, str] = Field(default_factory=dict)


# ---- Actions -------------------------------------------------------------------------------------


class FallbackAction(StrEnum):
    """On the wait timeout (see docs/queues.md): ``close`` is the queues' ``abandon``."""

    CLOSE = "close"
    KEEP_WAITING = "keep_waiting"
    RETURN_TO_BOT = "return_to_bot"
    QUEUE = "queue"
    """The queue's own ``timeout_action`` (``move``, ``start_flow``…) after the node's wait."""


class ActionTransferToQueue(_Node):
    """Hands the conversation to a human queue (the original configuration, field for field)."""

    type: Literal["action_transfer_to_queue"] = "action_transfer_to_queue"
    queueId: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    queueName: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    priority: Literal[0, 1, 2] = 0
    message: str = Field(default="", max_length=4096)
    waitTimeoutMinutes: int = Field(default=30, ge=1, le=7 * 24 * 60)
    fallbackAction: FallbackAction = FallbackAction.KEEP_WAITING


class ActionClose(_Node):
    type: Literal["action_close"] = "action_close"
    message: str = Field(default="", max_length=4096)


class ActionTag(_Node):
    type: Literal["action_tag"] = "action_tag"
    tags: list[Annotated[str, StringConstraints(min_length=1, max_length=50)]] = Field(
        min_length=1, max_length=20
    )


class ActionRequestPhone(_Node):
    """Asks a customer known only by their WhatsApp username (a BSUID, no phone) to share their
    phone number: WhatsApp's "Share contact info" message with ``text`` inside the 24-hour
    window, an approved utility template with a REQUEST_CONTACT_INFO button outside it. Branch
    ``known`` when the phone is already on the contact (nothing is sent), ``next`` once the
    request is queued, ``error`` when it can't be sent (no such template outside the window).
    The customer's answer fills the contact's phone when it arrives."""

    type: Literal["action_request_phone"] = "action_request_phone"
    text: Text = "Para continuar, compartilhe seu número de telefone."


class End(_Node):
    type: Literal["end"] = "end"


FlowNode = Annotated[
    TriggerUniversal
    | TriggerKeyword
    | TriggerTemplate
    | LogicWindowCheck
    | Condition
    | SetVariable
    | Delay
    | MsgText
    | MsgTemplate
    | MsgButtons
    | MsgList
    | MsgMedia
    | Ask
    | HttpRequest
    | ActionTransferToQueue
    | ActionClose
    | ActionTag
    | ActionRequestPhone
    | End,
    Field(discriminator="type"),
]

TRIGGER_TYPES = ("trigger_universal", "trigger_keyword", "trigger_template")
WAIT_TYPES = ("ask", "delay")
_SENDS = ("next", "error")
BRANCHES: dict[str, tuple[str, ...]] = {
    "trigger_universal": ("next",),
    "trigger_keyword": ("next",),
    "trigger_template": ("next",),
    "logic_window_check": ("inside", "outside"),
    "condition": ("true", "false"),
    "set_variable": ("next",),
    "delay": ("next",),
    "msg_text": _SENDS,
    "msg_template": _SENDS,
    "msg_buttons": _SENDS,
    "msg_list": _SENDS,
    "msg_media": _SENDS,
    "ask": ("next", "invalid", "timeout", "error"),
    "http_request": ("success", "error"),
    "action_transfer_to_queue": (),
    "action_close": (),
    "action_tag": ("next",),
    "action_request_phone": ("next", "known", "error"),
    "end": (),
}
"""The branches each node type may leave by (an editor offers exactly these)."""


def node_branches(node_type: str) -> tuple[str, ...]:
    return BRANCHES[node_type]
