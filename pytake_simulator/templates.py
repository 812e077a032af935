"""Message templates: definitions (management API), seeds, and Meta's send-time parameter rules.

Definitions use Meta's uppercase component types (``HEADER|BODY|FOOTER|BUTTONS``); sends use the
lowercase ``header|body|button`` with parameters. A send is checked against the approved
definition the way Meta does: same name + language, then the number of parameters per component
(132000), the header's media format (132012) and, for ``parameter_format: NAMED`` templates, the
parameter names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

TemplateStatus = Literal["APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED"]
TemplateCategory = Literal["MARKETING", "UTILITY", "AUTHENTICATION"]
ParameterFormat = Literal["POSITIONAL", "NAMED"]
HeaderFormat = Literal["TEXT", "IMAGE", "VIDEO", "DOCUMENT", "LOCATION"]
ButtonType = Literal[
    "QUICK_REPLY",
    "URL",
    "PHONE_NUMBER",
    "COPY_CODE",
    "OTP",
    "FLOW",
    "CATALOG",
    "MPM",
    "VOICE_CALL",
    "REQUEST_CONTACT_INFO",
]

VARIABLE = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
NAMED_PARAMETER = re.compile(r"^[a-z][a-z0-9_]*$")
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2,3})?$")

BODY_MAX = 1024
HEADER_TEXT_MAX = 60
FOOTER_MAX = 60
BUTTON_TEXT_MAX = 25
BUTTONS_MAX = 10


class TemplateButton(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: ButtonType
    text: str | None = None
    url: str | None = None
    phone_number: str | None = None
    example: list[str] | None = None


class TemplateComponent(BaseModel):
    """One component of a template definition; unknown keys (examples etc.) are kept."""

    model_config = ConfigDict(extra="allow")

    type: Literal["HEADER", "BODY", "FOOTER", "BUTTONS"]
    format: HeaderFormat | None = None
    text: str | None = None
    buttons: list[TemplateButton] | None = None
    example: dict[str, Any] | None = None


class TemplateDefinition(BaseModel):
    """A template as configured or created; ``waba_id`` None means "seed it in every WABA"."""

    model_config = ConfigDict(extra="forbid")

    name: str
    language: str
    category: TemplateCategory
    status: TemplateStatus = "APPROVED"
    parameter_format: ParameterFormat = "POSITIONAL"
    components: list[TemplateComponent] = Field(min_length=1)
    waba_id: str | None = None
    rejected_reason: str | None = None

    def component(self, kind: str) -> TemplateComponent | None:
        return next((c for c in self.components if c.type == kind), None)


class TemplateCreateRequest(BaseModel):
    """``POST /{waba-id}/message_templates``: what Meta documents beyond the loose contract."""

    model_config = ConfigDict(extra="allow")

    name: str
    language: str
    category: TemplateCategory
    parameter_format: ParameterFormat = "POSITIONAL"
    components: list[TemplateComponent] = Field(min_length=1)
    allow_category_change: bool | None = None


def variables(text: str | None) -> list[str]:
    return VARIABLE.findall(text or "")


# --- definition rules (create) ---------------------------------------------------------------


def definition_problems(request: TemplateCreateRequest) -> list[str]:
    """Meta's documented rules for a new template; each problem is one readable sentence."""
    problems: list[str] = []
    if not TEMPLATE_NAME.match(request.name):
        problems.append(
            "Template name can only contain lowercase alphanumeric characters and underscores "
            "(at most 512)."
        )
    if not LANGUAGE_CODE.match(request.language):
        problems.append(f"Invalid language code {request.language!r} (e.g. en_US, pt_BR, es).")
    counts: dict[str, int] = {}
    for component in request.components:
        counts[component.type] = counts.get(component.type, 0) + 1
    for kind, count in counts.items():
        if count > 1:
            problems.append(f"A template can have only one {kind} component.")
    if counts.get("BODY", 0) == 0:
        problems.append("A template needs a BODY component.")
    for component in request.components:
        problems.extend(_component_problems(component, request.parameter_format))
    problems.extend(_contact_request_problems(request))
    return problems


