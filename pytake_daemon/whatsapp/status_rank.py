"""The order of a sent message's delivery states (callbacks arrive in any order)."""

from __future__ import annotations

STATUS_RANK: dict[str, int] = {"pending": 0, "sent": 1, "delivered": 2, "read": 3}


def advances(current: str | None, new: str) -> bool:
    """Whether a delivery status ``new`` should replace the stored status ``current``.

    Webhooks arrive out of order and more than once, so the stored status only moves forward:

    - ``None`` (nothing stored yet) accepts any known status, including ``failed``.
    - Ranked statuses (pending < sent < delivered < read) only move to a strictly higher rank.
    - ``failed`` replaces only ``pending`` or ``sent``: a message known to be delivered or read
      did reach the customer, whatever a late failure says.
    - ``failed`` is terminal except for ``delivered``/``read``: with multi-device users a
      delivery can follow a failure, and that proves the message arrived.
    - Unknown strings (``deleted``, ``warning``, ``played``…) never change the stored status;
      the caller still records the raw status.
    """
    if new != "failed" and new not in STATUS_RANK:
        return False
    if current is None:
        return True
    if new == "failed":
        return current in ("pending", "sent")
    if current == "failed":
        return new in ("delivered", "read")
    if current not in STATUS_RANK:
        # An unknown stored value is never written by ``advances``; let a known status fix it.
        return True
    return STATUS_RANK[new] > STATUS_RANK[current]
