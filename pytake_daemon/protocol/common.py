"""Shapes shared by every endpoint."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

# What counts as blank differs between regex engines: Python's ``\s`` also matches U+001C to U+001F
# and U+0085, ECMAScript's (which API clients and schemathesis read our patterns with) matches
# U+FEFF, pydantic's Rust engine neither. Patterns published in the OpenAPI document spell the
# blanks and controls out so that every engine refuses the same strings.
_BLANK = r"\s\x00-\x1f\x7f-\x9f\ufeff"
EMAIL_PATTERN = rf"^[^@{_BLANK}]+@[^@{_BLANK}]+$"
"""An address with one ``@`` and no blank or control character (delivery proves the rest)."""
NO_BLANK_PATTERN = rf"^[^{_BLANK}]+$"
"""One or more characters, none of them blank or a control character."""
NO_NUL_PATTERN = r"^[^\x00]*$"
"""Any text PostgreSQL can store: no NUL (the API's 400 for one said so only after parsing)."""
TAG_PATTERN = rf"^[^,\x00]*[^,{_BLANK}][^,\x00]*$"
"""A tag: no comma or NUL, and one character at least that no engine calls blank or control
(Python's ``str.split`` also splits on U+001C-U+001F and U+0085, which ECMAScript doesn't)."""
HTTP_URL_PATTERN = rf"^https?://[^{_BLANK}]+$"
HTTPS_URL_PATTERN = rf"^https://[^{_BLANK}]+$"


class WireModel(BaseModel):
    """Base for every wire model: unknown fields are refused so typos fail loudly."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ProblemField(WireModel):
    """One invalid field of a request body (RFC 9457 extension member)."""

    loc: str
    msg: str
    type: str


class Problem(WireModel):
    """An RFC 9457 problem document: every error the API returns has this shape."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[ProblemField] | None = None