def _contact_request_problems(request: TemplateCreateRequest) -> Iterable[str]:
    """Meta (2026): a REQUEST_CONTACT_INFO button stands alone, in utility or marketing
    templates only."""
    buttons = [b for c in request.components if c.type == "BUTTONS" for b in c.buttons or []]
    if not any(b.type == "REQUEST_CONTACT_INFO" for b in buttons):
        return
    if len(buttons) > 1:
        yield "A REQUEST_CONTACT_INFO button can't be combined with other buttons."
    if request.category == "AUTHENTICATION":
        yield "A REQUEST_CONTACT_INFO button is allowed in UTILITY and MARKETING templates only."


def _component_problems(component: TemplateComponent, fmt: ParameterFormat) -> Iterable[str]:
    kind = component.type
    if kind == "BODY":
        if not component.text:
            yield "BODY text is required."
        elif len(component.text) > BODY_MAX:
            yield f"BODY text must be at most {BODY_MAX} characters."
        yield from _variable_problems("BODY", component.text, fmt)
    elif kind == "HEADER":
        header_format = component.format or "TEXT"
        if header_format == "TEXT":
            if not component.text:
                yield "HEADER text is required when its format is TEXT."
            elif len(component.text) > HEADER_TEXT_MAX:
                yield f"HEADER text must be at most {HEADER_TEXT_MAX} characters."
            if len(variables(component.text)) > 1:
                yield "HEADER text can have at most one variable."
            yield from _variable_problems("HEADER", component.text, fmt)
    elif kind == "FOOTER":
        if not component.text:
            yield "FOOTER text is required."
        elif len(component.text) > FOOTER_MAX:
            yield f"FOOTER text must be at most {FOOTER_MAX} characters."
        if variables(component.text):
            yield "FOOTER text cannot have variables."
    else:
        yield from _buttons_problems(component.buttons or [])


def _buttons_problems(buttons: list[TemplateButton]) -> Iterable[str]:
    if not 1 <= len(buttons) <= BUTTONS_MAX:
        yield f"BUTTONS must have between 1 and {BUTTONS_MAX} buttons."
    for index, button in enumerate(buttons):
        if button.type in ("QUICK_REPLY", "URL", "PHONE_NUMBER", "COPY_CODE") and not button.text:
            yield f"Button {index} needs a text."
        if button.text is not None and len(button.text) > BUTTON_TEXT_MAX:
            yield f"Button {index} text must be at most {BUTTON_TEXT_MAX} characters."
        if button.type == "URL":
            if not button.url:
                yield f"URL button {index} needs a url."
            elif len(variables(button.url)) > 1 or (
                variables(button.url) and not button.url.rstrip().endswith("}}")
            ):
                yield f"URL button {index} can have one variable, at the end of the url."
        if button.type == "PHONE_NUMBER" and not button.phone_number:
            yield f"PHONE_NUMBER button {index} needs a phone_number."


def _variable_problems(kind: str, text: str | None, fmt: ParameterFormat) -> Iterable[str]:
    names = variables(text)
    if not names:
        return
    if fmt == "POSITIONAL":
        expected = [str(i) for i in range(1, len(set(names)) + 1)]
        if sorted(set(names), key=lambda n: (len(n), n)) != expected:
            yield (
                f"{kind} variables must be positional and sequential ({{{{1}}}}, {{{{2}}}}, ...) "
                "when parameter_format is POSITIONAL."
            )
    elif any(not NAMED_PARAMETER.match(name) for name in names):
        yield f"{kind} named variables must be lowercase letters, digits and underscores."


# --- send-time rules -------------------------------------------------------------------------


@dataclass(frozen=True)
class SendProblem:
    """Why a send doesn't fit its template: Meta's code and the ``details`` it gives."""

    code: int
    details: str


