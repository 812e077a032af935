"""Who a send goes to: ``to`` (a phone) or, since 2026, ``recipient`` (a BSUID or parent BSUID).

Meta's rules (shared/reference/whatsapp-2026-changes.md §1d): ``to`` wins when both are given;
``recipient_type`` stays ``individual`` (the contract's enum answers anything else with code
100); a BSUID in ``to`` is answered 200 with a wamid and silently dropped, because Meta strips
the prefix and reads the rest as a phone number (``meta.bsuid_in_to = "reject"`` answers code 100
instead). A BSUID nobody was given is accepted and then fails with 131026, as an unknown phone
does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pytake_simulator import errors, rules
from pytake_simulator.identity import is_user_id
from pytake_simulator.wire_graph import SendContact

if TYPE_CHECKING:
    from pytake_simulator.config import MetaVariantsConfig
    from pytake_simulator.state import Customer, Number, Store


@dataclass(frozen=True)
class Recipient:
    input: str  # exactly what the business sent, echoed as contacts[].input
    addressed_by: Literal["phone", "user_id"]
    key: str  # the customer's phone; a dropped send's digits; an unknown BSUID
    customer: Customer | None  # None: an unknown BSUID, or a dropped send
    user_id: str | None = None
    dropped: bool = False

    def response_contact(self) -> SendContact:
        """``{input, wa_id}`` for a phone send, ``{input, user_id}`` for a BSUID send."""
        if self.addressed_by == "phone":
            return SendContact(input=self.input, wa_id=self.key)
        return SendContact(input=self.input, user_id=self.user_id or self.input)


def resolve(
    store: Store, number: Number, body: dict[str, Any], variants: MetaVariantsConfig
) -> Recipient:
    """The recipient of a schema-valid send (``to`` and ``recipient`` are strings if present)."""
    to, recipient = body.get("to"), body.get("recipient")
    if isinstance(to, str):
        if is_user_id(to.strip()):
            if variants.bsuid_in_to == "reject":
                raise errors.bsuid_in_to(to)
            digits = "".join(ch for ch in to if ch.isdigit())
            return Recipient(to, "phone", digits, None, dropped=True)
        wa_id = rules.normalise_to(to)
        assert wa_id is not None  # rules.check_message rejected anything else
        customer = store.customer(wa_id)
        return Recipient(to, "phone", wa_id, customer, user_id=customer.user_id(number.waba_id))
    if not isinstance(recipient, str):
        raise errors.invalid_parameter(
            "The parameter to is required.", "(#100) The parameter to is required."
        )
    if not is_user_id(recipient):
        raise errors.invalid_parameter(
            f"Invalid parameter recipient {recipient!r}: expected a business-scoped user ID "
            "(e.g. US.13491208655302741918).",
            "(#100) Invalid parameter",
        )
    found = store.identities.find(recipient)
    if found is None:
        return Recipient(recipient, "user_id", recipient, None, user_id=recipient)
    return Recipient(
        recipient, "user_id", found.wa_id, found, user_id=found.user_id(number.waba_id)
    )
