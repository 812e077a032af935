"""The order of a sent message's delivery states (callbacks arrive in any order).

Mirrored by the SQL function ``message_status_rank`` (migrations/0002_whatsapp.sql), which the
webhook writer uses inside its transaction; a test keeps the two in step.
"""

from __future__ import annotations

# One total order: ``failed`` outranks everything before delivery, but a ``delivered``/``read``
# that arrives after it (multi-device users) proves the message reached the customer.
STATUS_RANK: dict[str, int] = {
    "pending": 0,
    "accepted": 1,
    "sent": 2,
    "failed": 3,
    "delivered": 4,
    "read": 5,
}


def rank(status: str | None) -> int:
    """The rank of a status; unknown strings (``played``, ``deleted``…) and None rank lowest."""
    if status is None:
        return -1
    return STATUS_RANK.get(status, -1)


def advances(current: str | None, new: str) -> bool:
    """Whether a delivery status ``new`` should replace the stored status ``current``.

    Webhooks arrive out of order and more than once, so the stored status only moves forward:

    - ``None`` (nothing stored yet) accepts any known status, including ``failed``.
    - Known statuses only move to a strictly higher rank
      (pending < accepted < sent < failed < delivered < read).
    - ``failed`` replaces only pending, accepted or sent: a message known to be delivered or
      read did reach the customer, whatever a late failure says; and a later ``delivered`` or
      ``read`` overrides a failure.
    - Unknown strings never change the stored status; the caller still records the raw status.
    """
    if new not in STATUS_RANK:
        return False
    return STATUS_RANK[new] > rank(current)
