"""Templates in outgoing messages (the only messages allowed outside the 24-hour window), and
what a stored template expects at send time."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Discriminator, Field, StringConstraints, Tag, model_validator

from pytake_daemon.protocol.checks import refusal
from pytake_daemon.protocol.common import WireModel
from pytake_daemon.protocol.outgoing_fields import (
    Latitude,
    Longitude,
    MediaSource,
    not_blank,
    refuse_duplicates,
)


def _template_text(value: str) -> str:
    # Meta refuses such parameters only at send time, long after the message was queued.
    if "\n" in value or "\r" in value or "\t" in value:
        raise refusal("outgoing_templates_template_parameters_cannot_contain")
    if "     " in value:
        raise refusal("outgoing_templates_template_parameters_cannot_contain_2")
    return not_blank(value)


# ---- Templates (the only messages allowed outside the 24-hour window) -------------------------

TemplateText = Annotated[
    str, StringConstraints(min_length=1, max_length=1024), AfterValidator(_template_text)
]
# Meta allows lowercase letters, digits and underscores in named placeholders: {{first_name}}.
ParameterName = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z_][a-z0-9_]*$")
]
# A list fills {{1}}, {{2}}… in order; an object fills {{name}} placeholders by name. Which one a
# template takes is its ``parameter_format`` (POSITIONAL or NAMED).


def _parameter_style(value: object) -> str | None:
    if isinstance(value, list):
        return "positional"
    if isinstance(value, dict):
        return "named"
    return None


# Tagged so a validation error points at ``parameters.positional.0`` rather than at pydantic's
# internal name for each member of the union.
TextParameters = Annotated[
    Annotated[list[TemplateText], Field(min_length=1), Tag("positional")]
    | Annotated[dict[ParameterName, TemplateText], Field(min_length=1), Tag("named")],
    Discriminator(
        _parameter_style,
        custom_error_type="parameters_type",
        custom_error_message="must be a list (positional {{1}}…) or an object (named {{name}})",
    ),
]


class TemplateMedia(MediaSource):
    """An image, video or document for a template's media header."""

    filename: (
        Annotated[str, StringConstraints(min_length=1, max_length=240), AfterValidator(not_blank)]
        | None
    ) = None


class TemplateLocation(WireModel):
    latitude: Latitude
    longitude: Longitude
    name: Annotated[str, StringConstraints(min_length=1, max_length=1000)] | None = None
    address: Annotated[str, StringConstraints(min_length=1, max_length=1000)] | None = None


_HEADER_KINDS = ("text", "image", "video", "document", "location")


class TemplateHeaderOut(WireModel):
    """The header's parameter: exactly one of ``text`` (one value), a medium or a location."""

    type: Literal["header"] = "header"
    text: TextParameters | None = None
    image: TemplateMedia | None = None
    video: TemplateMedia | None = None
    document: TemplateMedia | None = None
    location: TemplateLocation | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> TemplateHeaderOut:
        given = [kind for kind in _HEADER_KINDS if getattr(self, kind) is not None]
        if len(given) != 1:
            raise refusal(
                "outgoing_templates_give_exactly_one_of", choices=", ".join(_HEADER_KINDS)
            )
        if self.text is not None and len(self.text) != 1:
            raise refusal("outgoing_templates_a_template_header_has", len=str(len(self.text)))
        if self.filename_misplaced:
            raise refusal("outgoing_templates_filename_is_only_allowed")
        return self

    @property
    def kind(self) -> Literal["text", "image", "video", "document", "location"]:
        for kind in _HEADER_KINDS:
            if getattr(self, kind) is not None:
                # _HEADER_KINDS holds exactly the Literal's values; mypy can't narrow a str to it.
                return kind  # type: ignore[return-value]
        raise AssertionError("validated header without a parameter")  # pragma: no cover

    @property
    def filename_misplaced(self) -> bool:
        return any(m is not None and m.filename is not None for m in (self.image, self.video))


class TemplateBodyOut(WireModel):
    type: Literal["body"] = "body"
    parameters: TextParameters


