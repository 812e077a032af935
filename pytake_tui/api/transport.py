"""The plumbing under every daemon call: the HTTP pool, the token, errors as :class:`DaemonError`.

Nothing here knows an endpoint. The endpoint groups beside this module (one per daemon domain)
call :meth:`Transport.send` and :func:`parse`, so a failure looks the same whichever call made
it: a one-line message fit for a toast.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ValidationError

from pytake_daemon.protocol import Problem, ProblemField
from pytake_i18n import get_language
from pytake_tui.i18n import _
from pytake_tui.validation_words import validation_sentence

DEFAULT_SERVER = "http://127.0.0.1:8420"
"""Where ``pytake daemon`` listens by default (``server.host`` and ``server.port``)."""

API_PREFIX = "/api/v1"
BACKUP_TIMEOUT = 900.0
"""Seconds to wait for a backup or a verify, which the daemon runs within the request."""

_ModelT = TypeVar("_ModelT", bound=BaseModel)


class DaemonError(Exception):
    """A request failed: a Problem from the daemon, or no answer at all (``status`` is None)."""

    def __init__(
        self,
        status: int | None,
        title: str,
        detail: str | None = None,
        *,
        retry_after: int | None = None,
        fields: tuple[ProblemField, ...] = (),
    ) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        self.retry_after = retry_after
        self.fields = fields
        """A 422's invalid fields (``body.timezone``: why), for a form to show by each field."""
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """One line for a toast or a status bar."""
        text = f"{self.title}: {self.detail}" if self.detail else self.title
        if self.retry_after is not None:
            text += " " + _("(try again in {seconds} s)").format(seconds=self.retry_after)
        return text

    @property
    def unauthorized(self) -> bool:
        """The token was missing, expired or revoked: the user must log in again."""
        return self.status == 401

    @classmethod
    def from_response(cls, response: httpx.Response) -> DaemonError:
        """Build from an error response, whose body should be a Problem document."""
        retry_after = _retry_after(response.headers.get("Retry-After"))
        try:
            problem = Problem.model_validate_json(response.content)
        except ValidationError:
            title = response.reason_phrase or f"HTTP {response.status_code}"
            return cls(response.status_code, title, retry_after=retry_after)
        detail = problem.detail
        invalid = tuple(problem.errors or ())
        if invalid:
            listed = "; ".join(f"{error.loc}: {error.msg}" for error in invalid)
            detail = f"{detail} ({listed})" if detail else listed
        return cls(problem.status, problem.title, detail, retry_after=retry_after, fields=invalid)

    @classmethod
    def invalid(cls, title: str, error: ValidationError) -> DaemonError:
        """A form the protocol refuses before anything is sent (``status`` None); ``title`` is
        a msgid (``N_``), said in the console's language."""
        return cls(None, _(title), summarize(error))


def _retry_after(value: str | None) -> int | None:
    # The daemon sends delta-seconds; an HTTP-date is possible by RFC 9110 but not used by us.
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


def summarize(error: ValidationError) -> str:
    """Every problem of a validation error, as ``field: why; field: why`` (as the daemon's
    refusal is listed in ``from_response``)."""
    said = []
    for problem in error.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in problem["loc"])
        why = validation_sentence(problem)
        said.append(f"{where}: {why}" if where else why)
    return "; ".join(said)


def normalize_server(url: str) -> str:
    """``host:port`` or ``http(s)://host[:port][/prefix]`` → URL without a trailing slash."""
    text = url.strip()
    if "://" not in text:
        text = f"http://{text}"
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {url!r}")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def websocket_url(server: str) -> str:
    """The event stream's URL: ws:// for http://, wss:// for https://."""
    parts = urlsplit(normalize_server(server))
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, f"{parts.path}{API_PREFIX}/ws", "", ""))


@dataclass(frozen=True, slots=True)
class MediaFile:
    """A downloaded medium; ``filename`` is the customer's, when the message had one."""

    content: bytes
    content_type: str
    filename: str | None


@cache
def _trusted(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    # httpx builds a context per client, loading every CA again (≈ 40 ms at each login and
    # resume); one per trust setting is enough. Same trust as httpx's own default:
    # SSL_CERT_FILE, else SSL_CERT_DIR, else certifi's bundle.
    return httpx.create_ssl_context()


class Transport:
    """One daemon's HTTP connection pool and the session token the calls carry."""

    def __init__(self, server: str, *, token: str | None, timeout: float) -> None:
        self.server = normalize_server(server)
        self.token = token
        verify = _trusted(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
        self._http = httpx.AsyncClient(base_url=self.server, timeout=timeout, verify=verify)

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._http.aclose()

    def auth_headers(self) -> dict[str, str]:
        """The bearer header; a 401 DaemonError before login."""
        if self.token is None:
            raise DaemonError(401, _("Not logged in"))
        return {"Authorization": f"Bearer {self.token}"}

    async def send(
        self,
        method: str,
        path: str,
        *,
        body: BaseModel | None = None,
        params: dict[str, Any] | None = None,
        auth: bool = True,
        time_limit: float | None = None,
        explicit_nulls: bool = False,
        text: tuple[str, str] | None = None,
    ) -> httpx.Response:
        """One request; any failure (no answer, an error status) is a :class:`DaemonError`.

        A body's unset fields are left out; its None fields too, unless ``explicit_nulls`` (a
        PATCH where ``null`` means "remove"). ``text`` (media type, text) sends a document
        instead of a JSON body (a configuration file)."""
        headers = self.auth_headers() if auth else {}
        # The daemon writes its problem documents' sentences in the reader's language.
        headers["Accept-Language"] = get_language().replace("_", "-")
        content = None
        if text is not None:
            headers = {**headers, "Content-Type": text[0]}
            content = text[1].encode("utf-8")
        payload = (
            body.model_dump(mode="json", exclude_unset=True)
            if body is not None and explicit_nulls
            else body.model_dump(mode="json", exclude_none=True)
            if body is not None
            else None
        )
        # A per-call timeout for the calls that do their work in the request (a backup).
        wait = httpx.USE_CLIENT_DEFAULT if time_limit is None else time_limit
        try:
            response = await self._http.request(
                method,
                path,
                json=payload,
                content=content,
                params=params,
                headers=headers,
                timeout=wait,
            )
        except httpx.TimeoutException:
            message = _("{server} did not answer in time").format(server=self.server)
            raise DaemonError(None, message) from None
        except httpx.HTTPError as error:
            message = _("cannot reach {server}").format(server=self.server)
            raise DaemonError(None, message, str(error) or None) from None
        if response.is_error:
            raise DaemonError.from_response(response)
        return response

    async def get(
        self, model: type[_ModelT], path: str, *, params: dict[str, Any] | None = None
    ) -> _ModelT:
        """GET ``path`` and read the answer as ``model``."""
        return parse(model, await self.send("GET", path, params=params))

    async def call(
        self, model: type[_ModelT], method: str, path: str, body: BaseModel | None = None
    ) -> _ModelT:
        """Send ``body`` with ``method`` and read the answer as ``model``."""
        return parse(model, await self.send(method, path, body=body))


def parse(model: type[_ModelT], response: httpx.Response) -> _ModelT:
    """Read an answer as ``model``; an answer of another shape is a DaemonError, not a crash."""
    try:
        return model.model_validate_json(response.content)
    except ValidationError as error:
        raise DaemonError(
            response.status_code, _("Unexpected answer from the daemon"), summarize(error)
        ) from None


class Endpoints:
    """The base of each endpoint group: what a group may use of the client it is part of."""

    _transport: Transport
