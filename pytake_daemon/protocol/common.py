"""Shapes shared by every endpoint."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


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
