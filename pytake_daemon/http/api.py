"""A typed route table: each endpoint declares its body, query, response model and minimum role.

The same declaration validates requests, enforces RBAC and generates ``/api/v1/openapi.json``, so
the documentation can't drift from what the server accepts.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar, get_args, get_origin

import orjson
from aiohttp import web
from pydantic import BaseModel, ValidationError

from pytake_daemon.errors import BadRequest, Forbidden, NotFound, Unauthorized, UnprocessableEntity
from pytake_daemon.http.identity import IDENTITY, Identity
from pytake_daemon.http.scopes import lacks, scope_for
from pytake_daemon.http.validation_words import InvalidFields
from pytake_daemon.i18n import _
from pytake_daemon.protocol import ProblemField, Role
from pytake_daemon.protocol.auth import Scope

Handler = Callable[..., Awaitable[BaseModel | web.StreamResponse | None]]

M = TypeVar("M", bound=BaseModel)

_PATH_PARAM = re.compile(r"{(\w+)}")


@dataclass(frozen=True)
class Endpoint:
    """One route's contract."""

    method: str
    path: str
    handler: Handler
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    role: Role | None = Role.AGENT
    """Least role allowed; ``None`` means no authentication at all."""
    scope: Scope | None = None
    """What an API token needs on top of the role (``http/scopes.py``); ``None``: any token."""
    tags: tuple[str, ...] = ()
    errors: tuple[int, ...] = ()
    operation_id: str | None = None
    media_types: tuple[str, ...] = ()
    """Media types of a non-JSON answer the handler streams itself (a download, an export)."""
    also_ok: tuple[int, ...] = ()
    """Other statuses answered with the same body (200 for an idempotent replay, 503 for a
    ``/readyz`` that is not ready)."""
    upload: str | None = None
    """The multipart/form-data field of a file the handler reads itself."""

    @property
    def name(self) -> str:
        """The OpenAPI operationId: the handler's name unless one handler serves two paths."""
        return self.operation_id or self.handler.__name__

    @property
    def path_params(self) -> list[str]:
        return _PATH_PARAM.findall(self.path)


@dataclass
class RouteTable:
    """Collects a domain's endpoints; ``app.py`` adds every table to the application."""

    tag: str
    endpoints: list[Endpoint] = field(default_factory=list)

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        role: Role | None = Role.AGENT,
        errors: tuple[int, ...] = (),
        operation_id: str | None = None,
        media_types: tuple[str, ...] = (),
        also_ok: tuple[int, ...] = (),
        upload: str | None = None,
        scope: Scope | None = None,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.endpoints.append(
                Endpoint(
                    method=method,
                    path=path,
                    handler=handler,
                    summary=summary,
                    body=body,
                    query=query,
                    response=response,
                    status=status,
                    role=role,
                    scope=scope or scope_for(method, path, self.tag, role),
                    tags=(self.tag,),
                    errors=errors,
                    operation_id=operation_id,
                    media_types=media_types,
                    also_ok=also_ok,
                    upload=upload,
                )
            )
            return handler

        return register

    def get(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, **kwargs)

    def add_to(self, app: web.Application) -> None:
        for endpoint in self.endpoints:
            app.router.add_route(endpoint.method, endpoint.path, _wrap(endpoint))


