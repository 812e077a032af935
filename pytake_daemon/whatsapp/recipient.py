"""How the send API addresses a customer: by phone (``to``) or by business-scoped user id
(``recipient``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A phone as the send API takes it: wa_id digits, optionally with a leading '+'.
PHONE_PATTERN = r"^\+?[0-9]{5,20}$"
# A business-scoped user id: country code, a period, optionally "ENT." (a parent BSUID), then up
# to 128 alphanumerics (Meta's format; pywa's digits-only pattern is too narrow).
BSUID_PATTERN = r"^[A-Za-z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$"
_BSUID = re.compile(BSUID_PATTERN)


def is_bsuid(value: str) -> bool:
    return _BSUID.fullmatch(value) is not None


@dataclass(frozen=True)
class Recipient:
    """A customer as the send API addresses them.

    The phone goes in ``to`` whenever it is known (Meta advises it); only a customer known by
    BSUID alone is addressed with ``recipient``. A BSUID must never go in ``to``: Meta strips the
    prefix, reads the rest as a phone number, answers 200 with a wamid, and the message is
    silently never delivered (chatwoot/chatwoot#15150).
    """

    phone: str | None
    bsuid: str | None = None

    def __post_init__(self) -> None:
        if self.phone is None and self.bsuid is None:
            raise ValueError("a recipient needs a phone number or a BSUID")

    @property
    def key(self) -> str:
        """The address the message goes to (for pacing per customer and for logs)."""
        return self.phone if self.phone is not None else str(self.bsuid)

    @property
    def bsuid_only(self) -> bool:
        return self.phone is None

    def address(self) -> dict[str, str]:
        if self.phone is not None:
            return {"to": self.phone}
        assert self.bsuid is not None
        return {"recipient": self.bsuid}
