"""Canned responses and tags in the console's terms (no Textual).

The daemon fills a suggestion's variables itself; a canned response picked from the full list
comes unfilled, so the console fills the same four variables the daemon's suggestions know
(``{{customer_name}}``, ``{{first_name}}``, ``{{agent_name}}``, ``{{phone}}``) and leaves any
other placeholder as written, for the agent to see and replace before sending.
"""

from __future__ import annotations

import re

from pytake_daemon.protocol import ConversationOut

_VARIABLE = re.compile(r"{{\s*(\w+)\s*}}")


def variables(conversation: ConversationOut, agent_name: str) -> dict[str, str | None]:
    """The values a reply's placeholders take in this conversation."""
    name = conversation.contact.profile_name
    return {
        "customer_name": name,
        "first_name": name.split()[0] if name and name.split() else None,
        "agent_name": agent_name,
        "phone": f"+{conversation.contact.wa_id}" if conversation.contact.wa_id else None,
    }


def fill(body: str, values: dict[str, str | None]) -> tuple[str, list[str]]:
    """``body`` with its known placeholders replaced, and the names of those left unfilled."""
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        if value:
            return value
        missing.append(match.group(1))
        return match.group(0)

    return _VARIABLE.sub(replace, body), list(dict.fromkeys(missing))


def parse_tags(text: str) -> list[str]:
    """``vip, refund  late`` → ``["vip", "refund late"]``: tags are separated by commas."""
    return [tag for tag in (" ".join(part.split()) for part in text.split(",")) if tag]


def tags_label(tags: list[str]) -> str:
    """``#vip #refund-late`` for the header and the list."""
    return " ".join("#" + tag.replace(" ", "-") for tag in tags)


def one_line(text: str, width: int) -> str:
    """The text on one line, cut with an ellipsis to ``width`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: max(0, width - 1)] + "…"
