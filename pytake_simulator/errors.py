"""Meta's errors: synchronous Graph API errors and the ``errors[]`` items of webhooks.

HTTP statuses follow Meta's error-code reference: 401 for 190 (bad token), 404 for 132001
(template missing), 400 for everything else the simulator produces, including the throughput
(130429) and pair (131056) limits; Meta reserves 429 for app-level call limits (code 4/80007),
which the simulator doesn't model.
"""

from __future__ import annotations

from pytake_simulator import ids
from pytake_simulator.wire import WebhookError, WebhookErrorData
from pytake_simulator.wire_graph import GraphErrorBody, GraphErrorData, GraphErrorResponse

ERROR_CODES_URL = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"


class GraphError(Exception):
    """A Graph API error; the HTTP layer turns it into Meta's JSON shape."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        http_status: int = 400,
        error_type: str = "OAuthException",
        subcode: int | None = None,
        details: str | None = None,
        user_title: str | None = None,
        user_msg: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status
        self.error_type = error_type
        self.subcode = subcode
        self.details = details
        self.user_title = user_title
        self.user_msg = user_msg

    def response(self) -> GraphErrorResponse:
        return GraphErrorResponse(
            error=GraphErrorBody(
                message=self.message,
                type=self.error_type,
                code=self.code,
                error_subcode=self.subcode,
                error_user_title=self.user_title,
                error_user_msg=self.user_msg,
                error_data=(
                    GraphErrorData(details=self.details) if self.details is not None else None
                ),
                fbtrace_id=ids.fbtrace_id(),
            )
        )


def invalid_token() -> GraphError:
    return GraphError(
        190,
        "Invalid OAuth access token - Cannot parse access token",
        http_status=401,
        details="The access token is missing, malformed or not valid for this app.",
    )


def unsupported_request(method: str, object_id: str) -> GraphError:
    """Unknown node, or one the token may not see: Meta doesn't tell the two apart."""
    return GraphError(
        100,
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, "
        "cannot be loaded due to missing permissions, or does not support this operation. "
        "Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
        error_type="GraphMethodException",
        subcode=33,
        details=f"Object with ID '{object_id}' does not exist or is not accessible.",
    )


def unknown_path(path: str) -> GraphError:
    return GraphError(100, f"Unknown path components: {path}", details=f"Unknown path {path}")


def invalid_parameter(details: str, message: str = "(#100) Invalid parameter") -> GraphError:
    return GraphError(100, message, details=details)


def invalid_value(details: str) -> GraphError:
    return GraphError(131009, "(#131009) Parameter value is not valid", details=details)


def bsuid_not_supported() -> GraphError:
    """131062: one-tap, zero-tap and copy-code authentication templates need a phone number."""
    return GraphError(
        131062,
        "(#131062) Business-scoped user ID recipients are not supported for this message",
        details=(
            "Authentication templates with one-tap, zero-tap or copy-code buttons can't be sent "
            "to a business-scoped user ID; send them to the user's phone number."
        ),
    )


def bsuid_in_to(to: str) -> GraphError:
    """A BSUID in ``to`` when ``meta.bsuid_in_to`` is "reject" (Meta itself drops it silently)."""
    return invalid_parameter(
        f"Invalid parameter to {to!r}: a business-scoped user ID goes in recipient.",
        "(#100) Invalid parameter",
    )


def throughput_reached() -> GraphError:
    return GraphError(
        130429,
        "(#130429) Rate limit hit",
        details=(
            "Message failed to send because there were too many messages sent from this phone "
            "number in a short period of time."
        ),
    )


def pair_rate_limited() -> GraphError:
    return GraphError(
        131056,
        "(#131056) (Business Account, Consumer Account) pair rate limit hit",
        details=(
            "Message failed to send because there were too many messages sent from this phone "
            "number to the same phone number in a short period of time."
        ),
    )


def template_missing(name: str, language: str) -> GraphError:
    return GraphError(
        132001,
        "(#132001) Template name does not exist in the translation",
        http_status=404,
        details=f"template name ({name}) does not exist in {language}",
    )


def template_params(code: int, details: str) -> GraphError:
    titles = {
        132000: "Number of parameters does not match the expected number of params",
        132012: "Parameter format does not match format in the created template",
        131009: "Parameter value is not valid",
    }
    return GraphError(code, f"(#{code}) {titles.get(code, 'Invalid parameter')}", details=details)


def media_upload(details: str) -> GraphError:
    return GraphError(131053, "(#131053) Media upload error", details=details)


def template_language_deleting(name: str, language: str) -> GraphError:
    """A name and language deleted less than four weeks ago: Meta refuses new content in it."""
    return GraphError(
        100,
        "Invalid parameter",
        subcode=2388023,
        details=f"Message template {name} is being deleted in {language}.",
        user_title="Message Template Language Is Being Deleted",
        user_msg=(
            f"New {language} content can't be added while the existing {language} content is "
            "being deleted. Try again in 4 weeks or create a new message template."
        ),
    )


def template_not_found(name: str) -> GraphError:
    return GraphError(
        100,
        "Invalid parameter",
        subcode=2593002,
        details=f"Message template {name!r} was not found.",
    )


def template_exists(name: str, language: str) -> GraphError:
    return GraphError(
        100,
        "Invalid parameter",
        subcode=2388024,
        details=f"Message template {name} already has content in {language}.",
        user_title="Content in This Language Already Exists",
        user_msg=(
            f"There is already {language} content for this template. You can create a new "
            "template and try again."
        ),
    )


def template_invalid(problem: str) -> GraphError:
    return GraphError(
        100,
        "Invalid parameter",
        details=problem,
        user_title="Message template is invalid",
        user_msg=problem,
    )


# --- asynchronous errors (in ``failed`` statuses) -------------------------------------------------


def _webhook_error(code: int, title: str, details: str) -> WebhookError:
    return WebhookError(
        code=code,
        title=title,
        message=title,
        error_data=WebhookErrorData(details=details),
        href=ERROR_CODES_URL,
    )


def re_engagement() -> WebhookError:
    return _webhook_error(
        131047,
        "Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer last "
        "replied to this number.",
    )


def undeliverable() -> WebhookError:
    return _webhook_error(131026, "Message undeliverable", "Message Undeliverable.")


def media_not_found(media_id: str) -> WebhookError:
    return _webhook_error(
        131053, "Media upload error", f"Unable to retrieve media: media ID {media_id} not found."
    )


def unsupported_message() -> WebhookError:
    return _webhook_error(
        131051, "Message type unknown", "Message type is currently not supported."
    )
