"""Who a customer is to a business since 2026: BSUIDs, parent BSUIDs, usernames, hidden phones.

Meta gives every WhatsApp user a business-scoped user id (BSUID) per business portfolio: a
two-letter country code, a period and digits (``BR.13491208655302741918``); eligible managed
businesses also get a parent BSUID shared across portfolios (``BR.ENT.11815799212886844830``).
A user who adopts a username may have their phone withheld from webhooks. The simulator keys
customers by phone internally (Meta knows it) and derives the ids from it, so the same customer
keeps the same ids across messages and runs; a phone change or a BSUID change moves to the next
*generation* of ids, never reusing a retired one.

Sources: shared/reference/whatsapp-2026-changes.md §1.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import TYPE_CHECKING

from pytake_simulator.config import CustomersConfig

if TYPE_CHECKING:
    from pytake_simulator.state import Customer

# Calling code → ISO 3166 country, for the BSUID prefix; longest prefix wins. Enough for the
# demo's and tests' customers; anything else falls back to US, as Meta's own examples do.
COUNTRY_CODES = {
    "1": "US",
    "7": "RU",
    "20": "EG",
    "27": "ZA",
    "30": "GR",
    "31": "NL",
    "32": "BE",
    "33": "FR",
    "34": "ES",
    "39": "IT",
    "40": "RO",
    "41": "CH",
    "44": "GB",
    "46": "SE",
    "48": "PL",
    "49": "DE",
    "51": "PE",
    "52": "MX",
    "54": "AR",
    "55": "BR",
    "56": "CL",
    "57": "CO",
    "58": "VE",
    "60": "MY",
    "61": "AU",
    "62": "ID",
    "63": "PH",
    "64": "NZ",
    "65": "SG",
    "66": "TH",
    "81": "JP",
    "82": "KR",
    "84": "VN",
    "86": "CN",
    "90": "TR",
    "91": "IN",
    "92": "PK",
    "234": "NG",
    "254": "KE",
    "351": "PT",
    "353": "IE",
    "598": "UY",
    "852": "HK",
    "971": "AE",
    "972": "IL",
}
BSUID = re.compile(r"^[A-Za-z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$")
PARENT_BSUID = re.compile(r"^[A-Za-z]{2}\.ENT\.[A-Za-z0-9]{1,128}$")


def is_user_id(value: str) -> bool:
    """A BSUID or parent BSUID (Chatwoot's pattern: alphanumerics after the prefix)."""
    return BSUID.match(value) is not None


def country_of(phone: str) -> str:
    for length in (3, 2, 1):
        country = COUNTRY_CODES.get(phone[:length])
        if country is not None:
            return country
    return "US"


def _digits(key: str, count: int = 20) -> str:
    """``count`` digits from a hash of ``key``, never starting with zero."""
    number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:16], "big")
    digits = str(number).rjust(count, "0")[-count:]
    return str(int(digits[0]) or 1) + digits[1:]


def user_id(waba_id: str, phone: str, generation: int = 0) -> str:
    """The customer's BSUID as one business portfolio (WABA) sees them."""
    return f"{country_of(phone)}.{_digits(f'bsuid:{waba_id}:{phone}:{generation}')}"


def parent_user_id(phone: str, generation: int = 0) -> str:
    """The parent BSUID, shared by every portfolio the simulator plays."""
    return f"{country_of(phone)}.ENT.{_digits(f'parent:{phone}:{generation}')}"


def fraction(key: str) -> float:
    """A stable number in [0, 1) for ``key``: picks which customers get which traits."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64


def username_for(profile_name: str, phone: str) -> str:
    """A plausible username from the profile name (``ana.silva01``): lowercase letters, digits
    and periods, as WhatsApp allows."""
    ascii_name = unicodedata.normalize("NFKD", profile_name).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_name.lower()) or ["user"]
    return ".".join(words[:2]) + phone[-2:]


class Identities:
    """Gives new customers their traits and ids, and finds customers by BSUID."""

    def __init__(self, config: CustomersConfig, wabas: list[str], seed: int | None) -> None:
        self.config = config
        self.wabas = wabas
        self.seed = seed
        self.by_user_id: dict[str, Customer] = {}
        self._retired: set[str] = set()

    def assign(self, customer: Customer) -> None:
        """A new customer's traits (per the configured shares) and ids."""
        draw = fraction(f"traits:{self.seed}:{customer.wa_id}")
        config = self.config
        customer.phone_visible = draw >= config.hidden_phone_share
        if draw < max(config.hidden_phone_share, config.username_share):
            customer.username = username_for(customer.profile_name, customer.wa_id)
        customer.has_parent = config.parent_user_ids
        self.index(customer, customer.generation)

    def index(self, customer: Customer, generation: int) -> None:
        """Give ``customer`` the ids of the first generation from ``generation`` that nobody
        holds and nobody held (a retired BSUID never comes back)."""
        for key in [*customer.user_ids.values(), customer.parent_user_id]:
            if key is not None:
                self.by_user_id.pop(key, None)
        while True:
            ids = {waba: user_id(waba, customer.wa_id, generation) for waba in self.wabas}
            parent = parent_user_id(customer.wa_id, generation)
            taken = [*ids.values(), parent]
            if not any(k in self._retired or k in self.by_user_id for k in taken):
                break
            generation += 1
        customer.generation = generation
        customer.user_ids = ids
        customer.parent_user_id = parent if customer.has_parent else None
        for key in ids.values():
            self.by_user_id[key] = customer
        if customer.parent_user_id is not None:
            self.by_user_id[customer.parent_user_id] = customer

    def retire(self, customer: Customer) -> None:
        self._retired.update(customer.user_ids.values())
        if customer.parent_user_id is not None:
            self._retired.add(customer.parent_user_id)

    def find(self, user_id_or_parent: str) -> Customer | None:
        return self.by_user_id.get(user_id_or_parent)
