"""Meta's error codes: what to do about each (retry, give up, alert an admin) and what to tell the
agent, for errors returned by the Graph API and for ``errors[]`` in webhooks alike.

Meta asks integrators to branch on the numeric ``code`` (and ``details``), never on titles or
messages, which change. The codes are those of Meta's Cloud API error reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import ValidationError

from pytake_daemon.conversations.explanations import explanation_in
from pytake_daemon.i18n import N_, _, gettext
from pytake_daemon.whatsapp.graph_models import GraphErrorBody
from pytake_daemon.whatsapp.meta_explanations import as_sentence, explain
from pytake_daemon.whatsapp.webhook_wire import ErrorDetail

ErrorKind = Literal["transient", "permanent", "auth"]

# Retrying later can succeed: Meta is overloaded, down, or we are over a rate limit.
TRANSIENT_CODES: frozenset[int] = frozenset(
    {
        1,  # API unknown (possible server error)
        2,  # API service: temporary downtime or overload
        4,  # too many calls for the app
        17,  # too many calls for the user
        341,  # application limit reached
        613,  # calls exceed the rate limit
        80007,  # WhatsApp Business Account rate limit
        130429,  # throughput limit of this number
        131000,  # "something went wrong": retried a few times only, see retry_limit
        131016,  # a service is temporarily unavailable
        131056,  # pair rate limit: too many messages to this customer in a short time
        131057,  # the business account is in maintenance mode
        133004,  # server temporarily unavailable
    }
)

# Only an admin can fix these: the token or the app's permissions. Retrying cannot help.
AUTH_CODES: frozenset[int] = frozenset({0, 3, 10, 190, 131005} | set(range(200, 300)))

# Known to fail the same way every time.
PERMANENT_CODES: frozenset[int] = frozenset(
    {
        33,
        100,
        368,
        130472,
        130497,
        131008,
        131009,
        131021,
        131026,
        131031,
        131037,
        131042,
        131045,
        131047,
        131048,
        131049,
        131050,
        131051,
        131052,
        131053,
        131062,
        131063,
        131064,
        132000,
        132001,
        132005,
        132007,
        132012,
        132015,
        132016,
        132018,
        133010,
        135000,
    }
)

# Transient codes worth only a few attempts: 131000 is Meta's catch-all and is sometimes a
# malformed request in disguise, so unbounded retries could loop forever.
_RETRY_LIMITS: dict[int, int] = {131000: 3}


def classify(code: int | None, http_status: int | None) -> ErrorKind:
    """What the outbox should do with a failed call: retry later, give up, or alert an admin.

    ``code`` is Meta's error code (None when Meta sent no error envelope); ``http_status`` is
    None when no HTTP response arrived at all (connection error, timeout), which is transient.
    A known code decides regardless of the HTTP status (Meta answers code 3, a permission
    problem, with HTTP 500); otherwise 5xx, 429 and 408 are transient, 401 is auth, and any
    other status, including an unreadable 2xx, is permanent (a send that may have gone through
    must not be repeated blindly).
    """
    if code is not None:
        if code in AUTH_CODES:
            return "auth"
        if code in TRANSIENT_CODES:
            return "transient"
        if code in PERMANENT_CODES:
            return "permanent"
    if http_status is None:
        return "transient" if code is None else "permanent"
    if http_status >= 500 or http_status in (408, 429):
        return "transient"
    if http_status == 401:
        return "auth"
    return "permanent"


def retry_limit(code: int | None) -> int | None:
    """The most attempts worth making for a transient ``code``, or None for the caller's own."""
    return _RETRY_LIMITS.get(code) if code is not None else None


