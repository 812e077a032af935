"""Meta's error codes: classification for the outbox, sentences for agents, webhook errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytake_daemon.whatsapp.graph_models import GraphErrorEnvelope
from pytake_daemon.whatsapp.meta_errors import (
    AUTH_CODES,
    PERMANENT_CODES,
    TRANSIENT_CODES,
    GraphError,
    classify,
    classify_webhook_error,
    explain,
    explain_error,
    retry_limit,
)
from pytake_daemon.whatsapp.webhook import parse_notification
from pytake_daemon.whatsapp.webhook_wire import ErrorDetail


@pytest.mark.parametrize(
    ("code", "http_status", "kind"),
    [
        # No response at all: connection refused, reset, timeout.
        (None, None, "transient"),
        (None, 500, "transient"),
        (None, 502, "transient"),
        (None, 503, "transient"),
        (None, 429, "transient"),
        (None, 408, "transient"),
        (None, 401, "auth"),
        (None, 404, "permanent"),
        (None, 400, "permanent"),
        # A 2xx we could not read: the send may have happened, so never repeat it blindly.
        (None, 200, "permanent"),
        (130429, 400, "transient"),
        (131056, 400, "transient"),
        (1, 500, "transient"),
        (2, 503, "transient"),
        (131000, 500, "transient"),
        (133004, 503, "transient"),
        (80007, 400, "transient"),
        (131047, 400, "permanent"),
        (131026, 400, "permanent"),
        (132000, 400, "permanent"),
        (132001, 404, "permanent"),
        (100, 400, "permanent"),
        (131009, 400, "permanent"),
        (131051, 400, "permanent"),
        (131052, 400, "permanent"),
        (131053, 400, "permanent"),
        (131048, 400, "permanent"),
        (131049, 400, "permanent"),
        (368, 403, "permanent"),
        (131031, 403, "permanent"),
        (190, 401, "auth"),
        (10, 403, "auth"),
        (200, 403, "auth"),
        (299, 403, "auth"),
        # Meta answers code 3 (a permission problem) with HTTP 500: the code decides.
        (3, 500, "auth"),
        (131047, 500, "permanent"),
        (999999, 400, "permanent"),
        (999999, 502, "transient"),
        (999999, None, "permanent"),
    ],
)
def test_classify(code: int | None, http_status: int | None, kind: str) -> None:
    assert classify(code, http_status) == kind


def test_code_sets_do_not_overlap() -> None:
    assert not TRANSIENT_CODES & PERMANENT_CODES
    assert not TRANSIENT_CODES & AUTH_CODES
    assert not PERMANENT_CODES & AUTH_CODES


@pytest.mark.parametrize("code", sorted(TRANSIENT_CODES | PERMANENT_CODES | AUTH_CODES))
def test_every_known_code_has_its_own_sentence(code: int) -> None:
    sentence = explain(code, None, message="(#x) Meta's internal title")
    assert "Meta's internal title" not in sentence
    assert sentence.endswith(".")


def test_retry_limit() -> None:
    assert retry_limit(131000) == 3
    assert retry_limit(130429) is None
    assert retry_limit(None) is None


@pytest.mark.parametrize(
    ("code", "sentence"),
    [
        (
            131047,
            "More than 24 hours have passed since the customer last wrote: only an approved "
            "template can be sent now.",
        ),
        (
            131026,
            "WhatsApp couldn't deliver this message (the number may not be on WhatsApp, or the "
            "customer's app is too old).",
        ),
        (
            190,
            "The WhatsApp access token for this number is invalid or expired: an admin must "
            "update it.",
        ),
        (130429, "Sending too fast for this number; the message will be retried."),
        (132000, "The number of template parameters doesn't match the template's placeholders."),
        (132001, "This template doesn't exist in this language, or isn't approved yet."),
    ],
)
def test_explain_known_codes(code: int, sentence: str) -> None:
    assert explain(code, None) == sentence


def test_explain_adds_details_where_they_name_the_problem() -> None:
    assert explain(100, "Unexpected key 'foo' on param 'text'.") == (
        "WhatsApp rejected a parameter of this message. Meta says: Unexpected key 'foo' on "
        "param 'text'."
    )
    assert explain(132000, "body: number of localizable_params (2) does not match (3)") == (
        "The number of template parameters doesn't match the template's placeholders. Meta "
        "says: body: number of localizable_params (2) does not match (3)."
    )
    # Details of a rate limit add nothing an agent can act on.
    assert explain(130429, "Message failed to send because there were too many messages") == (
        "Sending too fast for this number; the message will be retried."
    )


def test_explain_fallbacks_include_metas_message() -> None:
    assert explain(555555, None, message="(#555555) Brand new problem") == (
        "WhatsApp refused the message (error 555555): (#555555) Brand new problem."
    )
    assert explain(555555, "details only") == (
        "WhatsApp refused the message (error 555555): details only."
    )
    assert explain(555555, None) == "WhatsApp refused the message (error 555555)."
    assert explain(None, None) == "WhatsApp could not be reached; the message will be retried."
    assert explain(None, None, message="HTTP 502 from the Graph API (a text/html body)") == (
        "WhatsApp could not be reached or answered oddly: HTTP 502 from the Graph API (a "
        "text/html body)."
    )
    assert "lacks a permission" in explain(250, None)


# Meta's documented error envelope (Cloud API error codes page).
RATE_LIMIT_ENVELOPE: dict[str, Any] = {
    "error": {
        "message": "(#130429) Rate limit hit",
        "type": "OAuthException",
        "code": 130429,
        "error_data": {
            "messaging_product": "whatsapp",
            "details": "Message failed to send because there were too many messages sent from "
            "this phone number in a short period of time",
        },
        "error_subcode": 2494055,
        "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam",
    }
}


def test_graph_error_from_envelope() -> None:
    envelope = GraphErrorEnvelope.model_validate(RATE_LIMIT_ENVELOPE)
    error = GraphError.from_envelope(400, envelope.error)
    assert (error.code, error.subcode, error.http_status) == (130429, 2494055, 400)
    assert error.type == "OAuthException"
    assert error.details is not None
    assert error.details.startswith("Message failed to send")
    assert error.fbtrace_id == "Az8or2yhqkZfEZ-_4Qn_Bam"
    assert error.kind == "transient"
    assert error.retryable
    assert error.explanation == "Sending too fast for this number; the message will be retried."
    assert str(error) == "Graph API error 130429 (HTTP 400, transient): (#130429) Rate limit hit"
    assert "130429" in repr(error)
    record = error.as_record()
    assert json.loads(json.dumps(record)) == record
    assert record["kind"] == "transient"


def test_template_management_errors_carry_details_as_a_string() -> None:
    envelope = GraphErrorEnvelope.model_validate(
        {"error": {"message": "Invalid parameter", "code": 100, "error_data": "Name taken"}}
    )
    assert envelope.error.details == "Name taken"
    assert GraphError.from_envelope(400, envelope.error).details == "Name taken"


def test_metas_transient_flag_rescues_only_unknown_codes() -> None:
    assert GraphError("x", code=777777, http_status=400, is_transient=True).kind == "transient"
    assert GraphError("x", code=777777, http_status=400, is_transient=False).kind == "permanent"
    assert GraphError("x", code=131047, http_status=400, is_transient=True).kind == "permanent"
    assert GraphError("x", code=190, http_status=401, is_transient=True).kind == "auth"
    assert GraphError("x", kind="permanent").kind == "permanent"
    network = GraphError("connection reset")
    assert (network.kind, network.code, network.http_status) == ("transient", None, None)
    assert str(network) == "Graph API no error code (no response, transient): connection reset"


def failed_status_payload(errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550783881",
                                "phone_number_id": "106540352242922",
                            },
                            "statuses": [
                                {
                                    "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3",
                                    "status": "failed",
                                    "timestamp": "1700000000",
                                    "recipient_id": "16315551181",
                                    "errors": errors,
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def test_webhook_errors_get_the_same_explanation() -> None:
    notification = parse_notification(
        failed_status_payload(
            [
                {
                    "code": 131047,
                    "title": "Re-engagement message",
                    "message": "Re-engagement message",
                    "error_data": {
                        "details": "Message failed to send because more than 24 hours have "
                        "passed since the customer last replied to this number."
                    },
                    "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
                }
            ]
        )
    )
    (error,) = notification.statuses[0].errors
    assert explain_error(error)[2] == explain(131047, None)
    assert classify_webhook_error(error) == "permanent"
    as_graph = GraphError.from_webhook(error)
    assert (as_graph.code, as_graph.http_status, as_graph.kind) == (131047, None, "permanent")
    assert as_graph.explanation == explain(131047, None)


def test_webhook_errors_without_a_known_code() -> None:
    unknown = ErrorDetail.model_validate(
        {"code": 131999, "title": "New title", "message": "Something new"}
    )
    assert explain_error(unknown)[2] == (
        "WhatsApp refused the message (error 131999): Something new."
    )
    assert classify_webhook_error(unknown) == "permanent"
    codeless = ErrorDetail.model_validate({"title": "Odd"})
    # Not a network error: nothing will make a webhook-reported failure succeed on retry.
    assert classify_webhook_error(codeless) == "permanent"
    assert explain_error(codeless)[2] == "WhatsApp reported a problem with this message: Odd."
    throttled = ErrorDetail.model_validate({"code": 131056, "title": "Pair rate limit hit"})
    assert classify_webhook_error(throttled) == "transient"


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (131062, "known only by their WhatsApp username"),
        (131063, "Marketing Messages API"),
        (131064, "messaging limit"),
        (131037, "display name"),
    ],
)
def test_the_2026_codes_have_plain_sentences_and_are_permanent(code: int, words: str) -> None:
    assert words in explain(code, None)
    assert not explain(code, None).startswith("WhatsApp refused the message (error")
    assert classify(code, 400) == "permanent"


def test_a_stored_webhook_error_is_described_by_the_same_path() -> None:
    raw = {
        "code": 131062,
        "title": "BSUID recipients not supported",
        "message": "BSUID recipients are not supported for this message",
        "error_data": {"details": "Use the phone number."},
    }
    assert explain_error(raw) == explain_error(ErrorDetail.model_validate(raw))
    assert explain_error(raw)[:2] == (131062, "BSUID recipients not supported")
    assert explain_error({"message": "odd"}) == (
        None,
        "odd",
        "WhatsApp reported a problem with this message: odd.",
    )
    assert explain_error({"code": "not a number"}) == (
        None,
        None,
        "WhatsApp reported a problem with this message.",
    )
