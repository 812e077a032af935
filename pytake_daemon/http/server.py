"""What aiohttp answers itself, before any middleware: a request its parser refuses (a request
line or a header past the limits below, bytes that are not HTTP) or an error that escaped the
app. aiohttp writes those as ``text/plain``; here they leave as problem documents like every
other failure (``http/middlewares.py``), with a status the OpenAPI document lists for every
operation (414 and 431, ``http/openapi.py``).

The limits are the parser's (``handler_args`` of the application, so every runner has them);
the problem documents need :class:`ProblemAppRunner`, which the daemon serves with.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError, LineTooLong
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from pytake_daemon.http.middlewares import problem_response

MAX_URL_BYTES = 32 * 1024
"""The longest request target (path and query) the parser takes; a longer one is answered 414.
Four times aiohttp's default: a search or a filter list of a few kilobytes is a request the
API's schemas allow (the fuzzer sends ~10 KB ones), and what reaches the handlers is checked
there. nginx in front refuses earlier (8 KiB by default; docs/nginx-pytake.conf)."""
MAX_HEADER_BYTES = 8 * 1024
"""The longest header (name and value) the parser takes; a longer one is answered 431. Must
differ from :data:`MAX_URL_BYTES`: the parser's error names only the limit it went past."""

SERVER_LIMITS: dict[str, Any] = {
    "max_line_size": MAX_URL_BYTES,
    "max_field_size": MAX_HEADER_BYTES,
}
"""``web.Application(handler_args=...)``: the parser's limits for whatever runner serves it."""


def refusal_status(status: int, exc: BaseException | None, url_limit: int) -> int:
    """The status to answer: 414/431 for a line past its limit rather than aiohttp's 400."""
    if isinstance(exc, LineTooLong):
        # args: (the line's start, the limit it went past, its size)
        return 414 if exc.args[1] == url_limit else 431
    return status


# RFC 9110's names (Python's phrase for 414 is the older "Request-URI Too Long").
_TITLES = {414: "URI Too Long", 431: "Request Header Fields Too Large"}
_DETAILS = {
    414: f"the request target (path and query) is longer than {MAX_URL_BYTES} bytes",
    431: f"a request header is longer than {MAX_HEADER_BYTES} bytes",
}


class ProblemRequestHandler(RequestHandler):
    """aiohttp's connection handler, answering its own errors with problem documents."""

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        # aiohttp's own first: it logs, and refuses to answer once a response has begun.
        super().handle_error(request, status, exc, message)
        status = refusal_status(status, exc, self.max_line_size)
        title = _TITLES.get(status) or HTTPStatus(status).phrase
        # The parser's message names the byte at fault (it quotes the line, so not for a limit's
        # refusal: the detail would echo 100 bytes of whatever was sent); a 500's stays in the log.
        detail = _DETAILS.get(status)
        if detail is None and isinstance(exc, HttpProcessingError) and message:
            detail = message
        response = problem_response(status, title, detail=detail)
        response.force_close()  # the request's bytes may not have been read to their end
        return response


class _ProblemServer(web.Server):
    """aiohttp's server with :class:`ProblemRequestHandler` as each connection's protocol."""

    def __call__(self) -> RequestHandler:
        return ProblemRequestHandler(self, loop=self._loop, **self._kwargs)


class ProblemAppRunner(web.AppRunner):
    """``web.AppRunner`` whose connections answer parser errors with problem documents."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        # The application builds a plain Server (Application._make_handler); only its protocol
        # factory differs here, so the same object serves, as the subclass.
        server.__class__ = _ProblemServer
        return server
