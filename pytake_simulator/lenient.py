"""What Meta's servers accept although the OpenAPI contract forbids it.

A send is validated in the normalised form this module makes, so the contract's schema stays
Meta's documented one while the simulator answers like the real servers. Each case is listed in
docs/simulator.md ("Accepted beyond the contract"); the business's original body is what the
simulator records.
"""

from __future__ import annotations

from typing import Any


def normalise_send(body: dict[str, Any]) -> dict[str, Any]:
    """The body as Meta's servers read it: ``null`` for an optional field means "absent"
    (SDKs serialise unset optionals as null, e.g. a contact's ``birthday``), and template
    component ``type``s may be upper case (``"BODY"``, as in template definitions)."""
    cleaned: dict[str, Any] = _without_nulls(body)
    template = cleaned.get("template")
    if isinstance(template, dict) and isinstance(template.get("components"), list):
        template["components"] = [_lower_type(c) for c in template["components"]]
    return cleaned


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _lower_type(component: Any) -> Any:
    if isinstance(component, dict) and isinstance(component.get("type"), str):
        return {**component, "type": component["type"].lower()}
    return component