def _wrap(endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        if endpoint.role is not None:
            caller = request.get(IDENTITY)
            if caller is None:
                raise Unauthorized("a bearer token is required")
            if not caller.role.at_least(endpoint.role):
                raise Forbidden(f"this needs the {endpoint.role.value} role or higher")
            if lacks(caller.scopes, endpoint.scope):
                raise Forbidden(f"this token lacks the {endpoint.scope} scope")
        kwargs: dict[str, Any] = {}
        if endpoint.body is not None:
            kwargs["body"] = await _read_body(request, endpoint.body)
        if endpoint.query is not None:
            kwargs["query"] = _read_query(request, endpoint.query)
        result = await endpoint.handler(request, **kwargs)
        if isinstance(result, web.StreamResponse):
            return result
        if result is None:
            return web.Response(status=204)
        return json_response(result, status=endpoint.status)

    handle.__name__ = endpoint.handler.__name__
    return handle


def json_response(model: BaseModel, *, status: int = 200) -> web.Response:
    """Serialise a wire model (pydantic's own JSON encoder, so types round-trip exactly)."""
    return web.Response(
        body=model.__pydantic_serializer__.to_json(model),
        status=status,
        content_type="application/json",
    )


async def _read_body(request: web.Request, model: type[M]) -> M:
    raw = await request.read()
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(
            f"malformed JSON at line {exc.lineno} column {exc.colno} (char {exc.pos}): {exc.msg}"
        ) from None
    if _has_integral_float(data):
        # JSON Schema counts 3.0 as an integer; strict validation would not.
        raw = orjson.dumps(_integral_floats_as_ints(data))
    try:
        # Strict, so the body means what the document says: 0 is not false, 0 is not a date,
        # 1 is not "1". JSON mode still reads ids, dates and enum values from strings.
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        raise unprocessable(exc) from None


_INT64 = 2**63
"""orjson writes integers up to 64 bits; a larger integral float stays a float (and fails as
an integer, as it should)."""


def _has_integral_float(value: Any) -> bool:
    if isinstance(value, float):
        return value.is_integer() and abs(value) < _INT64
    if isinstance(value, list):
        return any(_has_integral_float(v) for v in value)
    if isinstance(value, dict):
        return any(_has_integral_float(v) for v in value.values())
    return False


def _integral_floats_as_ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < _INT64:
        return int(value)
    if isinstance(value, list):
        return [_integral_floats_as_ints(v) for v in value]
    if isinstance(value, dict):
        return {k: _integral_floats_as_ints(v) for k, v in value.items()}
    return value


def _read_query(request: web.Request, model: type[M]) -> M:
    """Query parameters, lax (they are strings on the wire): each named once unless its field
    is a list; one given twice is refused rather than silently reduced to its first value."""
    values: dict[str, str | list[str]] = {}
    refused: list[ProblemField] = []
    for name in request.query:
        if name in values:
            continue
        given = request.query.getall(name)
        if _is_list(model, name):
            values[name] = given
        elif len(given) > 1:
            refused.append(
                ProblemField(loc=f"query.{name}", msg=_("given more than once"), type="repeated")
            )
        elif name in _temporal_fields(model) and _is_number(given[0]):
            # pydantic would read a number as a Unix time; the document says ISO 8601.
            refused.append(
                ProblemField(
                    loc=f"query.{name}", msg=_("expected an ISO 8601 date or time"), type="iso8601"
                )
            )
        else:
            values[name] = given[0]
    if refused:
        raise UnprocessableEntity(f"{len(refused)} invalid field(s)", errors=refused)
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise unprocessable(exc, prefix="query") from None


@functools.cache
def _temporal_fields(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(
        name
        for name, field in model.model_fields.items()
        if any(
            isinstance(t, type) and issubclass(t, date)
            for t in (field.annotation, *get_args(field.annotation))
        )
    )


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _is_list(model: type[BaseModel], name: str) -> bool:
    field = model.model_fields.get(name)
    return field is not None and get_origin(field.annotation) is list


def unprocessable(exc: ValidationError, *, prefix: str = "body") -> UnprocessableEntity:
    """A 422 naming each invalid field of a request (``body.x.y``, ``query.limit``), worded in
    the reader's language when rendered."""
    return InvalidFields(exc.errors(include_url=False, include_input=False), prefix)


def identity(request: web.Request) -> Identity:
    """The authenticated caller; the route table guarantees one on authenticated endpoints."""
    try:
        return request[IDENTITY]
    except KeyError:  # only reachable from a route declared role=None
        raise Unauthorized("a bearer token is required") from None


def path_uuid(request: web.Request, name: str = "id") -> uuid.UUID:
    """A UUID path parameter; anything else is simply not found (never a 500 or a 422)."""
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError:
        raise NotFound(f"no such {name}") from None
