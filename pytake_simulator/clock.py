"""The simulator's wall clock, which tests may move forward (e.g. past a 24-hour window)."""

from __future__ import annotations

import time


class Clock:
    """Wall-clock time plus an offset; only timestamps and windows use it, never rate limits."""

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> float:
        return time.time() + self._offset

    def timestamp(self) -> str:
        """Unix seconds as a string, the way every webhook ``timestamp`` is spelled."""
        return str(int(self.now()))

    def advance(self, seconds: float) -> None:
        self._offset += seconds

    @property
    def offset(self) -> float:
        return self._offset
