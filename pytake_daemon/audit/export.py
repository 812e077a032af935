"""Export formats (csv, jsonl) carrying the chain data an auditor needs to re-verify offline.

Each record holds every chained field as it was hashed, plus ``prev_hash`` and ``hash`` in hex;
CSV rows add ``canonical``, the exact bytes that were hashed (CSV has no types to rebuild them).
The procedure is in docs/audit.md.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Literal

from pytake_daemon.audit.chain import CHAINED_FIELDS, EntryLike, canonical, plain

Format = Literal["csv", "jsonl"]

CSV_COLUMNS = (*CHAINED_FIELDS, "prev_hash", "hash", "canonical")
MEDIA_TYPES: dict[str, str] = {"csv": "text/csv", "jsonl": "application/x-ndjson"}


def export_record(entry: EntryLike) -> dict[str, Any]:
    record = {name: plain(entry[name]) for name in CHAINED_FIELDS}
    record["prev_hash"] = bytes(entry["prev_hash"]).hex()
    record["hash"] = bytes(entry["hash"]).hex()
    return record


def csv_header() -> bytes:
    return _csv_line(list(CSV_COLUMNS))


def render(entry: EntryLike, fmt: Format) -> bytes:
    """One exported record, newline-terminated."""
    record = export_record(entry)
    if fmt == "jsonl":
        return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
    record["canonical"] = canonical(entry).decode()
    if record["diff"] is not None:
        record["diff"] = json.dumps(record["diff"], sort_keys=True, ensure_ascii=False)
    return _csv_line(["" if record[c] is None else record[c] for c in CSV_COLUMNS])


def _csv_line(values: list[Any]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(values)
    return out.getvalue().encode()
