"""A screen that does not repaint for the screen under it (Textual 6.12 makes it).

Textual counts the screen directly under the top one as visible even when the top one is
opaque, and forwards that screen's repaints to the top one as regions; a screen refreshed with
regions repaints all of itself. The app posts every stream event to every screen on the stack,
so each event the screen underneath handled made a whole-screen frame on top (every widget,
not only the rows that changed; a real terminal is also sent the whole screen again).
"""

from __future__ import annotations

from typing import Self, TypeVar

from textual.geometry import Region
from textual.screen import Screen

ResultType = TypeVar("ResultType")


class OpaqueScreen(Screen[ResultType]):
    """Drops the region refreshes that come from below while it is on top and opaque."""

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        # Textual refreshes a screen with regions only to forward a lower screen's repaints
        # (its widgets mark their own regions); nothing under an opaque top screen shows.
        if regions and not (layout or recompose) and self._covers_below():
            return self
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def _covers_below(self) -> bool:
        return self.is_attached and self.app.screen is self and self.styles.background.a == 1
