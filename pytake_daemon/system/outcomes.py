"""How a check ends when it doesn't pass: its exception's message is its one sentence."""

from __future__ import annotations


class CheckFailed(Exception):
    """The check failed; the message says what and, where we know it, what to do."""


class CheckSkipped(Exception):
    """The check does not apply here; the message says why."""
