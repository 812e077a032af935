"""Field types shared by the outgoing message models (``outgoing``, ``outgoing_templates``)."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from pytake_daemon.protocol.checks import refusal
from pytake_daemon.protocol.common import NO_BLANK_PATTERN, WireModel

# ---- Shared field types --------------------------------------------------------------------------


def not_blank(value: str) -> str:
    if not value.strip():
        raise refusal("outgoing_fields_must_not_be_blank")
    return value


def _https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise refusal("outgoing_fields_must_be_an_https")
    if any(ch.isspace() for ch in value):
        raise refusal("outgoing_fields_must_not_contain_whitespace")
    return value


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
Wamid = Annotated[str, StringConstraints(min_length=1, max_length=512, pattern=NO_BLANK_PATTERN)]
# A message of ours (UUID) or a WhatsApp message id; a string that parses as a UUID is ours.
MessageRef = Annotated[uuid.UUID | Wamid, Field(union_mode="left_to_right")]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


class MediaSource(WireModel):
    """Media is either already uploaded to Meta (``media_id``) or fetched by Meta from ``link``."""

    media_id: GraphId | None = None
    link: HttpsUrl | None = None

    @model_validator(mode="after")
    def _exactly_one_source(self) -> MediaSource:
        if (self.media_id is None) == (self.link is None):
            raise refusal("outgoing_fields_give_exactly_one_of")
        return self


def refuse_duplicates(what: str, values: list[str]) -> None:
    repeated = sorted(value for value, n in Counter(values).items() if n > 1)
    if repeated:
        raise refusal(
            "outgoing_fields_must_be_unique_repeated",
            what=what,
            repeated=", ".join(repeated),
        )