class GraphError(Exception):
    """A failed Graph API call, or a failure Meta reported in a webhook.

    It never carries an access token: the client redacts any echo of it before raising. ``kind``
    is what the outbox acts on; ``explanation`` is what an agent reads.
    """

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        code: int | None = None,
        subcode: int | None = None,
        type: str | None = None,
        details: str | None = None,
        fbtrace_id: str | None = None,
        is_transient: bool | None = None,
        user_title: str | None = None,
        user_message: str | None = None,
        kind: ErrorKind | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.code = code
        self.subcode = subcode
        self.type = type
        self.details = details
        self.fbtrace_id = fbtrace_id
        self.is_transient = is_transient
        self.user_title = user_title
        self.user_message = user_message
        if kind is None:
            kind = classify(code, http_status)
            # Meta's own flag may rescue an unknown code; known codes keep their class.
            if kind == "permanent" and is_transient and code not in PERMANENT_CODES:
                kind = "transient"
        self.kind: ErrorKind = kind

    @classmethod
    def from_envelope(cls, http_status: int, body: GraphErrorBody) -> GraphError:
        return cls(
            body.message or f"Graph API error {body.code}",
            http_status=http_status,
            code=body.code,
            subcode=body.error_subcode,
            type=body.type,
            details=body.details,
            fbtrace_id=body.fbtrace_id,
            is_transient=body.is_transient,
            user_title=body.error_user_title,
            user_message=body.error_user_msg,
        )

    @classmethod
    def from_webhook(cls, error: ErrorDetail) -> GraphError:
        """A webhook ``errors[]`` item (a ``failed`` status, say) as the same kind of error.

        No HTTP status exists there, and a webhook error without a code is not a network
        failure, so unknown and missing codes count as permanent.
        """
        kind: ErrorKind | None = None if error.code is not None else "permanent"
        return cls(
            error.message or error.title or "WhatsApp reported an error",
            code=error.code,
            details=error.details,
            kind=kind,
        )

    @property
    def retryable(self) -> bool:
        return self.kind == "transient"

    @property
    def explanation(self) -> str:
        return explain_error(self)[2]

    def as_record(self) -> dict[str, Any]:
        """JSON to store with the failed message (no token is ever in here)."""
        return {
            "kind": self.kind,
            "http_status": self.http_status,
            "code": self.code,
            "subcode": self.subcode,
            "type": self.type,
            "message": self.message,
            "details": self.details,
            "fbtrace_id": self.fbtrace_id,
            "explanation": self.explanation,
        }

    def __str__(self) -> str:
        where = f"HTTP {self.http_status}" if self.http_status is not None else "no response"
        code = f"error {self.code}" if self.code is not None else "no error code"
        return f"Graph API {code} ({where}, {self.kind}): {self.message}"

    def __repr__(self) -> str:
        return (
            f"GraphError(code={self.code!r}, http_status={self.http_status!r}, "
            f"kind={self.kind!r}, message={self.message!r}, fbtrace_id={self.fbtrace_id!r})"
        )


def explain_error(
    error: GraphError | ErrorDetail | Mapping[str, Any] | None,
) -> tuple[int | None, str | None, str]:
    """``(code, title, sentence)`` of a Meta error: what a failed message records and an agent
    reads, whoever met it (the sender's Graph call, a webhook's failed status, a failed status
    stored before its send was recorded). ``None`` is a failed status that came with no error.

    An error without a code is not "WhatsApp could not be reached" unless it really is (no
    answer, or one worth retrying): a webhook or a refusal without a code means WhatsApp was
    reached and reported a problem, and the network wording would mislead the agent.
    """
    if isinstance(error, GraphError):
        said = error.user_message or error.message
        if error.code is None and error.kind != "transient":
            return None, error.message, _reported(said)
        return error.code, error.message, explain(error.code, error.details, message=said)
    detail = _as_detail(error)
    words = detail.message or detail.title
    if detail.code is None:
        return None, detail.title or detail.message, _reported(words)
    return (
        detail.code,
        detail.title or detail.message,
        explain(detail.code, detail.details, message=words),
    )


def _reported(said: str | None) -> str:
    """The sentence for a problem WhatsApp reported without a code."""
    if said:
        return _(
            "WhatsApp reported a problem with this message: {said}", said=as_sentence(said)
        ).say()
    return gettext(N_("WhatsApp reported a problem with this message."))


def _as_detail(error: ErrorDetail | Mapping[str, Any] | None) -> ErrorDetail:
    if isinstance(error, ErrorDetail):
        return error
    if error is None:
        return ErrorDetail()
    try:
        return ErrorDetail.model_validate(error)
    except ValidationError:
        # Stored JSON we can't read must not fail the commit that records an accepted send.
        return ErrorDetail()


__all__ = [
    "AUTH_CODES",
    "PERMANENT_CODES",
    "TRANSIENT_CODES",
    "GraphError",
    "classify",
    "classify_webhook_error",
    "explain",
    "explain_error",
    "explanation_in",
    "retry_limit",
]


def classify_webhook_error(error: ErrorDetail) -> ErrorKind:
    return GraphError.from_webhook(error).kind
