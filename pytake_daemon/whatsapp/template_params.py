"""Match a template send against the stored template definition before it is queued.

Meta refuses a template whose parameters don't fit its placeholders (error 132000, or 132012
for a parameter of the wrong kind), but only when the outbox sends it, long after the agent
pressed enter. Checking against the definition from the management API (the ``Template`` model:
components ``HEADER``/``BODY``/``FOOTER``/``BUTTONS``, ``{{1}}`` or ``{{name}}`` placeholders,
``parameter_format``) turns that into an immediate, specific error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeVar

from pytake_daemon.protocol.outgoing import (
    ExpectedParameters,
    TemplateBodyOut,
    TemplateButtonOut,
    TemplateComponentOut,
    TemplateHeaderOut,
    TemplateOut,
)
from pytake_daemon.whatsapp.graph_models import Template, TemplateButtonDef, TemplateComponentDef

_C = TypeVar("_C", TemplateHeaderOut, TemplateBodyOut)
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
_HEADER_MEDIA: dict[str, Literal["image", "video", "document", "location"]] = {
    "IMAGE": "image",
    "VIDEO": "video",
    "DOCUMENT": "document",
    "LOCATION": "location",
}
# One-time-password buttons of authentication templates take the code as a url parameter.
_OTP_TYPES = frozenset({"COPY_CODE", "ONE_TAP", "ZERO_TAP"})


class TemplateParameterError(ValueError):
    """The parameters given don't fit the template; ``str()`` is a sentence for the agent.

    ``code`` is the Meta error the send would have failed with: 132000 (parameter count or
    names), 132012 (a parameter of the wrong kind) or 132001 (no such approved template);
    ``component`` is ``header``, ``body`` or ``button`` when one is at fault.
    """

    def __init__(self, message: str, *, code: int = 132000, component: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.component = component


def placeholders(text: str | None) -> list[str]:
    """The distinct placeholders of ``text`` in order of first appearance: ``["1", "2"]``."""
    seen: dict[str, None] = {}
    for match in _PLACEHOLDER.finditer(text or ""):
        seen.setdefault(match.group(1), None)
    return list(seen)


def _as_template(definition: Template | Mapping[str, Any]) -> Template:
    return definition if isinstance(definition, Template) else Template.model_validate(definition)


def _format(template: Template) -> Literal["positional", "named"]:
    declared = (template.parameter_format or "").upper()
    if declared in ("POSITIONAL", "NAMED"):
        return "named" if declared == "NAMED" else "positional"
    # Older templates carry no parameter_format: they can only be positional, but infer it from
    # the placeholders so a definition stored without the field still reads correctly.
    for component in template.components:
        if component.type.upper() in ("HEADER", "BODY") and any(
            not name.isdigit() for name in placeholders(component.text)
        ):
            return "named"
    return "positional"


def _text_names(text: str | None, style: Literal["positional", "named"]) -> list[str]:
    found = placeholders(text)
    if style == "named":
        return found
    # Positional values fill {{1}}..{{n}} by position, so n values are needed even if one
    # placeholder is repeated or (wrongly) skipped.
    numbers = [int(name) for name in found if name.isdigit()]
    return [str(i) for i in range(1, max(numbers, default=0) + 1)]


def _strings(values: object) -> list[str]:
    if isinstance(values, list):
        return [str(v) for v in values if isinstance(v, str | int | float)]
    if isinstance(values, str):
        return [values]
    return []


def _named_examples(items: object, names: list[str]) -> list[str]:
    by_name: dict[str, str] = {}
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("param_name"), str):
                by_name[item["param_name"]] = str(item.get("example", ""))
    return [by_name.get(name, "") for name in names] if by_name else []


def _text_expectation(
    component: Literal["header", "body"],
    definition: TemplateComponentDef,
    style: Literal["positional", "named"],
) -> ExpectedParameters | None:
    names = _text_names(definition.text, style)
    if not names:
        return None
    example = definition.example or {}
    if style == "named":
        examples = _named_examples(example.get(f"{component}_text_named_params"), names)
    elif component == "header":
        examples = _strings(example.get("header_text"))
    else:
        rows = example.get("body_text")
        examples = _strings(rows[0]) if isinstance(rows, list) and rows else []
    return ExpectedParameters(
        component=component,
        kind="text",
        parameter_format=style,
        names=names,
        examples=examples,
        text=definition.text,
    )


def _button_expectation(index: int, button: TemplateButtonDef) -> ExpectedParameters | None:
    kind = button.type.upper()
    if kind == "QUICK_REPLY":
        # The payload is optional: without one, Meta returns the button's text when tapped.
        return ExpectedParameters(
            component="button",
            kind="payload",
            index=index,
            sub_type="quick_reply",
            required=False,
            text=button.text,
        )
    if kind == "URL" and placeholders(button.url):
        return ExpectedParameters(
            component="button",
            kind="text",
            names=["1"],
            examples=_strings(button.example),
            index=index,
            sub_type="url",
            text=button.url,
        )
    if kind == "OTP" and (button.otp_type or "").upper() in _OTP_TYPES:
        return ExpectedParameters(
            component="button",
            kind="text",
            names=["1"],
            index=index,
            sub_type="url",
            text=button.text,
        )
    if kind == "COPY_CODE":
        return ExpectedParameters(
            component="button",
            kind="coupon_code",
            index=index,
            sub_type="copy_code",
            text=button.text,
            supported=False,
        )
    # Phone, static URL, flow and other buttons take no parameter at send time.
    return None


def expected_parameters(definition: Template | Mapping[str, Any]) -> list[ExpectedParameters]:
    """What each component of the template needs, in the template's order (header, body,
    buttons). Components without variables (a static header, footers, phone buttons) are left
    out: an empty list means the template is sent with no components at all."""
    template = _as_template(definition)
    style = _format(template)
    expected: list[ExpectedParameters] = []
    for component in template.components:
        kind = component.type.upper()
        if kind == "HEADER":
            header_format = (component.format or "TEXT").upper()
            if header_format == "TEXT":
                text = _text_expectation("header", component, style)
                if text is not None:
                    expected.append(text)
            elif header_format in _HEADER_MEDIA:
                expected.append(
                    ExpectedParameters(component="header", kind=_HEADER_MEDIA[header_format])
                )
        elif kind == "BODY":
            body = _text_expectation("body", component, style)
            if body is not None:
                expected.append(body)
        elif kind == "BUTTONS":
            for index, button in enumerate(component.buttons or []):
                wanted = _button_expectation(index, button)
                if wanted is not None:
                    expected.append(wanted)
    return expected


def _buttons(template: Template) -> list[TemplateButtonDef]:
    return [
        button
        for component in template.components
        if component.type.upper() == "BUTTONS"
        for button in component.buttons or []
    ]


def needs_phone(definition: Template | Mapping[str, Any]) -> bool:
    """Whether the template can go only to a phone number: authentication templates (one-tap,
    zero-tap and copy-code one-time passwords), which Meta refuses to a BSUID with 131062."""
    template = _as_template(definition)
    if (template.category or "").upper() == "AUTHENTICATION":
        return True
    return any(button.type.upper() == "OTP" for button in _buttons(template))


def asks_for_phone(definition: Template | Mapping[str, Any]) -> bool:
    """Whether the template carries Meta's ``REQUEST_CONTACT_INFO`` button ("Share contact
    info"), which asks the customer for their phone number."""
    return any(
        button.type.upper() == "REQUEST_CONTACT_INFO"
        for button in _buttons(_as_template(definition))
    )


