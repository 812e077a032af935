"""Which backups retention keeps: the last N, plus grandfather-father-son (the newest backup of
each of the last D days, W ISO weeks and M months that have one). Pure, so it is tested alone."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime

from pytake_daemon.protocol.backups import BackupManifest


@dataclass(frozen=True)
class Retention:
    keep_last: int
    keep_daily: int
    keep_weekly: int
    keep_monthly: int


def _newest_per_period(
    newest_first: list[BackupManifest], period: Callable[[datetime], Hashable], count: int
) -> set[str]:
    kept: set[str] = set()
    seen: set[Hashable] = set()
    for manifest in newest_first:
        key = period(manifest.created_at)
        if key in seen:
            continue
        if len(seen) == count:
            break
        seen.add(key)
        kept.add(manifest.id)
    return kept


def kept_ids(backups: Iterable[BackupManifest], policy: Retention) -> set[str]:
    """The ids to keep among backups of one scope (full, or one tenant's)."""
    newest_first = sorted(backups, key=lambda m: m.created_at, reverse=True)
    kept = {m.id for m in newest_first[: policy.keep_last]}
    kept |= _newest_per_period(newest_first, lambda t: t.date(), policy.keep_daily)
    kept |= _newest_per_period(newest_first, lambda t: t.isocalendar()[:2], policy.keep_weekly)
    kept |= _newest_per_period(newest_first, lambda t: (t.year, t.month), policy.keep_monthly)
    return kept


def to_prune(backups: Iterable[BackupManifest], policy: Retention) -> list[BackupManifest]:
    """Backups retention drops, each scope (full; each tenant) judged on its own."""
    groups: dict[object, list[BackupManifest]] = {}
    for manifest in backups:
        groups.setdefault(manifest.tenant_id, []).append(manifest)
    drop = []
    for members in groups.values():
        keep = kept_ids(members, policy)
        drop += [m for m in members if m.id not in keep]
    return sorted(drop, key=lambda m: m.created_at)