def send_problem(
    template: TemplateDefinition, components: list[dict[str, Any]]
) -> SendProblem | None:
    """Check send-time components (already schema-valid) against the approved definition."""
    sent_header: dict[str, Any] | None = None
    sent_body: dict[str, Any] | None = None
    sent_buttons: dict[int, dict[str, Any]] = {}
    for component in components:
        kind = str(component.get("type", "")).lower()
        if kind == "header":
            sent_header = component
        elif kind == "body":
            sent_body = component
        elif kind == "button":
            try:
                sent_buttons[int(component.get("index", -1))] = component
            except (TypeError, ValueError):
                return SendProblem(131009, "button: index must be a number between 0 and 9")
    return (
        _header_problem(template, sent_header)
        or _body_problem(template, sent_body)
        or _buttons_problem(template, sent_buttons)
    )


def _params(component: dict[str, Any] | None) -> list[dict[str, Any]]:
    if component is None:
        return []
    params = component.get("parameters") or []
    return [p for p in params if isinstance(p, dict)]


def _count_problem(where: str, got: int, expected: int) -> SendProblem:
    return SendProblem(
        132000,
        f"{where}: number of localizable_params ({got}) does not match the expected number of "
        f"params ({expected})",
    )


def _header_problem(
    template: TemplateDefinition, sent: dict[str, Any] | None
) -> SendProblem | None:
    header = template.component("HEADER")
    params = _params(sent)
    if header is None:
        return _count_problem("header", len(params), 0) if params else None
    header_format = header.format or "TEXT"
    if header_format == "TEXT":
        expected = len(variables(header.text))
        if len(params) != expected:
            return _count_problem("header", len(params), expected)
        return _names_problem(template, "header", params, variables(header.text))
    if len(params) != 1:
        return _count_problem("header", len(params), 1)
    got = str(params[0].get("type", "")).upper()
    if got != header_format:
        return SendProblem(
            132012,
            f"header: Format mismatch, expected {header_format}, received {got or 'UNKNOWN'}",
        )
    return None


def _body_problem(template: TemplateDefinition, sent: dict[str, Any] | None) -> SendProblem | None:
    body = template.component("BODY")
    # A variable used twice is still one parameter.
    expected_names = sorted(set(variables(body.text if body else None)))
    params = _params(sent)
    if len(params) != len(expected_names):
        return _count_problem("body", len(params), len(expected_names))
    return _names_problem(template, "body", params, expected_names)


def _names_problem(
    template: TemplateDefinition, where: str, params: list[dict[str, Any]], expected: list[str]
) -> SendProblem | None:
    if template.parameter_format != "NAMED":
        return None
    got = sorted(str(p.get("parameter_name")) for p in params)
    if got != sorted(set(expected)):
        return SendProblem(
            132000,
            f"{where}: parameter names ({', '.join(got)}) do not match the expected parameter "
            f"names ({', '.join(sorted(set(expected)))})",
        )
    return None


def _buttons_problem(
    template: TemplateDefinition, sent: dict[int, dict[str, Any]]
) -> SendProblem | None:
    defined = template.component("BUTTONS")
    buttons = defined.buttons if defined and defined.buttons else []
    for index, component in sent.items():
        if not 0 <= index < len(buttons):
            return _count_problem(f"button at index {index}", len(_params(component)), 0)
    for index, button in enumerate(buttons):
        params = _params(sent.get(index))
        if button.type == "URL" and variables(button.url):
            if len(params) != 1:
                return _count_problem(f"button at index {index} of type Url", len(params), 1)
        elif button.type in ("COPY_CODE", "OTP"):
            if len(params) != 1:
                return _count_problem(f"button at index {index}", len(params), 1)
        elif button.type == "QUICK_REPLY":
            # A quick reply may carry one payload; without it Meta echoes the button text.
            if len(params) > 1:
                return _count_problem(f"button at index {index} of type QuickReply", len(params), 1)
        elif params:
            return _count_problem(f"button at index {index}", len(params), 0)
    return None
