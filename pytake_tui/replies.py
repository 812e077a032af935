"""Canned responses and tags in the console's terms (no Textual).

The daemon fills a suggestion's variables itself; a canned response picked from the full list
comes unfilled, so the console fills the same four variables the daemon's suggestions know
(``{{customer_name}}``, ``{{first_name}}``, ``{{agent_name}}``, ``{{phone}}``) and leaves any
other placeholder as written, for the agent to see and replace before sending.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from pytake_daemon.protocol import ConversationOut, Role
from pytake_daemon.protocol.ai import ReplyCreate, ReplyOut, ReplyScope, ReplyUpdate
from pytake_tui.i18n import N_, _, pgettext
from pytake_tui.validation_words import validation_sentence

_Model = TypeVar("_Model", bound=BaseModel)

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


# ---- canned responses: the screen's wording and form, and the composer's /shortcut ----------

SHORTCUT_TYPED = re.compile(r"^/([a-z0-9][a-z0-9_-]{0,31})?$")
"""A draft that is only ``/`` and the start of a shortcut (a space or a second line ends it)."""
VARIABLES_HINT = N_("{{customer_name}} {{first_name}} {{agent_name}} {{phone}} are filled in")
ANY_LANGUAGE = "any"


class ReplyFormError(ValueError):
    """What is wrong with the reply form, as one sentence for a toast."""


@dataclass(frozen=True, slots=True)
class ReplyForm:
    """The editor's fields as typed (blank: not set)."""

    title: str
    body: str
    shortcut: str = ""
    language: str = ANY_LANGUAGE
    scope: ReplyScope = ReplyScope.PERSONAL
    department: str = ""

    @classmethod
    def of(cls, reply: ReplyOut) -> ReplyForm:
        return cls(
            title=reply.title,
            body=reply.body,
            shortcut=reply.shortcut or "",
            language=reply.language or ANY_LANGUAGE,
            scope=reply.scope,
            department=reply.department or "",
        )

    def _fields(self) -> dict[str, Any]:
        if self.scope is ReplyScope.PERSONAL and self.department.strip():
            raise ReplyFormError(_("A personal reply has no department: share it with the team."))
        return {
            "title": " ".join(self.title.split()),
            "body": self.body.strip(),
            "shortcut": self.shortcut.strip().removeprefix("/").lower() or None,
            "language": None if self.language == ANY_LANGUAGE else self.language,
            "scope": self.scope,
            "department": " ".join(self.department.split()) or None,
        }

    def create(self) -> ReplyCreate:
        """The new reply; a :class:`ReplyFormError` names the first problem."""
        return _checked(lambda: ReplyCreate(**self._fields()))

    def changes(self, reply: ReplyOut) -> ReplyUpdate:
        """What differs from ``reply``, and nothing else (a PATCH sends only those)."""
        fields = self._fields()
        before = {
            "title": reply.title,
            "body": reply.body,
            "shortcut": reply.shortcut,
            "language": reply.language,
            "scope": reply.scope,
            "department": reply.department,
        }
        changed = {k: v for k, v in fields.items() if v != before[k]}
        return _checked(lambda: ReplyUpdate(**changed))


def _checked(build: Callable[[], _Model]) -> _Model:
    try:
        return build()
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        if field == "shortcut":
            raise ReplyFormError(
                _(
                    "The shortcut is up to 32 lower-case letters, digits, '-' or '_' "
                    "(e.g. order-late)."
                )
            ) from None
        if field in ("title", "body") and first["type"] == "string_too_short":
            needs = (
                _("The reply needs a title.") if field == "title" else _("The reply needs a body.")
            )
            raise ReplyFormError(needs) from None
        where = f"{field}: " if field else ""
        raise ReplyFormError(f"{where}{validation_sentence(first)}") from None


def typed_shortcut(draft: str) -> str | None:
    """The shortcut being typed (``""`` for a lone ``/``), or None when the draft is a message."""
    match = SHORTCUT_TYPED.fullmatch(draft)
    if match is None:
        return None
    return match.group(1) or ""


def may_manage(reply: ReplyOut, role: Role) -> bool:
    """Agents manage their own replies; the team's are a supervisor's (the daemon's rule)."""
    return reply.scope is ReplyScope.PERSONAL or role.at_least(Role.SUPERVISOR)


def scope_label(reply: ReplyOut) -> str:
    return (
        pgettext("reply owner", "yours")
        if reply.scope is ReplyScope.PERSONAL
        else pgettext("reply owner", "team")
    )


@dataclass(frozen=True, slots=True)
class ShortcutMatch:
    """A reply offered for the ``/shortcut`` being typed, its text filled for the conversation."""

    shortcut: str
    title: str
    text: str
    missing: tuple[str, ...]


def shortcut_matches(replies: list[ReplyOut], values: dict[str, str | None]) -> list[ShortcutMatch]:
    """The replies with a shortcut, in the daemon's order (the user's own first)."""
    matches = []
    for reply in replies:
        if reply.shortcut is None:
            continue
        text, missing = fill(reply.body, values)
        matches.append(ShortcutMatch(reply.shortcut, reply.title, text, tuple(missing)))
    return matches
