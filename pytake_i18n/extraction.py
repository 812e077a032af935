"""What each package's pybabel extraction method starts from: Babel's own Python extraction,
typed as an extraction method's items (each package then adds the texts only it can find)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from io import BytesIO
from typing import Any, cast

from babel.messages.extract import extract_python

Extracted = tuple[int, str | None, str | tuple[str, ...], list[str]]
"""(line, function, message, comments): what pybabel wants from an extraction method."""


def python_messages(
    source: bytes,
    keywords: Mapping[str, Any],
    comment_tags: Sequence[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    # Babel's stub types the items as (line, message, comments, context); at run time they are
    # (line, function, message, comments), which is what an extraction method yields.
    found = extract_python(BytesIO(source), keywords, comment_tags, options)  # type: ignore[arg-type]
    return cast("Iterator[Extracted]", found)
