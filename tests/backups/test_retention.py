"""Retention keeps exactly the last N plus the newest backup of each recent day/week/month."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from pytake_daemon.backups.retention import Retention, kept_ids, to_prune
from pytake_daemon.protocol.backups import BackupManifest


def _manifest(at: datetime, tenant: uuid.UUID | None = None) -> BackupManifest:
    return BackupManifest(
        id=f"{at:%Y%m%dT%H%M}-{tenant or 'full'}",
        scope="tenant" if tenant else "full",
        tenant_id=tenant,
        created_at=at,
        finished_at=at,
        duration_seconds=1,
        schema_version=7,
        postgres_version="15.8",
        payload="tar-copy-csv" if tenant else "pg_dump-custom",
        recipients=["age1x"],
        payload_bytes=1,
        payload_sha256="0",
        stored_bytes=1,
        stored_sha256="0",
        tables=[],
    )


def test_grandfather_father_son_keeps_exactly_the_expected_set() -> None:
    # Four backups a day (00, 06, 12, 18 h) for 70 days ending Wednesday 2024-03-13.
    end = datetime(2024, 3, 13, 18, tzinfo=UTC)
    backups = [_manifest(end - timedelta(hours=6 * i)) for i in range(4 * 70)]
    policy = Retention(keep_last=3, keep_daily=3, keep_weekly=2, keep_monthly=3)
    kept = kept_ids(backups, policy)
    expected = {
        "20240313T1800",  # last 3
        "20240313T1200",
        "20240313T0600",
        "20240312T1800",  # daily: newest of 13th (already), 12th, 11th
        "20240311T1800",
        "20240310T1800",  # weekly: ISO week 11 (13th, kept) and week 10: Sunday 10th
        "20240229T1800",  # monthly: March (13th), February (29th), January (31st)
        "20240131T1800",
    }
    assert kept == {f"{e}-full" for e in expected}
    assert len(to_prune(backups, policy)) == len(backups) - len(expected)


def test_each_tenant_is_judged_on_its_own() -> None:
    end = datetime(2024, 3, 13, tzinfo=UTC)
    a, b = uuid.uuid4(), uuid.uuid4()
    backups = [_manifest(end - timedelta(days=i), t) for i in range(5) for t in (a, b, None)]
    policy = Retention(keep_last=2, keep_daily=0, keep_weekly=0, keep_monthly=0)
    dropped = to_prune(backups, policy)
    assert len(dropped) == 9
    assert {m.tenant_id for m in dropped} == {a, b, None}
