"""``GET /api/v1/openapi.json``, generated from the same route table that validates requests."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from pytake_daemon import __version__
from pytake_daemon.http.api import Endpoint
from pytake_daemon.http.scopes import BEARER_SCHEME, operation_scope
from pytake_daemon.protocol import Problem

_REF = "#/components/schemas/{model}"
_STATUS_TEXT = {
    400: "Malformed request",
    401: "Missing, expired or revoked token",
    403: "The caller's role is not enough",
    404: "Not found (also for other tenants' ids)",
    409: "Conflict with existing data",
    413: "The body is larger than this endpoint takes",
    414: "The request target (path and query) is longer than the server takes",
    422: "The body failed validation",
    429: "Throttled; see Retry-After",
    431: "A request header is longer than the server takes",
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
            properties = _definition(schema, refs[ep.query])["properties"]
            for name, field in ep.query.model_fields.items():
                params.append(
                    {
                        "name": name,
                        "in": "query",
                        "required": field.is_required(),
                        "description": field.description or "",
                        "schema": _query_schema(properties[name]),
                    }
                )
        if params:
            op["parameters"] = params
        if ep.body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[ep.body]}},
            }
        elif ep.upload is not None:
            op["requestBody"] = {"required": True, "content": _multipart(ep.upload)}
        paths.setdefault(ep.path, {})[ep.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "PyTake API", "version": __version__},
        "paths": paths,
        "components": {
            "schemas": _tags_required(_without_tuples(schema.get("$defs", {}))),
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
    if ep.body is not None or ep.upload is not None:
        codes |= {400, 413}  # malformed, or past the size limit
    # A presented token is checked on every route, open ones included (auth/middleware.py):
    # 401 for a bad one, 429 for an API token past its rate limit.
    codes |= {401, 429}
    # The HTTP parser's refusals, before any route is known (http/server.py): any operation.
    codes |= {414, 431}
    if ep.role is not None:
        codes |= {403}
    problem = {"application/problem+json": {"schema": refs[Problem]}}
    for code in sorted(codes - set(ep.also_ok)):
        responses[str(code)] = {"description": _STATUS_TEXT.get(code, ""), "content": problem}
    return responses


def _media_schema(media: str) -> dict[str, Any]:
    # A YAML answer is a document, not a string: a client (Schemathesis too) reads it into its
    # structure, so "any value" is what its schema can truthfully say here.
    return {} if media.endswith("yaml") else {"type": "string"}


def _definition(schema: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    definition: dict[str, Any] = schema["$defs"][ref["$ref"].rsplit("/", 1)[1]]
    return definition


def _query_schema(prop: dict[str, Any]) -> dict[str, Any]:
    """A query model field's JSON Schema as a parameter's: a query string has no null (an
    optional parameter is simply left out), and title and default say nothing more here."""
    out = {k: v for k, v in prop.items() if k not in {"title", "default", "description"}}
    branches = [b for b in out.pop("anyOf", []) if b != {"type": "null"}]
    if len(branches) == 1:
        out.update(branches[0])
    elif branches:
        out["anyOf"] = branches
    return out


def _multipart(field: str) -> dict[str, Any]:
    return {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": [field],
                "properties": {field: {"type": "string", "format": "binary"}},
            }
        }
    }


def _without_tuples(value: Any) -> Any:
    """``prefixItems`` whose items all share one schema (pydantic's ``tuple[str, str]``) as plain
    ``items``: the same constraint with ``minItems``/``maxItems``, and one that tools still
    reading OpenAPI 3.0 (Schemathesis's response validation among them) don't reject."""
    if isinstance(value, list):
        return [_without_tuples(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _without_tuples(v) for k, v in value.items()}
    prefix = out.get("prefixItems")
    if prefix and all(item == prefix[0] for item in prefix) and "items" not in out:
        del out["prefixItems"]
        out["items"] = prefix[0]
    return out


def _tags_required(schemas: dict[str, Any]) -> dict[str, Any]:
    """A discriminated union's tag (``"type": "ask"``) is required in its every variant: pydantic
    can't pick a variant without it, though the variant's own schema gives it a default."""
    tags: dict[str, str] = {}

    def collect(value: Any) -> None:
        if isinstance(value, dict):
            discriminator = value.get("discriminator")
            if isinstance(discriminator, dict):
                for ref in discriminator.get("mapping", {}).values():
                    tags[ref.rsplit("/", 1)[1]] = discriminator["propertyName"]
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    collect(schemas)
    for name, tag in tags.items():
        variant = schemas.get(name)
        if variant is not None and tag not in variant.get("required", []):
            variant["required"] = [*variant.get("required", []), tag]
    return schemas
