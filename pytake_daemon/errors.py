"""Exceptions of our own, mapped to HTTP problems in one place (``http/middlewares.py``) and to
one-line messages in the CLI.

Titles are marked with ``N_`` and details written with ``pytake_daemon.i18n._``: both stay
English here (logs, ``str()``) and are translated where a person reads them."""

from __future__ import annotations

from pytake_daemon.protocol import ProblemField
from pytake_i18n import N_


class PyTakeError(Exception):
    """Base for errors a user may see; ``str()`` is a complete one-line sentence."""


class ApiError(PyTakeError):
    """An error with an HTTP status; the error middleware renders it as a problem document."""

    status = 500
    title = N_("Internal Server Error")

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[ProblemField] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


class BadRequest(ApiError):
    status = 400
    title = N_("Bad Request")


class Unauthorized(ApiError):
    status = 401
    title = N_("Unauthorized")

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="pytake"'})


class Forbidden(ApiError):
    status = 403
    title = N_("Forbidden")


class NotFound(ApiError):
    status = 404
    title = N_("Not Found")


class MethodNotAllowed(ApiError):
    status = 405
    title = N_("Method Not Allowed")


class Conflict(ApiError):
    status = 409
    title = N_("Conflict")


class UnprocessableEntity(ApiError):
    status = 422
    title = N_("Unprocessable Entity")


class TooManyRequests(ApiError):
    status = 429
    title = N_("Too Many Requests")

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = max(1, retry_after)


class ServiceUnavailable(ApiError):
    status = 503
    title = N_("Service Unavailable")

    def __init__(self, detail: str, *, retry_after: int = 5) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class SchemaTooNewError(PyTakeError):
    """The database was migrated by a newer PyTake; running older code against it is unsafe."""


class PayloadTooLarge(ApiError):
    status = 413
    title = N_("Payload Too Large")


class BadGateway(ApiError):
    """An upstream (Meta's Graph API) refused or failed; the detail says why in plain words."""

    status = 502
    title = N_("Bad Gateway")
