"""Request ids, request logging and the one place where errors become problem documents."""

from __future__ import annotations

import itertools
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
import redis.exceptions
import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from pytake_daemon.db.pool import Connection, tenant_transaction
from pytake_daemon.errors import ApiError, BadRequest, ServiceUnavailable
from pytake_daemon.http.identity import IDENTITY
from pytake_daemon.http.validation_words import InvalidFields
from pytake_daemon.i18n import _, translate
from pytake_daemon.keys import DB_POOL
from pytake_daemon.protocol import Problem, ProblemField
from pytake_i18n import DEFAULT_LANGUAGE, N_, negotiate, normalize, use_language

ReaderLookup = Callable[[Connection, uuid.UUID], Awaitable[asyncpg.Record | None]]
"""The caller's row with ``language`` and ``tenant_language`` (``users.db.me``)."""

# The users' table belongs to the users domain, which sits above this layer (its routes use
# the route table here), so the app hands the lookup in instead of this module importing it.
READER_LOOKUP: web.AppKey[ReaderLookup] = web.AppKey("reader_lookup")

log = structlog.get_logger("pytake.http")

REQUEST_ID = web.RequestKey("request_id", str)
_HEADER = "X-Request-Id"
# A request id is this process's random prefix and a counter (32 hex digits, as a UUID's hex
# was): unique across processes and restarts without a uuid4's urandom call per request.
_ID_PREFIX = secrets.token_hex(8)
_ID_COUNTER = itertools.count()
# The language the caller asked for (Accept-Language), or None: then the tenant's default decides
# once the caller is known, which only matters when a sentence is shown (a problem document).
ASKED_LANGUAGE = web.RequestKey("asked_language", str)

# What "the database or Redis is unreachable" looks like from asyncpg and redis-py.
# Behind PgBouncer too: its own refusals are class 08 (a new client while server logins fail is
# refused with 08P01, asyncpg's ProtocolViolationError, raised by the pool's reconnect), and a
# server connection lost mid-transaction reaches the client as an error asyncpg wasn't waiting
# for, leaving the connection's protocol mid-operation ("cannot switch to state 12; another
# operation (2) is in progress", an InternalClientError on its next query). Both were a 500 to
# Meta's webhook in tests/replicas' PostgreSQL restart under load, instead of the 503.
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    TimeoutError,
)


# aiohttp's own refusals carry its reason phrase as the title: these are the ones a caller meets.
HTTP_REASONS = (
    N_("Bad Request"),
    N_("Not Found"),
    N_("Method Not Allowed"),
    N_("Request Entity Too Large"),
    N_("Unsupported Media Type"),
    N_("Length Required"),
)

_UNSTORABLE_TEXT: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.CharacterNotInRepertoireError,
    asyncpg.exceptions.UntranslatableCharacterError,
)


