"""Template sends checked against stored definitions, so Meta's 132000 never reaches the outbox.

Definitions are Meta's management-API shapes; the positional ones are the examples of Meta's
OpenAPI contract (``POST /{WABA-ID}/message_templates``), the named and authentication ones follow
Meta's template documentation.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from pytake_daemon.protocol.outgoing import ExpectedParameters, TemplateComponentOut, TemplateOut
from pytake_daemon.whatsapp.graph_models import Template
from pytake_daemon.whatsapp.template_params import (
    TemplateParameterError,
    asks_for_phone,
    check_parameters,
    check_template,
    expected_parameters,
    needs_phone,
    placeholders,
)

SEASONAL: dict[str, Any] = {
    "id": "1",
    "name": "seasonal_promotion_text_only",
    "language": "en",
    "status": "APPROVED",
    "category": "MARKETING",
    "components": [
        {
            "type": "HEADER",
            "format": "TEXT",
            "text": "Our {{1}} is on!",
            "example": {"header_text": ["Summer Sale"]},
        },
        {
            "type": "BODY",
            "text": "Shop now through {{1}} and use code {{2}} to get {{3}} off of everything.",
            "example": {"body_text": [["the end of August", "25OFF", "25%"]]},
        },
        {"type": "FOOTER", "text": "Use the buttons below to manage your marketing subscriptions"},
        {
            "type": "BUTTONS",
            "buttons": [
                {"type": "QUICK_REPLY", "text": "Unsubcribe from Promos"},
                {"type": "QUICK_REPLY", "text": "Unsubscribe from All"},
            ],
        },
    ],
}

TUSCAN: dict[str, Any] = {
    "id": "2",
    "name": "limited_time_offer_tuscan_getaway_2023",
    "language": "en_US",
    "status": "APPROVED",
    "components": [
        {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW1h"]}},
        {
            "type": "BODY",
            "text": "Hi {{1}}! For a limited time only you can get our {{2}} for as low as {{3}}.",
            "example": {"body_text": [["Mark", "Tuscan Getaway package", "800"]]},
        },
        {"type": "FOOTER", "text": "Offer valid until May 31, 2023"},
        {
            "type": "BUTTONS",
            "buttons": [
                {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "16467043595"},
                {
                    "type": "URL",
                    "text": "Shop Now",
                    "url": "https://damp-sea-63235.herokuapp.com/shop?promo={{1}}",
                    "example": ["summer2023"],
                },
            ],
        },
    ],
}

ORDER_CONFIRMATION: dict[str, Any] = {
    "id": "3",
    "name": "order_confirmation",
    "language": "en_US",
    "status": "APPROVED",
    "components": [
        {"type": "HEADER", "format": "DOCUMENT"},
        {
            "type": "BODY",
            "text": "Thank you for your order, {{1}}! Your order number is {{2}}.",
            "example": {"body_text": [["Mark", "860198-230332"]]},
        },
        {
            "type": "BUTTONS",
            "buttons": [
                {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "16467043595"},
                {"type": "URL", "text": "Contact Support", "url": "https://example.com/support"},
            ],
        },
    ],
}

DELIVERY: dict[str, Any] = {
    "id": "4",
    "name": "order_delivery_update",
    "language": "en_US",
    "status": "APPROVED",
    "components": [
        {"type": "HEADER", "format": "LOCATION"},
        {"type": "BODY", "text": "Good news {{1}}! Your order #{{2}} is on its way."},
    ],
}

NAMED: dict[str, Any] = {
    "id": "5",
    "name": "order_update",
    "language": "en_US",
    "status": "APPROVED",
    "parameter_format": "NAMED",
    "components": [
        {
            "type": "HEADER",
            "format": "TEXT",
            "text": "Order {{order_id}}",
            "example": {"header_text_named_params": [{"param_name": "order_id", "example": "1"}]},
        },
        {
            "type": "BODY",
            "text": "Hi {{first_name}}, order {{order_id}} ships {{ ship_date }}.",
            "example": {
                "body_text_named_params": [
                    {"param_name": "first_name", "example": "Jessica"},
                    {"param_name": "order_id", "example": "SKBUP2-4CPIG9"},
                    {"param_name": "ship_date", "example": "Friday"},
                ]
            },
        },
    ],
}

AUTHENTICATION: dict[str, Any] = {
    "id": "6",
    "name": "authentication_code_copy_code_button",
    "language": "en_US",
    "status": "APPROVED",
    "category": "AUTHENTICATION",
    "components": [
        {"type": "BODY", "text": "*{{1}}* is your verification code."},
        {"type": "FOOTER", "text": "This code expires in 10 minutes."},
        {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy"}]},
    ],
}

COUPON: dict[str, Any] = {
    "id": "7",
    "name": "coupon_offer",
    "language": "en_US",
    "status": "APPROVED",
    "components": [
        {"type": "BODY", "text": "Use the code below."},
        {"type": "BUTTONS", "buttons": [{"type": "COPY_CODE", "example": "250FF"}]},
    ],
}

HELLO: dict[str, Any] = {
    "id": "1192339204654487",
    "name": "hello_world",
    "language": "en_US",
    "status": "APPROVED",
    "components": [
        {"type": "HEADER", "format": "TEXT", "text": "Hello World"},
        {"type": "BODY", "text": "Welcome and congratulations!!"},
        {"type": "FOOTER", "text": "WhatsApp Business API Team"},
    ],
}

components_adapter: TypeAdapter[list[TemplateComponentOut]] = TypeAdapter(
    list[TemplateComponentOut]
)


def sent(*components: dict[str, Any]) -> list[TemplateComponentOut]:
    return components_adapter.validate_python(list(components))


def refusal(definition: dict[str, Any], *components: dict[str, Any]) -> TemplateParameterError:
    with pytest.raises(TemplateParameterError) as info:
        check_parameters(definition, sent(*components))
    return info.value


def body(parameters: list[str] | dict[str, str]) -> dict[str, Any]:
    return {"type": "body", "parameters": parameters}


IMAGE = {"type": "header", "image": {"link": "https://cdn.example.com/tuscany.jpg"}}
URL_BUTTON = {"type": "button", "sub_type": "url", "index": 1, "text": "summer2023"}


def test_placeholders() -> None:
    assert placeholders("Hi {{1}}, {{2}} and {{1}} again") == ["1", "2"]
    assert placeholders("{{ first_name }} {{order_id}}") == ["first_name", "order_id"]
    assert placeholders(None) == []
    assert placeholders("{single} {{ two words }}") == []


def test_expected_parameters_positional() -> None:
    assert expected_parameters(SEASONAL) == [
        ExpectedParameters(
            component="header",
            kind="text",
            names=["1"],
            examples=["Summer Sale"],
            text="Our {{1}} is on!",
        ),
        ExpectedParameters(
            component="body",
            kind="text",
            names=["1", "2", "3"],
            examples=["the end of August", "25OFF", "25%"],
            text=SEASONAL["components"][1]["text"],
        ),
        ExpectedParameters(
            component="button",
            kind="payload",
            index=0,
            sub_type="quick_reply",
            required=False,
            text="Unsubcribe from Promos",
        ),
        ExpectedParameters(
            component="button",
            kind="payload",
            index=1,
            sub_type="quick_reply",
            required=False,
            text="Unsubscribe from All",
        ),
    ]
    tuscan = expected_parameters(Template.model_validate(TUSCAN))
    assert [(e.component, e.kind, e.index) for e in tuscan] == [
        ("header", "image", None),
        ("body", "text", None),
        ("button", "text", 1),
    ]
    assert tuscan[2].examples == ["summer2023"]
    assert tuscan[2].sub_type == "url"
    assert [e.kind for e in expected_parameters(DELIVERY)] == ["location", "text"]
    assert expected_parameters(HELLO) == []


def test_expected_parameters_named() -> None:
    header, body_ = expected_parameters(NAMED)
    assert header.parameter_format == body_.parameter_format == "named"
    assert header.names == ["order_id"]
    assert body_.names == ["first_name", "order_id", "ship_date"]
    assert body_.examples == ["Jessica", "SKBUP2-4CPIG9", "Friday"]
    # Stored without parameter_format (older definitions): inferred from the placeholders.
    inferred = {**NAMED, "parameter_format": None}
    assert expected_parameters(inferred)[1].parameter_format == "named"


def test_expected_parameters_of_buttons_without_a_send_time_value() -> None:
    (otp_body, otp) = expected_parameters(AUTHENTICATION)
    assert otp_body.names == ["1"]
    assert (otp.kind, otp.sub_type, otp.index, otp.required) == ("text", "url", 0, True)
    (coupon,) = expected_parameters(COUPON)
    assert (coupon.kind, coupon.supported, coupon.required) == ("coupon_code", False, True)
    assert expected_parameters(ORDER_CONFIRMATION)[-1].component == "body"


def test_matching_sends_pass() -> None:
    check_parameters(
        SEASONAL,
        sent(
            {"type": "header", "text": ["Summer Sale"]},
            body(["the end of August", "25OFF", "25%"]),
            {"type": "button", "sub_type": "quick_reply", "index": 1, "payload": "STOP-ALL"},
        ),
    )
    check_parameters(TUSCAN, sent(IMAGE, body(["Mark", "Tuscany", "800"]), URL_BUTTON))
    check_parameters(
        ORDER_CONFIRMATION,
        sent(
            {"type": "header", "document": {"media_id": "1", "filename": "r.pdf"}}, body(["M", "1"])
        ),
    )
    check_parameters(
        DELIVERY,
        sent({"type": "header", "location": {"latitude": 1, "longitude": 2}}, body(["M", "1"])),
    )
    check_parameters(
        NAMED,
        sent(
            {"type": "header", "text": {"order_id": "1"}},
            body({"ship_date": "Friday", "first_name": "Jessica", "order_id": "1"}),
        ),
    )
    check_parameters(
        AUTHENTICATION,
        sent(body(["123456"]), {"type": "button", "sub_type": "url", "index": 0, "text": "123456"}),
    )
    check_parameters(HELLO, [])
    check_parameters(Template.model_validate(HELLO), [])


def test_count_mismatches_name_the_component() -> None:
    error = refusal(TUSCAN, IMAGE, body(["Mark", "Tuscany"]), URL_BUTTON)
    assert str(error) == (
        "Template 'limited_time_offer_tuscan_getaway_2023' body expects 3 parameters, 2 given."
    )
    assert (error.code, error.component) == (132000, "body")
    assert str(refusal(TUSCAN, IMAGE, URL_BUTTON)) == (
        "Template 'limited_time_offer_tuscan_getaway_2023' body expects 3 parameters, 0 given."
    )
    assert str(refusal(HELLO, body(["x"]))) == (
        "Template 'hello_world' body has no variables, but 1 parameter was given."
    )
    assert str(refusal(HELLO, {"type": "header", "text": ["x"]})) == (
        "Template 'hello_world' header has no variable, but a header parameter was given."
    )


def test_header_mismatches() -> None:
    missing = refusal(TUSCAN, body(["a", "b", "c"]), URL_BUTTON)
    assert str(missing) == (
        "Template 'limited_time_offer_tuscan_getaway_2023' header expects an image, none given."
    )
    wrong = refusal(TUSCAN, {"type": "header", "text": ["x"]}, body(["a", "b", "c"]), URL_BUTTON)
    assert str(wrong) == (
        "Template 'limited_time_offer_tuscan_getaway_2023' header expects an image, not text."
    )
    assert wrong.code == 132012
    assert "header expects a location" in str(refusal(DELIVERY, IMAGE, body(["a", "b"])))
    assert "header expects 1 parameter, none given" in str(refusal(SEASONAL, body(["a", "b", "c"])))


def test_named_mismatches() -> None:
    header = {"type": "header", "text": {"order_id": "1"}}
    error = refusal(NAMED, header, body({"first_name": "J", "shipdate": "F"}))
    assert str(error) == (
        "Template 'order_update' body is missing the named parameters: order_id, ship_date; "
        "and has no parameters named: shipdate."
    )
    as_list = refusal(NAMED, header, body(["J", "1", "F"]))
    assert str(as_list) == (
        "Template 'order_update' body uses named parameters (first_name, order_id, ship_date): "
        "give them by name, not as a list."
    )
    as_names = refusal(
        SEASONAL, {"type": "header", "text": {"season": "Summer"}}, body(["a", "b", "c"])
    )
    assert str(as_names) == (
        "Template 'seasonal_promotion_text_only' header uses positional parameters ({{1}} to "
        "{{1}}): give a list of 1 value, not names."
    )


def test_button_mismatches() -> None:
    full = (IMAGE, body(["a", "b", "c"]))
    assert str(refusal(TUSCAN, *full)) == (
        "Template 'limited_time_offer_tuscan_getaway_2023' button 1 "
        "(https://damp-sea-63235.herokuapp.com/shop?promo={{1}}) expects 1 parameter, none given."
    )
    static = refusal(TUSCAN, *full, URL_BUTTON, {**URL_BUTTON, "index": 0})
    assert str(static) == (
        "Template 'limited_time_offer_tuscan_getaway_2023' button 0 takes no parameter (there is "
        "no such button, or it is static)."
    )
    quick = {"type": "button", "sub_type": "quick_reply", "index": 1, "payload": "p"}
    kind = refusal(TUSCAN, *full, quick)
    assert str(kind) == (
        "Template 'limited_time_offer_tuscan_getaway_2023' button 1 takes a url parameter, "
        "not quick_reply."
    )
    assert kind.code == 132012
    otp = refusal(AUTHENTICATION, body(["123456"]))
    assert "button 0 (Copy) expects 1 parameter, none given" in str(otp)
    coupon = refusal(COUPON)
    assert str(coupon) == (
        "Template 'coupon_offer' button 0 needs a coupon code, which PyTake cannot send yet."
    )
    # Repeats are refused even when the list did not come through TemplateOut's own checks.
    assert "was given twice" in str(refusal(TUSCAN, *full, URL_BUTTON, URL_BUTTON))


def test_check_template_status_and_identity() -> None:
    content = TemplateOut(name="hello_world", language="en_US")
    check_template(HELLO, content)
    with pytest.raises(TemplateParameterError) as info:
        check_template({**HELLO, "status": "PAUSED"}, content)
    assert (info.value.code, str(info.value)) == (
        132015,
        "Template 'hello_world' (en_US) is paused, not approved: it cannot be sent.",
    )
    with pytest.raises(TemplateParameterError) as info:
        check_template({**HELLO, "status": "PENDING"}, content)
    assert info.value.code == 132001
    with pytest.raises(TemplateParameterError) as info:
        check_template(HELLO, TemplateOut(name="hello_world", language="pt_BR"))
    assert info.value.code == 132001
    assert "is not the stored template" in str(info.value)


@given(st.integers(min_value=0, max_value=6), st.integers(min_value=1, max_value=7))
def test_positional_body_passes_exactly_with_the_right_count(
    placeholder_count: int, given: int
) -> None:
    text = " ".join(f"{{{{{i}}}}}" for i in range(1, placeholder_count + 1)) or "static"
    definition = {
        "id": "9",
        "name": "t",
        "language": "en",
        "components": [{"type": "BODY", "text": text}],
    }
    components = sent(body([f"v{i}" for i in range(given)]))
    if given == placeholder_count:
        check_parameters(definition, components)
    else:
        with pytest.raises(TemplateParameterError):
            check_parameters(definition, components)


PHONE_REQUEST: dict[str, Any] = {
    "id": "8",
    "name": "share_your_phone",
    "language": "en_US",
    "status": "APPROVED",
    "category": "UTILITY",
    "components": [
        {"type": "BODY", "text": "To finish your request we need your phone number."},
        {"type": "BUTTONS", "buttons": [{"type": "REQUEST_CONTACT_INFO"}]},
    ],
}


@pytest.mark.parametrize(
    ("definition", "phone_only"),
    [
        (AUTHENTICATION, True),
        # One-tap and zero-tap buttons, even on a template whose category was not synced.
        (
            {
                **AUTHENTICATION,
                "category": None,
                "components": [
                    {"type": "BODY", "text": "{{1}} is your code."},
                    {
                        "type": "BUTTONS",
                        "buttons": [{"type": "OTP", "otp_type": "ONE_TAP", "text": "Autofill"}],
                    },
                ],
            },
            True,
        ),
        ({**AUTHENTICATION, "category": "authentication", "components": []}, True),
        # A marketing coupon's copy-code button is not a one-time password.
        (COUPON, False),
        (SEASONAL, False),
        (PHONE_REQUEST, False),
    ],
)
def test_authentication_templates_need_a_phone(
    definition: dict[str, Any], phone_only: bool
) -> None:
    assert needs_phone(definition) is phone_only


def test_the_request_contact_info_button_asks_for_the_phone_and_takes_no_parameter() -> None:
    assert asks_for_phone(PHONE_REQUEST)
    assert not asks_for_phone(COUPON)
    assert not asks_for_phone(AUTHENTICATION)
    assert expected_parameters(PHONE_REQUEST) == []
    check_parameters(PHONE_REQUEST, [])
