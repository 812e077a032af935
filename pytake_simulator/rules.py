"""Meta's documented limits for sends that the contract's schema doesn't express.

Shape problems (missing, unexpected or mistyped parameters) are the contract's job and come back
as code 100; value problems Meta documents on top (length limits it checks server-side, unique
button titles, the total number of list rows, a phone number in ``to``) are code 131009, except
the text body limit, which Meta reports as a 100 "Param ... must be at most" like the schema's.
These checks run before the schema so the more specific message wins; they only look at values
of the right type and leave everything else to the schema.
"""

from __future__ import annotations

import re
from typing import Any

from pytake_simulator import errors
from pytake_simulator.errors import GraphError
from pytake_simulator.identity import is_user_id

TEXT_MAX = 4096
BUTTONS_MIN, BUTTONS_MAX = 1, 3
BUTTON_TITLE_MAX = 20
BUTTON_ID_MAX = 256
SECTIONS_MAX = 10
ROWS_MAX = 10
ROW_TITLE_MAX = 24
ROW_ID_MAX = 200
ROW_DESCRIPTION_MAX = 72
LIST_BUTTON_MAX = 20
SECTION_TITLE_MAX = 24

_PHONE_PUNCTUATION = re.compile(r"[\s()\-.]")
_DIGITS = re.compile(r"^[0-9]{7,15}$")


def normalise_to(to: str) -> str | None:
    """A WhatsApp id (digits) from ``to``: Meta accepts ``+``, spaces, dashes, parentheses."""
    digits = _PHONE_PUNCTUATION.sub("", to.strip()).removeprefix("+")
    return digits if _DIGITS.match(digits) else None


def check_envelope(body: dict[str, Any]) -> GraphError | None:
    """``messaging_product`` and ``recipient_type``: the same for every kind of send."""
    product = body.get("messaging_product")
    if product is None:
        return errors.invalid_parameter(
            "The parameter messaging_product is required.",
            "(#100) The parameter messaging_product is required.",
        )
    if product != "whatsapp":
        return errors.invalid_parameter(
            f'Param messaging_product must be one of {{WHATSAPP}} - got "{product}".'
        )
    if body.get("recipient_type", "individual") == "group":
        return errors.invalid_value("Group messaging is not available on this phone number.")
    return None


def check_message(body: dict[str, Any]) -> GraphError | None:
    to = body.get("to")
    # A BSUID in ``to`` is addressing's business (Meta accepts it, then drops the message).
    if isinstance(to, str) and normalise_to(to) is None and not is_user_id(to.strip()):
        return errors.invalid_value(
            f"Invalid 'to' parameter {to!r}: expected a phone number in international format "
            "(digits, optionally with a leading +)."
        )
    kind = body.get("type", "text")
    if kind == "text":
        return _check_text(body.get("text"))
    if kind == "interactive":
        return _check_interactive(body.get("interactive"))
    return None


def _too_long(param: str, limit: int) -> GraphError:
    return errors.invalid_parameter(
        f"Param {param} must be at most {limit} characters long.",
        f"(#100) Param {param} must be at most {limit} characters long.",
    )


def _check_text(text: Any) -> GraphError | None:
    if not isinstance(text, dict) or not isinstance(text.get("body"), str):
        return None
    body: str = text["body"]
    if not body.strip():
        return errors.invalid_parameter(
            "The parameter text['body'] is required.",
            "(#100) The parameter text['body'] is required.",
        )
    if len(body) > TEXT_MAX:
        return _too_long("text['body']", TEXT_MAX)
    return None


def _check_interactive(interactive: Any) -> GraphError | None:
    if not isinstance(interactive, dict):
        return None
    kind = interactive.get("type")
    action = interactive.get("action")
    if kind in ("button", "list") and "body" not in interactive:
        return errors.invalid_parameter(
            "The parameter interactive['body'] is required.",
            "(#100) The parameter interactive['body'] is required.",
        )
    if not isinstance(action, dict):
        return None
    if kind == "button":
        return _check_buttons(action)
    if kind == "list":
        return _check_list(action)
    return None


