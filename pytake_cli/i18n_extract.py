"""pybabel's extraction method for the CLI (``pytake_cli/locale/babel.cfg``).

Babel's Python extraction finds the ``_()`` messages; the help texts are plain literals and
docstrings that Typer gathers into the command tree, so the tree itself is read once, when the
entry module (``main.py``) is extracted: every text ``--help`` can show, and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any

from pytake_i18n.extraction import Extracted, python_messages


def extract(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Sequence[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Babel's Python extraction, plus the command tree's help texts for ``main.py``."""
    source = fileobj.read()
    yield from python_messages(source, keywords, comment_tags, options)
    if getattr(fileobj, "name", "").endswith("pytake_cli/main.py"):
        import typer

        from pytake_cli.i18n import help_texts
        from pytake_cli.main import app

        for text in dict.fromkeys(help_texts(typer.main.get_command(app))):
            yield 0, None, text, []
