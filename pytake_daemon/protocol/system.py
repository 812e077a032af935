"""Connectivity checks (``GET /api/v1/system/checks``, ``pytake doctor``)."""

from __future__ import annotations

from enum import StrEnum

from pytake_daemon.protocol.common import WireModel


class CheckStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


class SystemCheck(WireModel):
    """One check: what it tried, how it went, in one sentence."""

    name: str
    """What was checked, e.g. ``database``, ``graph api 106540352242922``."""
    status: CheckStatus
    detail: str
    """One sentence: what passed, what failed and why, or why it was skipped."""
    seconds: float
    """How long the check took."""


class SystemChecks(WireModel):
    """Every check, in a fixed order; ``ok`` when none failed (skipped ones don't count)."""

    ok: bool
    checks: list[SystemCheck]
