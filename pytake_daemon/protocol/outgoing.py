"""What an agent or an API client asks the daemon to send to a customer on WhatsApp.

These are our shapes, not Meta's: ``pytake_daemon.whatsapp.graph_models.to_graph`` turns them into
Graph API bodies. The limits are WhatsApp's, checked here so a send Meta would refuse is refused
with a 422 naming the field before it ever reaches the outbox. Where Meta's documentation and
its OpenAPI contract disagree on a limit, the stricter one is used (e.g. interactive bodies are
limited to 1,024 characters, which the contract states for every interactive type).
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    model_validator,
)

from pytake_daemon.protocol.common import WireModel

# ---- Shared field types --------------------------------------------------------------------------


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("must be an https:// URL")
    if any(ch.isspace() for ch in value):
        raise ValueError("must not contain whitespace")
    return value


def _template_text(value: str) -> str:
    # Meta refuses such parameters only at send time, long after the message was queued.
    if "\n" in value or "\r" in value or "\t" in value:
        raise ValueError("template parameters cannot contain line breaks or tabs")
    if "     " in value:
        raise ValueError("template parameters cannot contain more than 4 consecutive spaces")
    return _not_blank(value)


HttpsUrl = Annotated[
    str,
    StringConstraints(max_length=2048),
    AfterValidator(_https_url),
    Field(json_schema_extra={"format": "uri"}),
]
# Meta's object ids (media, templates…) are opaque strings of digits; letters, '-' and '_' are
# allowed so a simulator may use readable ids. Nothing that could change a URL path gets in.
GraphId = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[0-9A-Za-z_-]+$")
]
# A wamid is opaque: only its length and the absence of whitespace are checked.
Wamid = Annotated[str, StringConstraints(min_length=1, max_length=512, pattern=r"^\S+$")]
# A message of ours (UUID) or a WhatsApp message id; a string that parses as a UUID is ours.
MessageRef = Annotated[uuid.UUID | Wamid, Field(union_mode="left_to_right")]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


class _MediaSource(WireModel):
    """Media is either already uploaded to Meta (``media_id``) or fetched by Meta from ``link``."""

    media_id: GraphId | None = None
    link: HttpsUrl | None = None

    @model_validator(mode="after")
    def _exactly_one_source(self) -> _MediaSource:
        if (self.media_id is None) == (self.link is None):
            raise ValueError("give exactly one of media_id or link")
        return self


# ---- Free-form messages (inside the 24-hour window) ---------------------------------------------


class TextOut(WireModel):
    type: Literal["text"] = "text"
    body: Annotated[
        str, StringConstraints(min_length=1, max_length=4096), AfterValidator(_not_blank)
    ]
    preview_url: bool = False


Caption = Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class ImageOut(_MediaSource):
    type: Literal["image"] = "image"
    caption: Caption | None = None


class VideoOut(_MediaSource):
    type: Literal["video"] = "video"
    caption: Caption | None = None


class AudioOut(_MediaSource):
    """Voice notes must be ``audio/ogg; codecs=opus``; Meta refuses other types with 131053."""

    type: Literal["audio"] = "audio"


class DocumentOut(_MediaSource):
    type: Literal["document"] = "document"
    caption: Caption | None = None
    filename: (
        Annotated[str, StringConstraints(min_length=1, max_length=240), AfterValidator(_not_blank)]
        | None
    ) = None


class StickerOut(_MediaSource):
    type: Literal["sticker"] = "sticker"


class LocationOut(WireModel):
    type: Literal["location"] = "location"
    latitude: Latitude
    longitude: Longitude
    name: Annotated[str, StringConstraints(min_length=1, max_length=1000)] | None = None
    address: Annotated[str, StringConstraints(min_length=1, max_length=1000)] | None = None


def _emoji(value: str) -> str:
    if value == "":
        return value
    if any(ch.isspace() for ch in value) or value.isascii():
        raise ValueError("must be a single emoji, or empty to remove the reaction")
    return value


class ReactionOut(WireModel):
    """React to a message; an empty ``emoji`` removes the reaction sent earlier."""

    type: Literal["reaction"] = "reaction"
    message_id: MessageRef
    # Emoji sequences (skin tones, families, flags) take several code points.
    emoji: Annotated[str, StringConstraints(max_length=32), AfterValidator(_emoji)]


# ---- Interactive messages -----------------------------------------------------------------------

InteractiveBody = Annotated[
    str, StringConstraints(min_length=1, max_length=1024), AfterValidator(_not_blank)
]
HeaderText = Annotated[
    str, StringConstraints(min_length=1, max_length=60), AfterValidator(_not_blank)
]
FooterText = Annotated[
    str, StringConstraints(min_length=1, max_length=60), AfterValidator(_not_blank)
]


class ReplyButton(WireModel):
    id: Annotated[str, StringConstraints(min_length=1, max_length=256), AfterValidator(_not_blank)]
    title: Annotated[
        str, StringConstraints(min_length=1, max_length=20), AfterValidator(_not_blank)
    ]


class ButtonsOut(WireModel):
    """Up to three reply buttons; the customer's tap comes back as a ``button_reply``."""

    type: Literal["buttons"] = "buttons"
    body: InteractiveBody
    buttons: list[ReplyButton] = Field(min_length=1, max_length=3)
    header: HeaderText | None = None
    footer: FooterText | None = None

    @model_validator(mode="after")
    def _unique(self) -> ButtonsOut:
        _refuse_duplicates("button titles", [b.title for b in self.buttons])
        _refuse_duplicates("button ids", [b.id for b in self.buttons])
        return self


