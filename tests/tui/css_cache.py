"""One parse of each stylesheet per test process, not one per app.

Every console test starts a new ``PyTakeApp``, and Textual parses all of its CSS again (the
app's, every screen's ``.tcss`` and every widget's ``DEFAULT_CSS``): its parse cache belongs to
one ``Stylesheet``. Parsing is a pure function of the CSS and the theme's variables, so the
rules are shared here between the apps of one process, keyed on both. Textual never changes a
parsed rule set (a new theme parses again, into a new ``Stylesheet``), which is what makes
sharing them safe. It saves a seventh of the console tests' time (docs/testing.md, "The
suite's time").
"""

from __future__ import annotations

from typing import Any

from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet

_RULES: dict[tuple[Any, ...], list[RuleSet]] = {}
_parse_rules = Stylesheet._parse_rules


def _shared_parse_rules(
    self: Stylesheet,
    css: str,
    read_from: Any,
    is_default_rules: bool = False,
    tie_breaker: int = 0,
    scope: str = "",
) -> list[RuleSet]:
    key = (css, read_from, is_default_rules, tie_breaker, scope, tuple(self._variables.items()))
    rules = _RULES.get(key)
    if rules is None:
        rules = _parse_rules(self, css, read_from, is_default_rules, tie_breaker, scope)
        _RULES[key] = rules
    return rules


def share_parsed_css() -> None:
    # Textual has no setting for a cache shared between apps: replacing the method is the whole
    # mechanism, and mypy refuses assignments to methods unless told this one is meant.
    Stylesheet._parse_rules = _shared_parse_rules  # type: ignore[method-assign]
