"""A node's settings as a form built from its protocol model, checked as you type.

Each field of the model gets an input: a line for text and numbers, a choice for enums and
literals, a comma-separated line for lists of words, and a JSON editor for anything richer
(rules, buttons, headers…). Every change validates the whole node with the model itself, and
each error is written under the field it names; ``ctrl+s`` hands back the valid node.
"""

from __future__ import annotations

import json
import types
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from pytake_daemon.protocol.flows import FlowNode
from pytake_tui.flow_draft import NODE_MODELS
from pytake_tui.i18n import N_, _
from pytake_tui.validation_words import validation_sentence

HIDDEN_FIELDS = ("type", "position")
_node_adapter: TypeAdapter[FlowNode] = TypeAdapter(FlowNode)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """How one model field is edited: ``kind`` is text, choice, words or json."""

    name: str
    kind: Literal["text", "choice", "words", "json"]
    required: bool
    optional: bool
    """None is a valid value (an empty input means None)."""
    choices: tuple[str, ...] = ()
    hint: str = ""
    values: tuple[Any, ...] = ()
    """The choices as the model has them (a literal may be a number)."""


def _strip(annotation: Any) -> tuple[Any, bool]:
    """The annotation without Annotated and ``| None``, and whether None was allowed."""
    optional = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            optional = optional or len(members) < len(get_args(annotation))
            if len(members) != 1:
                return annotation, optional
            annotation = members[0]
        else:
            return annotation, optional


def field_spec(name: str, info: FieldInfo) -> FieldSpec:
    annotation, optional = _strip(info.annotation)
    required = info.is_required()
    hint = info.description or ""
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        values = tuple(str(member.value) for member in annotation)
        return FieldSpec(name, "choice", required, optional, values, hint)
    if get_origin(annotation) is Literal:
        literal = get_args(annotation)
        names = tuple(str(value) for value in literal)
        return FieldSpec(name, "choice", required, optional, names, hint, literal)
    if annotation in (str, int, float):
        return FieldSpec(name, "text", required, optional, hint=hint)
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        if _strip(item)[0] is str:
            return FieldSpec(name, "words", required, optional, hint=hint or "comma-separated")
    return FieldSpec(name, "json", required, optional, hint=hint or "JSON")


def form_fields(node_type: str) -> list[FieldSpec]:
    """The editable fields of a node type, in the model's order."""
    model = NODE_MODELS[node_type]
    return [
        field_spec(name, info)
        for name, info in model.model_fields.items()
        if name not in HIDDEN_FIELDS
    ]


def initial_text(spec: FieldSpec, value: Any) -> str:
    """What the field's input shows for ``value`` (from ``model_dump(mode="json")``)."""
    if value is None:
        return ""
    if spec.kind == "words":
        return ", ".join(str(item) for item in value)
    if spec.kind == "json":
        # One line per item: a rule or a button reads as one line.
        if isinstance(value, list) and value:
            items = ",\n".join(f"  {json.dumps(item, ensure_ascii=False)}" for item in value)
            return f"[\n{items}\n]"
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def parse_form(
    node_type: str, raw: dict[str, str], base: dict[str, Any]
) -> tuple[FlowNode | None, dict[str, str]]:
    """The node the form describes, or the errors by field name ("" for the node as a whole)."""
    data: dict[str, Any] = {"type": node_type}
    if "position" in base:
        data["position"] = base["position"]
    errors: dict[str, str] = {}
    for spec in form_fields(node_type):
        text = raw.get(spec.name, "")
        if not text.strip():
            # Empty: None where allowed; otherwise the default (or "required" when none).
            if spec.optional:
                data[spec.name] = None
            continue
        if spec.kind == "words":
            data[spec.name] = [word.strip() for word in text.split(",") if word.strip()]
        elif spec.kind == "json":
            try:
                data[spec.name] = json.loads(text)
            except json.JSONDecodeError as error:
                errors[spec.name] = _("not valid JSON: {message} (line {line})").format(
                    message=error.msg, line=error.lineno
                )
        elif spec.values:
            data[spec.name] = spec.values[spec.choices.index(text)]
        else:
            data[spec.name] = text
    try:
        node = _node_adapter.validate_python(data)
    except ValidationError as error:
        for problem in error.errors(include_url=False, include_input=False):
            loc = [part for part in problem["loc"] if part != node_type]
            key = str(loc[0]) if loc else ""
            where = ".".join(str(part) for part in loc[1:])
            why = validation_sentence(problem)
            message = f"{where}: {why}" if where else why
            errors.setdefault(key, message)
        return None, errors
    if errors:
        return None, errors
    return node, {}


