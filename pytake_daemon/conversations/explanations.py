"""A failed message's stored explanation said again in the reader's language.

The sender and the webhook's ingest write the explanation in English (they have no reader),
with ``whatsapp.meta_explanations.explain``: a sentence of ours, optionally followed by
" Meta says: " and Meta's own words. Reading it back belongs to the messages' views, so it
lives here, below the channel in the daemon's layers; ``whatsapp.meta_errors`` re-exports it
next to ``explain``, which writes the form parsed here.
"""

from __future__ import annotations

from pytake_daemon.i18n import _, translate


def explanation_in(text: str, language: str | None = None) -> str:
    """A stored explanation (written in English by the sender or the webhook's ingest, which
    have no reader) in ``language``, else the language in force."""
    known, says, said = text.partition(" Meta says: ")
    if says:
        return _("{known} Meta says: {said}", known=translate(known, language), said=said).say(
            language
        )
    return translate(text, language) or text