# ---- Checking a send -------------------------------------------------------------------------


def _what(expectation: ExpectedParameters) -> str:
    if expectation.kind == "text":
        count = len(expectation.names)
        return f"{count} parameter{'s' if count != 1 else ''}"
    article = "an" if expectation.kind[0] in "aeiou" else "a"
    return f"{article} {expectation.kind.replace('_', ' ')}"


def _check_text(
    where: str, expectation: ExpectedParameters, given: list[str] | dict[str, str]
) -> None:
    component = expectation.component
    names = expectation.names
    if expectation.parameter_format == "named":
        if not isinstance(given, dict):
            raise TemplateParameterError(
                f"{where} uses named parameters ({', '.join(names)}): give them by name, "
                f"not as a list.",
                component=component,
            )
        missing = [n for n in names if n not in given]
        unknown = [n for n in given if n not in names]
        if missing or unknown:
            parts = []
            if missing:
                parts.append(f"is missing the named parameters: {', '.join(missing)}")
            if unknown:
                parts.append(f"has no parameters named: {', '.join(unknown)}")
            raise TemplateParameterError(f"{where} {'; and '.join(parts)}.", component=component)
        return
    if isinstance(given, dict):
        raise TemplateParameterError(
            f"{where} uses positional parameters ({{{{1}}}} to {{{{{len(names)}}}}}): give a "
            f"list of {len(names)} value{'s' if len(names) != 1 else ''}, not names.",
            component=component,
        )
    if len(given) != len(names):
        raise TemplateParameterError(
            f"{where} expects {_what(expectation)}, {len(given)} given.", component=component
        )