def problem_response(
    status: int,
    title: str,
    *,
    detail: str | None = None,
    request: web.Request | None = None,
    errors: list[ProblemField] | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    problem = Problem(
        title=title,
        status=status,
        detail=detail,
        instance=request.path if request is not None else None,
        request_id=request.get(REQUEST_ID) if request is not None else None,
        errors=errors,
    )
    return web.Response(
        body=problem.model_dump_json(exclude_none=True),
        status=status,
        content_type="application/problem+json",
        headers=headers,
    )


@web.middleware
async def request_context_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give each request an id (the caller's, if sane) and log one line when it ends."""
    incoming = request.headers.get(_HEADER, "")
    request_id = incoming if 8 <= len(incoming) <= 64 and incoming.isprintable() else None
    request_id = request_id or f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"
    request[REQUEST_ID] = request_id
    started = time.perf_counter()
    structlog.contextvars.bind_contextvars(request_id=request_id)
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers[_HEADER] = request_id
        return response
    finally:
        log.info(
            "request",
            method=request.method,
            path=request.path,
            status=status,
            ms=round((time.perf_counter() - started) * 1000, 2),
        )
        structlog.contextvars.unbind_contextvars("request_id")


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure leaves as ``application/problem+json``, in the caller's language;
    tracebacks stay in the log.

    Handlers run in the language Accept-Language asks for (English without one), so what they
    word themselves (a Meta error's explanation) follows it too."""
    asked = request.headers.get("Accept-Language")
    if asked:
        request[ASKED_LANGUAGE] = negotiate(asked, DEFAULT_LANGUAGE)
    try:
        with use_language(request.get(ASKED_LANGUAGE, DEFAULT_LANGUAGE)):
            return await handler(request)
    except ApiError as exc:
        return await _render(exc, request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {k: v for k, v in exc.headers.items() if k.lower() in {"allow", "retry-after"}}
        detail = _http_detail(exc)
        if isinstance(exc, web.HTTPMethodNotAllowed):
            allowed = ", ".join(sorted(documented_methods(request.app, request.path)))
            headers["Allow"] = allowed
            detail = _("allowed: {allowed}", allowed=allowed)
        language = await _reader_language(request)
        return problem_response(
            exc.status,
            translate(exc.reason, language) or exc.reason,
            detail=translate(detail, language),
            request=request,
            headers=headers,
        )
    except _UNSTORABLE_TEXT:
        # PostgreSQL text can't hold NUL (or bytes invalid in UTF-8): the input is at fault.
        return await _render(BadRequest(_("text may not contain NUL characters")), request)
    except _UNAVAILABLE as exc:
        log.warning("dependency unavailable", error=f"{type(exc).__name__}: {exc}")
        # No database to read the tenant's language from: the caller's, else English.
        return _render_in(
            ServiceUnavailable(_("a backing service is unavailable; retry shortly")),
            request,
            request.get(ASKED_LANGUAGE, DEFAULT_LANGUAGE),
        )
    except Exception:
        log.exception("unhandled error")
        language = request.get(ASKED_LANGUAGE, DEFAULT_LANGUAGE)
        return problem_response(
            500, translate(N_("Internal Server Error"), language) or "", request=request
        )


async def _reader_language(request: web.Request) -> str:
    """Accept-Language's choice, else the caller's profile language, else their tenant's
    default, else English."""
    asked: str | None = request.get(ASKED_LANGUAGE)
    if asked is not None:
        return asked
    identity = request.get(IDENTITY)
    if identity is None:
        return DEFAULT_LANGUAGE
    try:
        async with tenant_transaction(request.app[DB_POOL], identity.tenant_id) as conn:
            me = await request.app[READER_LOOKUP](conn, identity.user_id)
    except Exception:  # an error's language must never hide the error itself
        log.warning("reader's language unavailable", exc_info=True)
        return DEFAULT_LANGUAGE
    if me is None:
        return DEFAULT_LANGUAGE
    return normalize(me["language"]) or normalize(me["tenant_language"]) or DEFAULT_LANGUAGE


# Refusals that shed load: reading the caller's language from the database for each would add
# the very load they refuse, so they are said in Accept-Language's choice, else English.
_SHEDDING = frozenset({429, 503})


async def _render(exc: ApiError, request: web.Request) -> web.Response:
    if exc.status in _SHEDDING:
        return _render_in(exc, request, request.get(ASKED_LANGUAGE, DEFAULT_LANGUAGE))
    return _render_in(exc, request, await _reader_language(request))


def _render_in(exc: ApiError, request: web.Request, language: str) -> web.Response:
    return problem_response(
        exc.status,
        translate(exc.title, language) or exc.title,
        detail=translate(exc.detail, language),
        request=request,
        errors=_worded_fields(exc, language),
        headers=exc.headers,
    )


def _worded_fields(exc: ApiError, language: str) -> list[ProblemField] | None:
    """The invalid fields in the reader's language: pydantic's worded from its error, ours
    (marked sentences) looked up in the catalog."""
    if isinstance(exc, InvalidFields):
        return exc.worded(language)
    if exc.errors is None:
        return None
    return [f.model_copy(update={"msg": translate(f.msg, language) or f.msg}) for f in exc.errors]


def _http_detail(exc: web.HTTPException) -> str | None:
    if isinstance(exc, web.HTTPNotFound):
        return _("no such endpoint")
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        return _("request body too large")
    return None


def documented_methods(app: web.Application, path: str) -> set[str]:
    """The methods of the route the OpenAPI document gives ``path``: where a fixed path and a
    template both match (``/flows/validate`` and ``/flows/{id}``) the fixed one is meant, so a
    405 there must not advertise the template's methods."""
    best: tuple[int, int] | None = None
    methods: set[str] = set()
    for resource in app.router.resources():
        info = resource.get_info()
        if "path" in info:
            matched, rank = info["path"] == path, (0, -len(info["path"]))
        elif "pattern" in info:
            formatter: str = info["formatter"]
            matched = info["pattern"].fullmatch(path) is not None
            rank = (formatter.count("{"), -len(formatter))
        else:
            continue
        if not matched:
            continue
        own = {route.method for route in resource if route.method != "*"}
        if best is None or rank < best:
            best, methods = rank, own
        elif rank == best:
            methods |= own
    return methods
