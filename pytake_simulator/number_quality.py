"""A business number's quality on Meta's side: its rating and messaging limit, changed on
request (tests, the demo) with the ``phone_number_quality_update`` webhook Meta sends.

What the webhook carries follows Meta's reference (developers.facebook.com/documentation/
business-messaging/whatsapp/webhooks/reference/phone_number_quality_update, updated 2026-05-21):
the number by its display digits only, the event, the limit, and ``old_limit`` only when the
limit changed. The rating is never in it: it shows in ``GET /{phone-number-id}``
(``quality_rating``, with ``messaging_limit_tier``), as on Meta.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pytake_simulator.batching import PendingItem
from pytake_simulator.state import Number
from pytake_simulator.wire import PhoneNumberQualityValue

if TYPE_CHECKING:
    from pytake_simulator.simulator import Simulator

# FLAGGED, UNFLAGGED, DOWNGRADE, UPGRADE: the quality events (still relayed today);
# ONBOARDING and THROUGHPUT_UPGRADE: the two Meta's 2026 reference lists.
QualityEvent = Literal[
    "FLAGGED", "UNFLAGGED", "DOWNGRADE", "UPGRADE", "ONBOARDING", "THROUGHPUT_UPGRADE"
]
QualityRating = Literal["GREEN", "YELLOW", "RED", "NA"]
LimitTier = Literal[
    "TIER_NOT_SET",
    "TIER_50",
    "TIER_250",
    "TIER_1K",
    "TIER_2K",
    "TIER_10K",
    "TIER_100K",
    "TIER_UNLIMITED",
]
# The steps DOWNGRADE and UPGRADE take when no limit is given (the Graph API's tiers).
_STEPS: tuple[LimitTier, ...] = (
    "TIER_50",
    "TIER_250",
    "TIER_1K",
    "TIER_10K",
    "TIER_100K",
    "TIER_UNLIMITED",
)
# What each event does to the rating when none is given: Meta flags a number whose rating
# fell to low and lifts the flag once it is back.
_RATING_AFTER: dict[str, QualityRating] = {"FLAGGED": "RED", "UNFLAGGED": "GREEN"}


def _step(limit: str, by: int) -> str:
    if limit not in _STEPS:
        return limit
    index = min(max(_STEPS.index(limit) + by, 0), len(_STEPS) - 1)
    return _STEPS[index]


class NumberQuality:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def set(
        self,
        phone_number_id: str,
        event: QualityEvent,
        *,
        quality_rating: QualityRating | None = None,
        messaging_limit: LimitTier | None = None,
    ) -> Number:
        """Change a number's quality and send the ``phone_number_quality_update`` webhook.

        Without ``messaging_limit``, DOWNGRADE and UPGRADE move the limit one tier; without
        ``quality_rating``, FLAGGED makes it RED and UNFLAGGED GREEN. Raises KeyError for a
        number the simulator doesn't have.
        """
        number = self.sim.store.numbers[phone_number_id]
        before = number.messaging_limit
        after: str = messaging_limit or before
        if messaging_limit is None and event in ("DOWNGRADE", "UPGRADE"):
            after = _step(before, -1 if event == "DOWNGRADE" else 1)
        number.messaging_limit = after
        rating: str = quality_rating or _RATING_AFTER.get(event) or number.quality_rating
        number.quality_rating = rating
        field = self.sim.config.meta.quality_limit_field
        value = PhoneNumberQualityValue(
            display_phone_number=number.config.display_digits,
            event=event,
            old_limit=before if after != before else None,
            **{field: after},
        )
        self.sim.notify(PendingItem(waba_id=number.waba_id, quality_event=value))
        self.sim.changed()
        return number
