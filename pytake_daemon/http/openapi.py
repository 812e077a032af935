"""``GET /api/v1/openapi.json``, generated from the same route table that validates requests."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from pytake_daemon import __version__
from pytake_daemon.auth.scopes import BEARER_SCHEME, operation_scope
from pytake_daemon.http.api import Endpoint
from pytake_daemon.protocol import Problem

_REF = "#/components/schemas/{model}"
_STATUS_TEXT = {
    400: "Malformed request",
    401: "Missing, expired or revoked token",
    403: "The caller's role is not enough",
    404: "Not found (also for other tenants' ids)",
    409: "Conflict with existing data",
    422: "The body failed validation",
    429: "Throttled; see Retry-After",
    503: "A backing service is unavailable; see Retry-After",
}


def build_openapi(endpoints: list[Endpoint]) -> dict[str, Any]:
    models: set[type[BaseModel]] = {Problem}
    for ep in endpoints:
        models.update(m for m in (ep.body, ep.response, ep.query) if m is not None)
    ordered = sorted(models, key=lambda m: m.__name__)
    keyed, schema = models_json_schema([(m, "validation") for m in ordered], ref_template=_REF)
    refs = {model: keyed[(model, "validation")] for model in ordered}
    paths: dict[str, dict[str, Any]] = {}
    for ep in endpoints:
        op: dict[str, Any] = {
            "summary": ep.summary,
            "operationId": ep.name,
            "tags": list(ep.tags),
            "responses": _responses(ep, refs),
        }
        if ep.role is not None:
            op.update(operation_scope(ep.role, ep.scope))
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in ep.path_params
        ]
        if ep.query is not None:
            for name, field in ep.query.model_fields.items():
                params.append(
                    {
                        "name": name,
                        "in": "query",
                        "required": field.is_required(),
                        "description": field.description or "",
                        "schema": {},
                    }
                )
        if params:
            op["parameters"] = params
        if ep.body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[ep.body]}},
            }
        paths.setdefault(ep.path, {})[ep.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "PyTake API", "version": __version__},
        "paths": paths,
        "components": {
            "schemas": schema.get("$defs", {}),
            "securitySchemes": {"bearer": BEARER_SCHEME},
        },
    }


def _responses(ep: Endpoint, refs: dict[type[BaseModel], Any]) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": "OK"}
    if ep.response is not None:
        ok["content"] = {"application/json": {"schema": refs[ep.response]}}
    elif ep.media_types:
        ok["content"] = {media: {"schema": _media_schema(media)} for media in ep.media_types}
    answers = ep.response is not None or bool(ep.media_types)
    responses: dict[str, Any] = {str(ep.status if answers else 204): ok}
    for code in ep.also_ok:
        responses[str(code)] = ok
    codes = set(ep.errors) | {503}
    if ep.body is not None or ep.query is not None:
        codes |= {400, 422}
    if ep.role is not None:
        codes |= {401, 403, 429}  # 429: an API token past its rate limit
    problem = {"application/problem+json": {"schema": refs[Problem]}}
    for code in sorted(codes):
        responses[str(code)] = {"description": _STATUS_TEXT.get(code, ""), "content": problem}
    return responses


def _media_schema(media: str) -> dict[str, Any]:
    # A YAML answer is a document, not a string: a client (Schemathesis too) reads it into its
    # structure, so "any value" is what its schema can truthfully say here.
    return {} if media.endswith("yaml") else {"type": "string"}
