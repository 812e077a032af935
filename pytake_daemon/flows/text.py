"""Text as customers type it: matching that ignores case and accents, and ``{{variables}}``."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"{{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*}}")


def fold(text: str) -> str:
    """Lower-case, without accents and surrounding spaces: "Olá " and "ola" are equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def render(template: str, values: Mapping[str, Any]) -> str:
    """Replace ``{{name}}`` by its value; unknown names become empty (a customer never sees
    raw braces)."""

    def value(match: re.Match[str]) -> str:
        found = values.get(match.group(1))
        return "" if found is None else str(found)

    return _PLACEHOLDER.sub(value, template)


def render_json(data: Any, values: Mapping[str, Any]) -> Any:
    """``render`` applied to every string inside a JSON value."""
    if isinstance(data, str):
        return render(data, values)
    if isinstance(data, list):
        return [render_json(item, values) for item in data]
    if isinstance(data, dict):
        return {key: render_json(item, values) for key, item in data.items()}
    return data


def dig(data: Any, path: str) -> Any:
    """The value at a dotted path (``order.items.0.name``) of a JSON value, or ``None``."""
    current = data
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current
