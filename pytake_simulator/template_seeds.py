"""The templates every WABA starts with, so a demo and the daemon's tests need no setup."""

from __future__ import annotations

from pytake_simulator.templates import TemplateButton, TemplateComponent, TemplateDefinition


def _text_component(kind: str, text: str | None) -> TemplateComponent:
    return TemplateComponent.model_validate({"type": kind, "text": text})


def seed_templates() -> list[TemplateDefinition]:
    """What every WABA starts with, so a demo and the daemon's tests need no setup."""
    body = "BODY"
    return [
        TemplateDefinition(
            name="hello_world",
            language="en_US",
            category="UTILITY",
            components=[
                TemplateComponent(type="HEADER", format="TEXT", text="Hello World"),
                _text_component(
                    body,
                    "Welcome and congratulations!! This message demonstrates your ability to "
                    "send a WhatsApp message notification from the Cloud API, hosted by Meta. "
                    "Thank you for taking the time to test with us.",
                ),
                _text_component("FOOTER", "WhatsApp Business Platform sample message"),
            ],
        ),
        TemplateDefinition(
            name="order_update",
            language="en_US",
            category="UTILITY",
            components=[
                TemplateComponent(
                    type="BODY",
                    text="Hi {{1}}, your order {{2}} has shipped and is on its way.",
                    example={"body_text": [["Ana", "#4821"]]},
                )
            ],
        ),
        TemplateDefinition(
            name="appointment_reminder",
            language="pt_BR",
            category="UTILITY",
            parameter_format="NAMED",
            components=[
                TemplateComponent(
                    type="BODY",
                    text="Olá {{customer_name}}, lembrete: sua consulta é hoje às {{time}}.",
                    example={
                        "body_text_named_params": [
                            {"param_name": "customer_name", "example": "Maria"},
                            {"param_name": "time", "example": "15:30"},
                        ]
                    },
                )
            ],
        ),
        TemplateDefinition(
            name="shipping_photo",
            language="en_US",
            category="UTILITY",
            components=[
                TemplateComponent(
                    type="HEADER",
                    format="IMAGE",
                    example={"header_handle": ["https://example.com/parcel.jpg"]},
                ),
                TemplateComponent(
                    type="BODY",
                    text="Your parcel {{1}} was photographed at the door.",
                    example={"body_text": [["#4821"]]},
                ),
            ],
        ),
        TemplateDefinition(
            name="track_order",
            language="en_US",
            category="UTILITY",
            components=[
                TemplateComponent(
                    type="BODY",
                    text="Order {{1}} is out for delivery.",
                    example={"body_text": [["#4821"]]},
                ),
                TemplateComponent(
                    type="BUTTONS",
                    buttons=[
                        TemplateButton(
                            type="URL",
                            text="Track it",
                            url="https://example.com/track/{{1}}",
                            example=["https://example.com/track/4821"],
                        )
                    ],
                ),
            ],
        ),
        TemplateDefinition(
            name="feedback_request",
            language="en_US",
            category="MARKETING",
            components=[
                _text_component(body, "How was your experience with us today?"),
                TemplateComponent(
                    type="BUTTONS",
                    buttons=[
                        TemplateButton(type="QUICK_REPLY", text="Great"),
                        TemplateButton(type="QUICK_REPLY", text="Could be better"),
                    ],
                ),
            ],
        ),
        TemplateDefinition(
            # Meta's copy-code authentication template: it can't go to a BSUID (131062).
            name="verification_code",
            language="en_US",
            category="AUTHENTICATION",
            components=[
                TemplateComponent(
                    type="BODY",
                    text="{{1}} is your verification code.",
                    example={"body_text": [["123456"]]},
                ),
                TemplateComponent(
                    type="BUTTONS",
                    buttons=[
                        TemplateButton.model_validate(
                            {"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy code"}
                        )
                    ],
                ),
            ],
        ),
        TemplateDefinition(
            # Asks a customer without a visible phone to share it, outside the service window.
            name="share_phone_number",
            language="en_US",
            category="UTILITY",
            components=[
                _text_component(body, "To help you faster, please share your phone number."),
                TemplateComponent(
                    type="BUTTONS", buttons=[TemplateButton(type="REQUEST_CONTACT_INFO")]
                ),
            ],
        ),
        TemplateDefinition(
            name="spring_sale",
            language="en_US",
            category="MARKETING",
            status="PENDING",
            components=[_text_component(body, "Spring sale: 20% off everything this week!")],
        ),
        TemplateDefinition(
            name="miracle_cure",
            language="en_US",
            category="MARKETING",
            status="REJECTED",
            rejected_reason="INVALID_FORMAT",
            components=[_text_component(body, "Lose 10 kg in 3 days, guaranteed!")],
        ),
    ]
