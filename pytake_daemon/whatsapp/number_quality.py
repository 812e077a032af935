"""Meta's word on a number's quality and messaging limit (``phone_number_quality_update``):
recorded on the number, announced as ``number_quality_changed``.

What Meta sends (developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/
reference/phone_number_quality_update, updated 2026-05-21): ``display_phone_number`` (digits,
the only name of the number), ``event`` and the limit tier, ``max_daily_conversations_per_business``
since limits became per business portfolio (October 2025), ``current_limit`` before it, and
``old_limit`` on limit changes. The reference lists ONBOARDING and THROUGHPUT_UPGRADE; the
quality events FLAGGED, UNFLAGGED, DOWNGRADE and UPGRADE of the earlier reference still arrive
(BSPs relay them today). Meta's payload has no quality rating (that is ``GET /{phone-number-id}``'s
``quality_rating``); a relay that adds one is read too. Unknown events are recorded and announced
as ``unchanged``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog

from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol.whatsapp import NumberQualityChanged, QualityTrend
from pytake_daemon.whatsapp import db
from pytake_daemon.whatsapp.webhook_items import NumberQualityUpdate

log = structlog.get_logger("pytake.whatsapp")

# FLAGGED: quality is low, the limit will fall unless it recovers within 7 days; DOWNGRADE: it
# fell. UNFLAGGED / UPGRADE / THROUGHPUT_UPGRADE: the way back up.
DROP_EVENTS = frozenset({"FLAGGED", "DOWNGRADE"})
RISE_EVENTS = frozenset({"UNFLAGGED", "UPGRADE", "THROUGHPUT_UPGRADE"})

_RATING_RANK = {"RED": 0, "YELLOW": 1, "GREEN": 2}
# Meta's tiers, lowest first (TIER_1K before portfolios, TIER_2K after; both are kept).
_TIER_RANK = {
    "TIER_NOT_SET": 0,
    "TIER_50": 1,
    "TIER_250": 2,
    "TIER_1K": 3,
    "TIER_2K": 4,
    "TIER_10K": 5,
    "TIER_100K": 6,
    "TIER_UNLIMITED": 7,
}


def _compare(ranks: dict[str, int], before: str | None, after: str | None) -> int:
    """-1 when ``after`` is lower than ``before``, 1 when higher, 0 when unknown or equal."""
    if before is None or after is None or before not in ranks or after not in ranks:
        return 0
    return (ranks[after] > ranks[before]) - (ranks[after] < ranks[before])


def trend(
    event: str,
    *,
    rating: str | None,
    previous_rating: str | None,
    limit: str | None,
    previous_limit: str | None,
) -> QualityTrend:
    """Whether the news is a drop (an event, a worse rating or a lower limit) or a rise."""
    rating_moved = _compare(_RATING_RANK, previous_rating, rating)
    limit_moved = _compare(_TIER_RANK, previous_limit, limit)
    if event in DROP_EVENTS or rating_moved < 0 or limit_moved < 0:
        return "dropped"
    fresh_rating = previous_rating is None and rating in ("YELLOW", "RED")
    if fresh_rating:
        return "dropped"
    if event in RISE_EVENTS or rating_moved > 0 or limit_moved > 0:
        return "improved"
    return "unchanged"


async def apply(conn: Connection, item: NumberQualityUpdate) -> list[NumberQualityChanged]:
    """Record ``item`` on the number it names; the events to publish (none when it names no
    live number of the tenant, repeats what is stored, or is older than it)."""
    at = item.time or datetime.now(UTC)
    rows = await db.set_number_quality(
        conn,
        waba_id=item.waba_id,
        digits=item.digits,
        event=item.event,
        rating=item.quality_rating,
        limit=item.limit,
        at=at,
    )
    if not rows:
        log.warning(
            "number quality update for no live number of this tenant (or older than stored)",
            waba_id=item.waba_id,
            display_phone_number=item.display_phone_number,
            meta_event=item.event,  # structlog's own "event" is the message
        )
    changes: list[NumberQualityChanged] = []
    for row in rows:
        before = (row["previous_event"], row["previous_rating"], row["previous_limit"])
        after = (row["quality_event"], row["quality_rating"], row["messaging_limit"])
        if before == after:
            continue  # a redelivery, or the same news again: nothing to tell
        # The payload's old_limit is Meta's own "before"; the stored limit when it has none.
        previous_limit = item.old_limit or row["previous_limit"]
        changes.append(
            NumberQualityChanged(
                number_id=row["id"],
                display_phone_number=row["display_phone_number"],
                label=row["label"],
                event=item.event,
                quality_rating=row["quality_rating"],
                messaging_limit=row["messaging_limit"],
                previous_limit=previous_limit,
                trend=trend(
                    item.event,
                    rating=item.quality_rating,
                    previous_rating=row["previous_rating"],
                    limit=row["messaging_limit"],
                    previous_limit=previous_limit,
                ),
                limit_lowered=_compare(_TIER_RANK, previous_limit, row["messaging_limit"]) < 0,
            )
        )
    return changes
