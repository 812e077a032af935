"""The hash chain detects every single-entry modification, deletion, insertion and swap."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pytake_daemon.audit.chain import (
    GENESIS,
    LATE_FIELDS,
    canonical,
    canonical_pieces,
    entry_hash,
    format_time,
    verify_chain,
)

TENANT = uuid.UUID("00000000-0000-4000-8000-000000000001")
START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def build_chain(n: int) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    prev = GENESIS
    for seq in range(1, n + 1):
        entry: dict[str, Any] = {
            "tenant_id": TENANT,
            "seq": seq,
            "id": uuid.UUID(int=seq),
            "at": START + timedelta(seconds=seq, microseconds=seq),
            "actor_type": "user",
            "actor_id": uuid.UUID(int=1000 + seq % 3),
            "actor_label": f"user{seq % 3}@example.test",
            "actor_role": "admin",
            "action": "user.update",
            "target_type": "user",
            "target_id": str(uuid.UUID(int=2000 + seq)),
            "outcome": "success",
            "ip": "2001:db8::1",
            "user_agent": "pytest",
            "request_id": f"req-{seq:08d}",
            "method": "PATCH",
            "route": "/api/v1/users/{id}",
            "status": 200,
            "diff": {"name": {"before": f"n{seq}", "after": f"ñ{seq}"}},
            "prev_hash": prev,
        }
        entry["hash"] = entry_hash(prev, entry)
        prev = entry["hash"]
        entries.append(entry)
    return entries


def test_an_intact_chain_verifies() -> None:
    report = verify_chain(build_chain(20))
    assert report.ok
    assert report.checked == 20
    assert report.last_seq == 20


def test_canonical_form_is_sorted_compact_utf8() -> None:
    entry = build_chain(1)[0]
    text = canonical(entry).decode()
    assert text.startswith('{"action":"user.update","actor_id":')
    assert '"at":"2025-03-01T12:00:01.000001Z"' in text
    assert "ñ1" in text
    assert ", " not in text


MUTABLE = ["action", "actor_label", "outcome", "ip", "target_id", "status", "diff", "at"]


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(min_value=2, max_value=30),
    data=st.data(),
    kind=st.sampled_from(["modify", "delete", "insert", "swap"]),
)
def test_every_single_tampering_is_detected_at_the_right_entry(
    n: int, data: st.DataObject, kind: str
) -> None:
    entries = build_chain(n)
    i = data.draw(st.integers(min_value=0, max_value=n - 1), label="index")
    if kind == "modify":
        field = data.draw(st.sampled_from(MUTABLE), label="field")
        changed = dict(entries[i])
        changed[field] = (
            changed[field] + timedelta(microseconds=1)
            if field == "at"
            else {"x": 1}
            if field == "diff"
            else 999
            if field == "status"
            else f"{changed[field]}!"
        )
        entries[i] = changed
        expected_seq = i + 1
    elif kind == "delete":
        if i == n - 1:
            i = n - 2  # a truncated tail needs a checkpoint (tested against the database)
        del entries[i]
        expected_seq = i + 2
    elif kind == "insert":
        forged = dict(entries[i])
        forged["id"] = uuid.uuid4()
        forged["action"] = "forged"
        entries.insert(i, forged)
        expected_seq = i + 1
    else:
        j = (i + 1) % n
        i, j = min(i, j), max(i, j)
        entries[i], entries[j] = entries[j], entries[i]
        expected_seq = entries[i]["seq"]
    report = verify_chain(entries)
    assert not report.ok
    assert report.broken is not None
    assert report.broken.seq == expected_seq


def test_a_rehashed_insertion_still_breaks_the_link() -> None:
    entries = build_chain(5)
    forged = dict(entries[2])
    forged["action"] = "forged"
    forged["hash"] = entry_hash(forged["prev_hash"], forged)  # the forger recomputes its hash
    entries[2] = forged
    report = verify_chain(entries)
    assert report.broken is not None
    assert report.broken.seq == 4
    assert "prev_hash" in report.broken.reason


def test_canonical_pieces_join_around_the_values_the_database_fills_in() -> None:
    entry = build_chain(1)[0]
    entry["actor_label"] = 'Zé "late-at" \\ 😀'
    pieces = canonical_pieces({k: v for k, v in entry.items() if k not in LATE_FIELDS})
    joined = b"".join(
        (
            pieces[0],
            format_time(entry["at"]).encode(),
            pieces[1],
            str(entry["seq"]).encode(),
            pieces[2],
            str(entry["tenant_id"]).encode(),
            pieces[3],
        )
    )
    assert joined == canonical(entry)