class NodeForm(ModalScreen[FlowNode | None]):
    """Edit one node; dismisses with the valid node, or None when cancelled."""

    CSS_PATH = "node_form.tcss"
    BINDINGS = [
        Binding("escape", "dismiss(None)", N_("Cancel")),
        Binding("ctrl+s", "apply", N_("Apply")),
    ]

    def __init__(self, node: dict[str, Any], taken_ids: set[str]) -> None:
        super().__init__()
        self._base = node
        self._type = str(node["type"])
        self._taken = taken_ids
        self._specs = form_fields(self._type)
        self.node: FlowNode | None = None
        self.errors: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="node-form"):
            yield Static(f"{self._type} · {self._base.get('id', '')}", id="form-title")
            with VerticalScroll(id="form-fields"):
                for spec in self._specs:
                    mark = " *" if spec.required else ""
                    with Horizontal(classes="field-row"):
                        yield Label(f"{spec.name}{mark}", classes="field-name")
                        yield self._input(spec)
                    yield Static("", id=f"error-{spec.name}", classes="field-error")
            yield Static("", id="form-status")
            with Horizontal(id="form-buttons"):
                yield Button(_("Apply ^s"), id="apply", variant="primary", compact=True)
                yield Button(_("Cancel esc"), id="cancel", compact=True)

    def _input(self, spec: FieldSpec) -> Input | Select[str] | TextArea:
        value = initial_text(spec, self._base.get(spec.name))
        widget_id = f"field-{spec.name}"
        if spec.kind == "choice":
            options = [(choice, choice) for choice in spec.choices]
            return Select(
                options,
                value=value if value in spec.choices else Select.BLANK,
                allow_blank=spec.optional or not value,
                prompt=_("Pick one"),
                id=widget_id,
                compact=True,
            )
        if spec.kind == "json":
            area = TextArea(value, id=widget_id, classes="json-field", compact=True)
            area.show_line_numbers = False
            return area
        return Input(value, placeholder=spec.hint, id=widget_id, compact=True)

    def on_mount(self) -> None:
        self.validate_form()
        # Start where there is something to fill in (a new node's required fields).
        first = next((spec.name for spec in self._specs if spec.name in self.errors), "id")
        self.query_one(f"#field-{first}").focus()

    def raw(self) -> dict[str, str]:
        """What each field holds now."""
        values: dict[str, str] = {}
        for spec in self._specs:
            widget = self.query_one(f"#field-{spec.name}")
            if isinstance(widget, Input):
                values[spec.name] = widget.value
            elif isinstance(widget, TextArea):
                values[spec.name] = widget.text
            elif isinstance(widget, Select):
                selected = widget.value
                values[spec.name] = "" if selected is Select.BLANK else str(selected)
        return values

    def validate_form(self) -> bool:
        """Check the node; write each error under its field. True when it is valid."""
        node, errors = parse_form(self._type, self.raw(), self._base)
        if node is not None and node.id != self._base.get("id") and node.id in self._taken:
            errors = {"id": _("another node is already called {id}").format(id=node.id)}
            node = None
        self.node, self.errors = node, errors
        for spec in self._specs:
            error = self.query_one(f"#error-{spec.name}", Static)
            error.update(errors.get(spec.name, ""))
            error.display = spec.name in errors
        status = self.query_one("#form-status", Static)
        status.update(errors.get("", ""))
        status.display = "" in errors
        self.query_one("#apply", Button).disabled = node is None
        return node is not None

    @on(Input.Changed)
    @on(Select.Changed)
    @on(TextArea.Changed)
    def _changed(self) -> None:
        self.validate_form()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#apply")
    def _apply_pressed(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    def action_apply(self) -> None:
        if self.validate_form():
            self.dismiss(self.node)
        else:
            self.notify(_("Fix the fields marked in red first"), severity="warning")
