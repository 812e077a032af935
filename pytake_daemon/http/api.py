"""A typed route table: each endpoint declares its body, query, response model and minimum role.

The same declaration validates requests, enforces RBAC and generates ``/api/v1/openapi.json``, so
the documentation can't drift from what the server accepts.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
from aiohttp import web
from pydantic import BaseModel, ValidationError

from pytake_daemon.auth.identity import IDENTITY, Identity
from pytake_daemon.auth.scopes import lacks, scope_for
from pytake_daemon.errors import BadRequest, Forbidden, NotFound, Unauthorized, UnprocessableEntity
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
    """What an API token needs on top of the role (``auth/scopes.py``); ``None``: any token."""
    tags: tuple[str, ...] = ()
    errors: tuple[int, ...] = ()
    operation_id: str | None = None
    media_types: tuple[str, ...] = ()
    """Media types of a non-JSON answer the handler streams itself (a download, an export)."""
    also_ok: tuple[int, ...] = ()
    """Other success statuses answered with the same body (e.g. 200 for an idempotent replay)."""

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
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _unprocessable(exc) from None


def _read_query(request: web.Request, model: type[M]) -> M:
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        raise _unprocessable(exc, prefix="query") from None


def _unprocessable(exc: ValidationError, *, prefix: str = "body") -> UnprocessableEntity:
    fields = [
        ProblemField(
            loc=".".join([prefix, *(str(p) for p in err["loc"])]), msg=err["msg"], type=err["type"]
        )
        for err in exc.errors(include_url=False, include_input=False)
    ]
    return UnprocessableEntity(f"{len(fields)} invalid field(s)", errors=fields)


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
