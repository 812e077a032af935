"""Settle catalogs after `pybabel update`: English filled from the source, headers not fuzzy.

The messages are written in English, so the English entry of a msgid is the msgid itself;
filling it keeps the guard's rule (no empty entry in any catalog) uniform instead of excusing
one language. `pybabel init` marks a new catalog's header fuzzy, which makes `pybabel compile`
skip the whole file, so the header flag is cleared here (a translator's review is the entries').
Run by `scripts/i18n.sh update`: `python -m pytake_i18n.source_catalog PO...`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

SOURCE_LANGUAGE = "en"


def settle(po_path: Path) -> int:
    """Clear the header's fuzzy flag; in the source language fill empty entries. Returns fills."""
    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    catalog.fuzzy = False
    filled = 0
    if str(catalog.locale) == SOURCE_LANGUAGE:
        for message in catalog:
            if not message.id:
                continue
            if message.fuzzy:
                # A guess from pybabel for the source language: the source text is the answer.
                message.flags.discard("fuzzy")
                message.string = (
                    (message.id[0], message.id[1]) if isinstance(message.id, tuple | list) else ""
                )
            if isinstance(message.id, tuple | list):
                current = message.string if isinstance(message.string, tuple | list) else ()
                if not all(current):
                    # English has two forms: one, other.
                    message.string = (message.id[0], message.id[1])
                    filled += 1
            elif not message.string:
                message.string = message.id
                filled += 1
    with po_path.open("wb") as handle:
        # The same layout as scripts/i18n.sh's pybabel calls: sorted, file-only locations,
        # no wrapping, so the file does not churn between the two writers.
        write_po(handle, catalog, width=0, sort_output=True, include_lineno=False)
    return filled


def main(argv: list[str]) -> int:
    """Settle each .po named on the command line."""
    for name in argv:
        count = settle(Path(name))
        if count:
            print(f"{name}: {count} entries filled from the source text")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