# Meta allows at most 10 buttons on a template; ``index`` is the button's position among them.
ButtonIndex = Annotated[int, Field(ge=0, le=9)]


class TemplateButtonOut(WireModel):
    """The parameter of one template button.

    ``quick_reply`` buttons take a ``payload`` (returned in the customer's ``button`` webhook when
    tapped); ``url`` buttons take ``text``, the suffix that fills the ``{{1}}`` of their URL (and
    authentication templates' one-time-password buttons take the code here too).
    """

    type: Literal["button"] = "button"
    sub_type: Literal["quick_reply", "url"]
    index: ButtonIndex
    payload: Annotated[str, StringConstraints(min_length=1, max_length=256)] | None = None
    text: Annotated[str, StringConstraints(min_length=1, max_length=2000)] | None = None

    @model_validator(mode="after")
    def _value_matches_sub_type(self) -> TemplateButtonOut:
        if self.sub_type == "quick_reply" and (self.payload is None or self.text is not None):
            raise refusal("outgoing_templates_a_quick_reply_button")
        if self.sub_type == "url" and (self.text is None or self.payload is not None):
            raise refusal("outgoing_templates_a_url_button_takes")
        return self


TemplateComponentOut = Annotated[
    TemplateHeaderOut | TemplateBodyOut | TemplateButtonOut, Field(discriminator="type")
]


class TemplateOut(WireModel):
    """An approved message template, with the values of its variables."""

    type: Literal["template"] = "template"
    name: Annotated[str, StringConstraints(min_length=1, max_length=512, pattern=r"^[a-z0-9_]+$")]
    # en, en_US, pt_BR, fil, zh_HK…
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")]
    components: list[TemplateComponentOut] = Field(default_factory=list, max_length=12)

    @model_validator(mode="after")
    def _consistent(self) -> TemplateOut:
        headers = [c for c in self.components if isinstance(c, TemplateHeaderOut)]
        bodies = [c for c in self.components if isinstance(c, TemplateBodyOut)]
        if len(headers) > 1:
            raise refusal("outgoing_templates_a_template_has_at")
        if len(bodies) > 1:
            raise refusal("outgoing_templates_a_template_has_at_2")
        refuse_duplicates("button indexes", [str(b.index) for b in self.buttons])
        styles = {type(t) for t in (self.header_text, self.body_parameters) if t is not None}
        if len(styles) > 1:
            raise refusal("outgoing_templates_use_either_lists_positional")
        return self

    @property
    def header(self) -> TemplateHeaderOut | None:
        return next((c for c in self.components if isinstance(c, TemplateHeaderOut)), None)

    @property
    def body(self) -> TemplateBodyOut | None:
        return next((c for c in self.components if isinstance(c, TemplateBodyOut)), None)

    @property
    def buttons(self) -> list[TemplateButtonOut]:
        return [c for c in self.components if isinstance(c, TemplateButtonOut)]

    @property
    def header_text(self) -> list[str] | dict[str, str] | None:
        header = self.header
        return header.text if header is not None else None

    @property
    def body_parameters(self) -> list[str] | dict[str, str] | None:
        body = self.body
        return body.parameters if body is not None else None


# ---- What a template expects (for forms; computed by whatsapp.template_params) ----------------


class ExpectedParameters(WireModel):
    """What one component of a stored template needs at send time.

    ``names`` are the placeholders to fill, in order: ``["1", "2"]`` for a positional template,
    ``["first_name", "order_id"]`` for a named one; media and location headers have none (their
    one parameter is the medium or place). ``examples`` are the sample values Meta approved with
    the template, aligned with ``names`` when the template has them. ``supported`` is false for
    parameters this protocol cannot send yet (e.g. copy-code buttons): such a template cannot be
    sent from PyTake.
    """

    component: Literal["header", "body", "button"]
    kind: Literal["text", "image", "video", "document", "location", "payload", "coupon_code"]
    parameter_format: Literal["positional", "named"] = "positional"
    names: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)
    required: bool = True
    index: int | None = None
    sub_type: Literal["quick_reply", "url", "copy_code"] | None = None
    text: str | None = None
    supported: bool = True
