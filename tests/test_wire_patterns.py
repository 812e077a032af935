"""The string patterns the OpenAPI document publishes refuse the same strings in every engine.

Python's ``re``, pydantic's Rust engine and ECMAScript (API clients, schemathesis) disagree on
what ``\\s`` matches; a pattern that leaves it to them accepts in one place what the API refuses
in another (CI once generated ``"ã\\x85±\\x16@Ü"``, a schema-valid address pydantic rejected).
"""

from __future__ import annotations

import re
from typing import Annotated

import pytest
from pydantic import StringConstraints, TypeAdapter, ValidationError

from pytake_daemon.protocol.common import EMAIL_PATTERN, HTTPS_URL_PATTERN, NO_BLANK_PATTERN

# Every character some engine counts as blank, and the controls around them.
_DISPUTED = ["\x85", "\x1c", "\x1f", "\ufeff", "\xa0", "\u2028", "\x00", "\x7f", "\x9f", "\t", " "]


def _pydantic_accepts(pattern: str, value: str) -> bool:
    adapter: TypeAdapter[str] = TypeAdapter(Annotated[str, StringConstraints(pattern=pattern)])
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("blank", _DISPUTED, ids=[f"U+{ord(c):04X}" for c in _DISPUTED])
@pytest.mark.parametrize(
    ("pattern", "template"),
    [
        (EMAIL_PATTERN, "an{}a@example.com"),
        (EMAIL_PATTERN, "ana@exa{}mple.com"),
        (NO_BLANK_PATTERN, "wamid.{}HBg"),
        (HTTPS_URL_PATTERN, "https://cdn.example.com/{}a.png"),
    ],
)
def test_a_blank_or_control_character_is_refused_by_both_engines(
    pattern: str, template: str, blank: str
) -> None:
    value = template.format(blank)
    assert re.fullmatch(pattern, value) is None
    assert not _pydantic_accepts(pattern, value)


@pytest.mark.parametrize(
    ("pattern", "value"),
    [
        (EMAIL_PATTERN, "ana.souza+suporte@exemplo.com.br"),
        (EMAIL_PATTERN, "joão@exemplo.com"),
        (NO_BLANK_PATTERN, "wamid.HBgLNTUxMTk5OTk5OTk5FQIAEhggQUFBQQ=="),
        (HTTPS_URL_PATTERN, "https://cdn.example.com/a.png?x=1"),
    ],
)
def test_ordinary_values_are_accepted_by_both_engines(pattern: str, value: str) -> None:
    assert re.fullmatch(pattern, value) is not None
    assert _pydantic_accepts(pattern, value)