def _only(components: list[_C], what: str) -> _C | None:
    if len(components) > 1:
        raise TemplateParameterError(f"Only one {what} component may be sent.", component=what)
    return components[0] if components else None


def check_parameters(
    definition: Template | Mapping[str, Any], components_sent: Sequence[TemplateComponentOut]
) -> None:
    """Raise ``TemplateParameterError`` unless ``components_sent`` fill the template exactly.

    Checked: a header parameter of the right kind exactly when the header has a variable or a
    medium; the count (positional) or the names (named) of header and body parameters; one
    parameter for each dynamic URL or one-time-password button, the right ``sub_type`` for each
    button given, and no parameters for components that take none.
    """
    template = _as_template(definition)
    expected = expected_parameters(template)
    label = f"Template '{template.name}'"

    header_expected = next((e for e in expected if e.component == "header"), None)
    header = _only([c for c in components_sent if isinstance(c, TemplateHeaderOut)], "header")
    where = f"{label} header"
    if header_expected is None and header is not None:
        raise TemplateParameterError(
            f"{where} has no variable, but a header parameter was given.", component="header"
        )
    if header_expected is not None:
        if header is None:
            raise TemplateParameterError(
                f"{where} expects {_what(header_expected)}, none given.", component="header"
            )
        if header.kind != header_expected.kind:
            raise TemplateParameterError(
                f"{where} expects {_what(header_expected)}, not {header.kind}.",
                code=132012,
                component="header",
            )
        if header.text is not None:
            _check_text(where, header_expected, header.text)

    body_expected = next((e for e in expected if e.component == "body"), None)
    body = _only([c for c in components_sent if isinstance(c, TemplateBodyOut)], "body")
    where = f"{label} body"
    if body_expected is None and body is not None:
        raise TemplateParameterError(
            f"{where} has no variables, but {len(body.parameters)} parameter"
            f"{'s were' if len(body.parameters) != 1 else ' was'} given.",
            component="body",
        )
    if body_expected is not None:
        _check_text(where, body_expected, body.parameters if body is not None else [])

    _check_buttons(
        label, expected, [c for c in components_sent if isinstance(c, TemplateButtonOut)]
    )


def _check_buttons(
    label: str, expected: list[ExpectedParameters], sent: list[TemplateButtonOut]
) -> None:
    by_index = {e.index: e for e in expected if e.component == "button"}
    seen: set[int] = set()
    for button in sent:
        where = f"{label} button {button.index}"
        if button.index in seen:
            raise TemplateParameterError(f"{where} was given twice.", component="button")
        seen.add(button.index)
        wanted = by_index.get(button.index)
        if wanted is None:
            raise TemplateParameterError(
                f"{where} takes no parameter (there is no such button, or it is static).",
                component="button",
            )
        if wanted.sub_type != button.sub_type:
            raise TemplateParameterError(
                f"{where} takes a {wanted.sub_type} parameter, not {button.sub_type}.",
                code=132012,
                component="button",
            )
    for wanted in by_index.values():
        if not wanted.required or wanted.index in seen:
            continue
        where = f"{label} button {wanted.index}"
        if not wanted.supported:
            raise TemplateParameterError(
                f"{where} needs {_what(wanted)}, which PyTake cannot send yet.",
                component="button",
            )
        raise TemplateParameterError(
            f"{where} ({wanted.text or wanted.sub_type}) expects {_what(wanted)}, none given.",
            component="button",
        )


def check_template(definition: Template | Mapping[str, Any], content: TemplateOut) -> None:
    """``check_parameters`` plus: the definition is this template, and Meta would send it now."""
    template = _as_template(definition)
    if (template.name, template.language) != (content.name, content.language):
        raise TemplateParameterError(
            f"Template '{content.name}' ({content.language}) is not the stored template "
            f"'{template.name}' ({template.language}).",
            code=132001,
        )
    status = (template.status or "APPROVED").upper()
    if status != "APPROVED":
        raise TemplateParameterError(
            f"Template '{template.name}' ({template.language}) is {status.lower()}, not "
            f"approved: it cannot be sent.",
            code={"PAUSED": 132015, "DISABLED": 132016}.get(status, 132001),
        )
    check_parameters(template, content.components)
