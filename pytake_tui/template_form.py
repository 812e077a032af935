"""The fields a template needs before it can be sent, read from Meta's component definitions,
and the :class:`TemplateOut` built from the values an agent typed.

The daemon checks a send against the stored definition again (and says precisely what is wrong
with a 422), so this only has to ask for the right things in the right order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pytake_daemon.protocol import (
    TemplateBodyOut,
    TemplateButtonOut,
    TemplateHeaderOut,
    TemplateOut,
)
from pytake_daemon.protocol.outgoing import TemplateComponentOut, TemplateMedia
from pytake_daemon.protocol.whatsapp import MessageTemplateOut
from pytake_tui.i18n import _

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
MediaKind = Literal["image", "video", "document"]

_MEDIA_HEADERS: dict[str, MediaKind] = {"IMAGE": "image", "VIDEO": "video", "DOCUMENT": "document"}


class TemplateUnsupportedError(ValueError):
    """The template needs a parameter the console can't collect (e.g. a location header)."""


@dataclass(frozen=True, slots=True)
class TemplateField:
    """One value to ask for: ``key`` is unique within the template, ``label`` says what it is."""

    key: str
    component: Literal["header", "body", "button"]
    name: str
    label: str
    example: str = ""
    media: MediaKind | None = None
    button_index: int | None = None


def placeholders(text: str | None) -> list[str]:
    """Distinct placeholders in order of first appearance: ``["1", "2"]`` or ``["name"]``."""
    seen: dict[str, None] = {}
    for match in _PLACEHOLDER.finditer(text or ""):
        seen.setdefault(match.group(1), None)
    return list(seen)


def _examples(component: dict[str, Any], key: str) -> list[str]:
    example = component.get("example")
    if not isinstance(example, dict):
        return []
    value = example.get(key)
    if isinstance(value, list) and value and isinstance(value[0], list):
        value = value[0]  # body_text is a list of rows
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _named_examples(component: dict[str, Any], key: str) -> dict[str, str]:
    example = component.get("example")
    items = example.get(key) if isinstance(example, dict) else None
    if not isinstance(items, list):
        return {}
    return {
        str(item["param_name"]): str(item.get("example", ""))
        for item in items
        if isinstance(item, dict) and "param_name" in item
    }


def _label(where: Literal["header", "body"]) -> str:
    return _("header {placeholder}") if where == "header" else _("body {placeholder}")


def _text_fields(
    component: dict[str, Any], where: Literal["header", "body"]
) -> list[TemplateField]:
    names = placeholders(component.get("text"))
    positional = _examples(component, f"{where}_text")
    named = _named_examples(component, f"{where}_text_named_params")
    fields = []
    for position, name in enumerate(names):
        example = named.get(name) or (positional[position] if position < len(positional) else "")
        fields.append(
            TemplateField(
                key=f"{where}.{name}",
                component=where,
                name=name,
                label=_label(where).format(placeholder="{{" + name + "}}"),
                example=example,
            )
        )
    return fields


def template_fields(template: MessageTemplateOut) -> list[TemplateField]:
    """What to ask for, header first, then body, then buttons.

    Raises :class:`TemplateUnsupportedError` for templates that need a location header or a
    coupon code, which this console does not collect.
    """
    fields: list[TemplateField] = []
    for component in template.components:
        kind = str(component.get("type", "")).upper()
        if kind == "HEADER":
            header_format = str(component.get("format", "TEXT")).upper()
            if header_format == "TEXT":
                fields.extend(_text_fields(component, "header"))
            elif header_format in _MEDIA_HEADERS:
                media = _MEDIA_HEADERS[header_format]
                fields.append(
                    TemplateField(
                        key="header.media",
                        component="header",
                        name="link",
                        label=_("header {media} (https link)").format(media=media),
                        media=media,
                    )
                )
            elif header_format == "LOCATION":
                raise TemplateUnsupportedError(_("its header is a location"))
        elif kind == "BODY":
            fields.extend(_text_fields(component, "body"))
        elif kind == "BUTTONS":
            fields.extend(_button_fields(component.get("buttons")))
    return fields


def _button_fields(buttons: object) -> list[TemplateField]:
    fields = []
    for index, button in enumerate(buttons if isinstance(buttons, list) else []):
        if not isinstance(button, dict):
            continue
        kind = str(button.get("type", "")).upper()
        if kind == "COPY_CODE":
            raise TemplateUnsupportedError(_("it has a copy-code button"))
        if kind == "URL" and placeholders(button.get("url")):
            example = button.get("example")
            fields.append(
                TemplateField(
                    key=f"button.{index}",
                    component="button",
                    name="1",
                    label=_("button “{text}” link suffix").format(text=button.get("text", index)),
                    example=str(example[0]) if isinstance(example, list) and example else "",
                    button_index=index,
                )
            )
    return fields


def _text_parameters(
    fields: list[TemplateField], values: dict[str, str], named: bool
) -> list[str] | dict[str, str]:
    if named:
        return {f.name: values.get(f.key, "") for f in fields}
    return [values.get(f.key, "") for f in fields]


def build_template(template: MessageTemplateOut, values: dict[str, str]) -> TemplateOut:
    """The send request's content; pydantic validates each value (blank, line breaks…)."""
    fields = template_fields(template)
    named = template.parameter_format.upper() == "NAMED"
    components: list[TemplateComponentOut] = []
    header_text = [f for f in fields if f.component == "header" and f.media is None]
    media = next((f for f in fields if f.media is not None), None)
    if header_text:
        text = _text_parameters(header_text, values, named)
        components.append(TemplateHeaderOut(text=text))
    elif media is not None:
        medium = TemplateMedia(link=values.get(media.key, ""))
        components.append(TemplateHeaderOut.model_validate({media.media: medium}))
    body = [f for f in fields if f.component == "body"]
    if body:
        components.append(TemplateBodyOut(parameters=_text_parameters(body, values, named)))
    for field in fields:
        if field.component == "button" and field.button_index is not None:
            components.append(
                TemplateButtonOut(
                    sub_type="url", index=field.button_index, text=values.get(field.key, "")
                )
            )
    return TemplateOut(name=template.name, language=template.language, components=components)


def body_of(template: MessageTemplateOut) -> str:
    """The template's body text with its placeholders, for the picker's preview."""
    for component in template.components:
        if str(component.get("type", "")).upper() == "BODY":
            return str(component.get("text", ""))
    return ""


def preview(template: MessageTemplateOut, values: dict[str, str]) -> str:
    """The body as the customer will read it, with unfilled placeholders left visible."""

    def fill(match: re.Match[str]) -> str:
        return values.get(f"body.{match.group(1)}") or match.group(0)

    return _PLACEHOLDER.sub(fill, body_of(template))
