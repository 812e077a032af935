"""The screenshot's notice in the console's language.

Textual says "Saved screenshot to …" in English when a delivery named ``screenshot`` completes
(``App._on_delivery_complete``, private). The console delivers its screenshot under its own
name through Textual's public ``deliver_text``, the same way ``App.deliver_screenshot`` does
(saved locally, served in a browser), and says the outcome from its catalog. A base class of
:class:`~pytake_tui.app.PyTakeApp`; the palette's "Screenshot" command calls
:meth:`action_screenshot` too (``key_guide.palette_commands``).
"""

from __future__ import annotations

import io
from datetime import datetime

from textual import events, on
from textual.app import App

from pytake_tui.i18n import _

DELIVERY_NAME = "pytake-screenshot"


class ScreenshotWords(App[None]):
    """Screenshots delivered under the console's name, their notices in its words."""

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Save an SVG of the screen (``ctrl+p`` → Screenshot), as Textual does."""
        # Named as Textual names it (title and local time), without its private helper.
        stamp = datetime.now().astimezone().strftime("%Y-%m-%dT%H_%M_%S")
        self.deliver_text(
            io.StringIO(self.export_screenshot()),
            save_directory=path,
            save_filename=filename or f"{self.title}_{stamp}.svg",
            open_method="browser",
            mime_type="image/svg+xml",
            name=DELIVERY_NAME,
        )

    @on(events.DeliveryComplete)
    def _screenshot_saved(self, event: events.DeliveryComplete) -> None:
        if event.name != DELIVERY_NAME:
            return
        title = _("Screenshot")
        if event.path is None:
            self.notify(_("Screenshot saved"), title=title)
        else:
            said = _("Screenshot saved to {path}").format(path=str(event.path))
            self.notify(said, title=title, markup=False)  # the path as written, never markup

    @on(events.DeliveryFailed)
    def _screenshot_failed(self, event: events.DeliveryFailed) -> None:
        if event.name == DELIVERY_NAME:
            self.notify(
                _("The screenshot could not be saved"), title=_("Screenshot"), severity="error"
            )