class ListRow(WireModel):
    id: Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_not_blank)]
    title: Annotated[
        str, StringConstraints(min_length=1, max_length=24), AfterValidator(_not_blank)
    ]
    description: Annotated[str, StringConstraints(min_length=1, max_length=72)] | None = None


class ListSection(WireModel):
    title: (
        Annotated[str, StringConstraints(min_length=1, max_length=24), AfterValidator(_not_blank)]
        | None
    ) = None
    # The limit of 10 rows is on the whole list, checked there.
    rows: list[ListRow] = Field(min_length=1)


MAX_LIST_ROWS = 10


class ListOut(WireModel):
    """A menu opened by a button; the customer's choice comes back as a ``list_reply``."""

    type: Literal["list"] = "list"
    body: InteractiveBody
    button: Annotated[
        str, StringConstraints(min_length=1, max_length=20), AfterValidator(_not_blank)
    ]
    sections: list[ListSection] = Field(min_length=1, max_length=10)
    header: HeaderText | None = None
    footer: FooterText | None = None

    @model_validator(mode="after")
    def _rows(self) -> ListOut:
        rows = [row for section in self.sections for row in section.rows]
        if len(rows) > MAX_LIST_ROWS:
            raise ValueError(
                f"a list may have at most {MAX_LIST_ROWS} rows in all sections together, "
                f"got {len(rows)}"
            )
        _refuse_duplicates("row ids", [row.id for row in rows])
        if len(self.sections) > 1 and any(s.title is None for s in self.sections):
            raise ValueError("every section needs a title when the list has several sections")
        return self


def _refuse_duplicates(what: str, values: list[str]) -> None:
    repeated = sorted(value for value, n in Counter(values).items() if n > 1)
    if repeated:
        raise ValueError(f"{what} must be unique; repeated: {', '.join(repeated)}")


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


class TemplateMedia(_MediaSource):
    """An image, video or document for a template's media header."""

    filename: (
        Annotated[str, StringConstraints(min_length=1, max_length=240), AfterValidator(_not_blank)]
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
            raise ValueError(f"give exactly one of {', '.join(_HEADER_KINDS)}")
        if self.text is not None and len(self.text) != 1:
            raise ValueError(
                f"a template header has at most one variable: give one text value, "
                f"not {len(self.text)}"
            )
        if self.filename_misplaced:
            raise ValueError("filename is only allowed for a document header")
        return self

    @property
    def kind(self) -> Literal["text", "image", "video", "document", "location"]:
        for kind in _HEADER_KINDS:
            if getattr(self, kind) is not None:
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
            raise ValueError("a quick_reply button takes a payload (and no text)")
        if self.sub_type == "url" and (self.text is None or self.payload is not None):
            raise ValueError("a url button takes text, the URL's variable part (and no payload)")
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
            raise ValueError("a template has at most one header component")
        if len(bodies) > 1:
            raise ValueError("a template has at most one body component")
        _refuse_duplicates("button indexes", [str(b.index) for b in self.buttons])
        styles = {type(t) for t in (self.header_text, self.body_parameters) if t is not None}
        if len(styles) > 1:
            raise ValueError(
                "use either lists (positional {{1}}) or objects (named {{name}}) for every "
                "parameter of a template, not both"
            )
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


# ---- The union and the request ---------------------------------------------------------------

OutgoingContent = Annotated[
    TextOut
    | ImageOut
    | VideoOut
    | AudioOut
    | DocumentOut
    | StickerOut
    | TemplateOut
    | ButtonsOut
    | ListOut
    | LocationOut
    | ReactionOut,
    Field(discriminator="type"),
]

MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")


class SendMessageRequest(WireModel):
    """Send one message in a conversation.

    ``reply_to`` quotes an earlier message (ours by UUID, or a WhatsApp id). A reaction names its
    message in ``content.message_id`` and takes no ``reply_to``. ``idempotency_key`` makes a
    retried request return the first one's message instead of sending twice.
    """

    content: OutgoingContent
    reply_to: MessageRef | None = None
    idempotency_key: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None

    @model_validator(mode="after")
    def _reaction_has_no_reply(self) -> SendMessageRequest:
        if isinstance(self.content, ReactionOut) and self.reply_to is not None:
            raise ValueError("a reaction names its message in content.message_id; omit reply_to")
        return self

    @property
    def referenced_message(self) -> uuid.UUID | str | None:
        """The message whose wamid ``to_graph`` needs: the quoted one, or the one reacted to."""
        if isinstance(self.content, ReactionOut):
            return self.content.message_id
        return self.reply_to


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