def _text_length(value: Any, limit: int, what: str) -> GraphError | None:
    if not isinstance(value, str):
        return None
    if not value.strip():
        return errors.invalid_value(f"{what} cannot be empty.")
    if len(value) > limit:
        return errors.invalid_value(
            f"{what} is too long. Min length: 1, Max length: {limit}, Actual length: {len(value)}."
        )
    return None


def _check_buttons(action: dict[str, Any]) -> GraphError | None:
    buttons = action.get("buttons")
    if not isinstance(buttons, list):
        if "buttons" in action or "sections" in action:
            return None
        return errors.invalid_parameter(
            "The parameter interactive['action']['buttons'] is required.",
            "(#100) The parameter interactive['action']['buttons'] is required.",
        )
    if not BUTTONS_MIN <= len(buttons) <= BUTTONS_MAX:
        return errors.invalid_value(
            f"Reply buttons: between {BUTTONS_MIN} and {BUTTONS_MAX} buttons are allowed, "
            f"got {len(buttons)}."
        )
    titles: list[str] = []
    ids: list[str] = []
    for index, button in enumerate(buttons):
        reply = button.get("reply") if isinstance(button, dict) else None
        if not isinstance(reply, dict):
            continue
        title, button_id = reply.get("title"), reply.get("id")
        problem = _text_length(
            title, BUTTON_TITLE_MAX, f"Button title (buttons[{index}])"
        ) or _text_length(button_id, BUTTON_ID_MAX, f"Button id (buttons[{index}])")
        if problem:
            return problem
        if isinstance(title, str):
            titles.append(title.strip())
        if isinstance(button_id, str):
            ids.append(button_id.strip())
    if len(set(titles)) != len(titles):
        return errors.invalid_value("Button titles must be unique.")
    if len(set(ids)) != len(ids):
        return errors.invalid_value("Button ids must be unique.")
    return None


def _check_list(action: dict[str, Any]) -> GraphError | None:
    problem = _text_length(action.get("button"), LIST_BUTTON_MAX, "List button label")
    if problem:
        return problem
    sections = action.get("sections")
    if not isinstance(sections, list):
        return None
    if len(sections) > SECTIONS_MAX:
        return errors.invalid_value(
            f"Too many sections: at most {SECTIONS_MAX} are allowed, got {len(sections)}."
        )
    rows = [
        row
        for section in sections
        if isinstance(section, dict) and isinstance(section.get("rows"), list)
        for row in section["rows"]
    ]
    if len(rows) > ROWS_MAX:
        return errors.invalid_value(f"Total row count exceed max allowed count: {ROWS_MAX}")
    if not rows:
        return errors.invalid_value("A list message needs at least one row.")
    for index, section in enumerate(sections):
        if not isinstance(section, dict):
            continue
        title = section.get("title")
        if len(sections) > 1 and not title:
            return errors.invalid_value(
                f"Section title (sections[{index}]) is required when there is more than one "
                "section."
            )
        if title is not None and (
            problem := _text_length(title, SECTION_TITLE_MAX, "Section title")
        ):
            return problem
    row_ids: list[str] = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            continue
        problem = (
            _text_length(row.get("title"), ROW_TITLE_MAX, f"Row title (row {index})")
            or _text_length(row.get("id"), ROW_ID_MAX, f"Row id (row {index})")
            or (
                _text_length(
                    row["description"], ROW_DESCRIPTION_MAX, f"Row description (row {index})"
                )
                if "description" in row
                else None
            )
        )
        if problem:
            return problem
        if isinstance(row.get("id"), str):
            row_ids.append(row["id"])
    if len(set(row_ids)) != len(row_ids):
        return errors.invalid_value("Row ids must be unique.")
    return None
