"""An AI alert's detail in the console's language (the queue monitor's alert line), from the
fields of the English sentence the daemon stores and sends (``protocol/alert_detail.py``)."""

from __future__ import annotations

from pytake_daemon.protocol.alert_detail import DetailKind, parse
from pytake_i18n import format_number
from pytake_tui.i18n import _, ngettext, pgettext


def alert_detail(detail: str) -> str:
    """``detail`` worded in the language in force; as written when its shape is unknown."""
    fields = parse(detail)
    if fields is None:
        return detail
    match fields.kind:
        case DetailKind.SENTIMENT:
            score = format_number(fields.value, pattern="+0.00;-0.00")
            return _("sentiment {score}").format(score=score)
        case DetailKind.TREND:
            drop = format_number(fields.value, pattern="0.00")
            return ngettext(
                "sentiment fell by {drop} over the last {n} message",
                "sentiment fell by {drop} over the last {n} messages",
                fields.count,
            ).format(drop=drop, n=fields.count)
        case DetailKind.INTENT:
            intent = {
                "cancel": pgettext("intent", "cancel"),
                "complaint": pgettext("intent", "complaint"),
            }.get(fields.word, fields.word)
            return _("intent {intent}").format(intent=intent)
        case DetailKind.LONG_WAIT:
            minutes = format_number(fields.value, pattern="0")
            return _("negative after waiting {minutes} min for an answer").format(minutes=minutes)
        case DetailKind.HUMAN_REQUEST:
            minutes = format_number(fields.value, pattern="0.##")
            return _("asked for a human {minutes} min ago; no answer since").format(minutes=minutes)
