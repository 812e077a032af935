"""An AI alert's detail in the reader's language (the notification's body), from the fields of
the English sentence stored with the alert (``protocol/alert_detail.py`` says why)."""

from __future__ import annotations

from pytake_daemon.i18n import CATALOG, gettext, ngettext
from pytake_daemon.protocol.alert_detail import DetailKind, parse
from pytake_i18n import format_number


def say(detail: str, *, language: str | None = None) -> str:
    """``detail`` worded in ``language`` (else the language in force); as written when its
    shape is unknown."""
    fields = parse(detail)
    if fields is None:
        return detail
    match fields.kind:
        case DetailKind.SENTIMENT:
            score = format_number(fields.value, pattern="+0.00;-0.00", language=language)
            return gettext("sentiment {score}", language=language).format(score=score)
        case DetailKind.TREND:
            drop = format_number(fields.value, pattern="0.00", language=language)
            return ngettext(
                "sentiment fell by {drop} over the last {n} message",
                "sentiment fell by {drop} over the last {n} messages",
                fields.count,
                language=language,
            ).format(drop=drop, n=fields.count)
        case DetailKind.INTENT:
            intent = {
                "cancel": CATALOG.pgettext("intent", "cancel", language=language),
                "complaint": CATALOG.pgettext("intent", "complaint", language=language),
            }.get(fields.word, fields.word)
            return gettext("intent {intent}", language=language).format(intent=intent)
        case DetailKind.LONG_WAIT:
            minutes = format_number(fields.value, pattern="0", language=language)
            return gettext(
                "negative after waiting {minutes} min for an answer", language=language
            ).format(minutes=minutes)
        case DetailKind.HUMAN_REQUEST:
            minutes = format_number(fields.value, pattern="0.##", language=language)
            return gettext(
                "asked for a human {minutes} min ago; no answer since", language=language
            ).format(minutes=minutes)
