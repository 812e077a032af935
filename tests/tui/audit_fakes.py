"""A tenant's audit log in memory, served by a scripted client, for the audit screen's tests.

The client answers as the daemon does (filters, newest first, cursor pages, hourly or daily
counts) and records every query it was asked, so tests can check what the filters sent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable

from pytake_daemon.protocol import EventEnvelope, Role, UserList, UserOut
from pytake_daemon.protocol.audit import (
    ActorType,
    AlertKind,
    AlertList,
    AuditCount,
    AuditCounts,
    AuditCountsQuery,
    AuditEntryOut,
    AuditList,
    AuditQuery,
    Outcome,
    SecurityAlertOut,
    SecurityAlertRaised,
    Severity,
    TrendList,
    TrendOut,
)
from pytake_tui import PyTakeApp, build_app
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.screens.audit import AuditScreen

from .chat_support import SERVER
from .fake_daemon import ScriptedClient, hello_envelope
from .helpers import wait_until
from .identities import ALICE_EMAIL, FAR_FUTURE, FIXED_AT, TENANT_ID

ANA = uuid.UUID("00000000-0000-4000-8000-00000000a001")
BRUNO = uuid.UUID("00000000-0000-4000-8000-00000000a002")
CARLA = uuid.UUID("00000000-0000-4000-8000-00000000a003")
FLOW = uuid.UUID("00000000-0000-4000-8000-00000000f101")
CONVERSATION = uuid.UUID("00000000-0000-4000-8000-00000000c101")


def _id(n: int) -> uuid.UUID:
    return uuid.UUID(f"00000000-0000-4000-8000-{n:012x}")


def entry(
    seq: int,
    action: str,
    *,
    ago: timedelta,
    actor: tuple[uuid.UUID | None, str | None, str | None] = (ANA, "ana@acme.test", "admin"),
    actor_type: ActorType = ActorType.USER,
    target: tuple[str | None, str | None] = (None, None),
    outcome: Outcome = Outcome.SUCCESS,
    status: int | None = 200,
    route: str | None = None,
    diff: dict[str, Any] | None = None,
) -> AuditEntryOut:
    method, _, path = (route or "").partition(" ")
    return AuditEntryOut(
        id=_id(seq),
        seq=seq,
        at=FIXED_AT - ago,
        actor_type=actor_type,
        actor_id=actor[0],
        actor_label=actor[1],
        actor_role=actor[2],
        action=action,
        target_type=target[0],
        target_id=target[1],
        outcome=outcome,
        ip="203.0.113.7",
        user_agent="pytake-tui/0.9",
        request_id=f"req-{seq:04d}",
        method=method or None,
        route=path or None,
        status=status,
        diff=diff,
        prev_hash=f"{seq - 1:064x}",
        hash=f"{seq:064x}",
    )


def demo_entries() -> list[AuditEntryOut]:
    """A morning of a support tenant: logins (one user mistyping), a flow published, a
    conversation transferred, a role change, a phone removed, a refused call, an export."""
    bruno = (BRUNO, "bruno@acme.test", "agent")
    carla = (CARLA, "carla@acme.test", "supervisor")
    entries = [
        entry(1, "auth.login", ago=timedelta(hours=20), actor=carla, target=("user", str(CARLA))),
        entry(
            2,
            "auth.login_failed",
            ago=timedelta(hours=3, minutes=2),
            actor=(None, "bruno@acme.test", None),
            actor_type=ActorType.ANONYMOUS,
            outcome=Outcome.FAILURE,
            status=401,
        ),
        entry(
            3,
            "auth.login_failed",
            ago=timedelta(hours=3, minutes=1),
            actor=(None, "bruno@acme.test", None),
            actor_type=ActorType.ANONYMOUS,
            outcome=Outcome.FAILURE,
            status=401,
        ),
        entry(4, "auth.login", ago=timedelta(hours=3), actor=bruno, target=("user", str(BRUNO))),
        entry(5, "auth.login", ago=timedelta(hours=1, minutes=30), target=("user", str(ANA))),
        entry(
            6,
            "flow.publish",
            ago=timedelta(hours=1, minutes=10),
            target=("flow", str(FLOW)),
            route="POST /api/v1/flows/{id}/publish",
            diff={
                "status": {"before": "draft", "after": "published"},
                "version": {"before": 3, "after": 4},
                "published_at": {"before": None, "after": "2025-03-14T08:16:53Z"},
            },
        ),
        entry(
            7,
            "conversation.transfer",
            ago=timedelta(minutes=40),
            actor=carla,
            target=("conversation", str(CONVERSATION)),
            diff={
                "agent_id": {"before": str(BRUNO), "after": str(CARLA)},
                "queue_id": {"before": None, "after": "sales"},
            },
        ),
        entry(
            8,
            "user.role_change",
            ago=timedelta(minutes=25),
            target=("user", str(BRUNO)),
            diff={"role": {"before": "agent", "after": "supervisor"}},
        ),
        entry(
            9,
            "user.update",
            ago=timedelta(minutes=20),
            target=("user", str(CARLA)),
            diff={"phone": {"before": "+5511999990003", "after": None}},
        ),
        entry(
            10,
            "POST /api/v1/users",
            ago=timedelta(minutes=12),
            actor=(BRUNO, None, "agent"),  # the middleware's record: the id, no label
            outcome=Outcome.DENIED,
            status=403,
            route="POST /api/v1/users",
        ),
        entry(
            11,
            "audit.export",
            ago=timedelta(minutes=5),
            target=("audit", None),
            diff={"format": {"before": None, "after": "csv"}},
        ),
    ]
    return sorted(entries, key=lambda e: e.seq, reverse=True)


def many_entries(count: int) -> list[AuditEntryOut]:
    """``count`` logins a minute apart, newest first (for paging)."""
    return [
        entry(seq, "auth.login", ago=timedelta(minutes=count - seq), target=("user", str(ANA)))
        for seq in range(count, 0, -1)
    ]


def alert(n: int, summary: str, *, ago: timedelta, entries: list[int]) -> SecurityAlertOut:
    return SecurityAlertOut(
        id=_id(0xA1E000 + n),
        at=FIXED_AT - ago,
        kind=AlertKind.BRUTE_FORCE_USER,
        severity=Severity.WARNING,
        subject="bruno@acme.test",
        summary=summary,
        entry_ids=[_id(seq) for seq in entries],
    )


def demo_alerts() -> list[SecurityAlertOut]:
    return [alert(1, "2 failed logins for bruno@acme.test", ago=timedelta(hours=3), entries=[2, 3])]


def demo_trends() -> list[TrendOut]:
    return [
        TrendOut(action="user.update", current=6, baseline=1.0, ratio=6.0, spike=True),
        TrendOut(action="audit.export", current=1, baseline=0.0, ratio=None, spike=False),
    ]


def alert_envelope(seq: int, raised: SecurityAlertOut) -> EventEnvelope:
    return EventEnvelope(
        seq=seq, tenant_id=TENANT_ID, at=raised.at, event=SecurityAlertRaised(alert=raised)
    )


@dataclass
class AuditLog:
    """The entries, alerts and trends the fake daemon serves; tests add to them."""

    entries: list[AuditEntryOut] = field(default_factory=list)
    alerts: list[SecurityAlertOut] = field(default_factory=list)
    trends: list[TrendOut] = field(default_factory=list)
    queries: list[AuditQuery] = field(default_factory=list)
    counts_queries: list[AuditCountsQuery] = field(default_factory=list)
    users: list[UserOut] = field(default_factory=list)
    refusal: DaemonError | None = None
    """When set, the entries route answers with it (as the daemon's Problem would)."""

    def add(self, new: AuditEntryOut) -> None:
        self.entries.insert(0, new)


def _matches(item: AuditEntryOut, query: AuditQuery, users: list[UserOut]) -> bool:
    if query.actor is not None:
        by_email = {u.id for u in users if u.email.lower() == query.actor.lower()}
        if query.actor not in (str(item.actor_id), item.actor_label) and (
            item.actor_id not in by_email
        ):
            return False
    if query.action is not None:
        prefix = query.action.endswith(".")
        if not (item.action.startswith(query.action) if prefix else item.action == query.action):
            return False
    if query.target is not None and item.target_id != query.target:
        return False
    if query.outcome is not None and item.outcome is not query.outcome:
        return False
    if query.since is not None and item.at < query.since:
        return False
    if query.text is not None:
        fields = (item.action, item.actor_label, item.target_id, item.route)
        if not any(query.text.lower() in (f or "").lower() for f in fields):
            return False
    return True


class AuditClient(ScriptedClient):
    """The scripted client with the audit routes answered from an :class:`AuditLog`."""

    def __init__(
        self, server: str, log: AuditLog, envelopes: list[EventEnvelope] | None = None
    ) -> None:
        super().__init__(server, envelopes or [hello_envelope(1)])
        self.log = log

    async def audit_entries(self, query: AuditQuery) -> AuditList:
        self.log.queries.append(query)
        if self.log.refusal is not None:
            raise self.log.refusal
        before = int(query.cursor) if query.cursor else None
        found = [
            e
            for e in self.log.entries
            if _matches(e, query, self.log.users) and (before is None or e.seq < before)
        ]
        page = found[: query.limit]
        more = len(found) > query.limit
        return AuditList(items=page, next_cursor=str(page[-1].seq) if more else None)

    async def users(self) -> UserList:
        return UserList(items=self.log.users)

    async def audit_entry(self, entry_id: uuid.UUID) -> AuditEntryOut:
        found = next((e for e in self.log.entries if e.id == entry_id), None)
        if found is None:
            raise DaemonError(404, "Not Found", "no such audit entry")
        return found

    async def audit_counts(self, query: AuditCountsQuery) -> AuditCounts:
        self.log.counts_queries.append(query)
        assert query.since is not None
        assert query.until is not None
        buckets: dict[datetime, AuditCount] = {}
        for e in self.log.entries:
            if not query.since <= e.at < query.until:
                continue
            at = e.at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
            if query.bucket == "day":
                at = at.replace(hour=0)
            seen = buckets.get(at, AuditCount(bucket=at, count=0, failures=0))
            failed = int(e.outcome is not Outcome.SUCCESS)
            buckets[at] = AuditCount(
                bucket=at, count=seen.count + 1, failures=seen.failures + failed
            )
        return AuditCounts(bucket=query.bucket, items=[buckets[k] for k in sorted(buckets)])

    async def security_alerts(self, limit: int = 50) -> AlertList:
        return AlertList(items=self.log.alerts[:limit])

    async def audit_trends(self) -> TrendList:
        return TrendList(
            window_start=FIXED_AT - timedelta(hours=1),
            window_end=FIXED_AT,
            weeks=4,
            items=self.log.trends,
        )


def audit_app(
    tmp: Path, log: AuditLog, *, envelopes: list[EventEnvelope] | None = None
) -> PyTakeApp:
    """An owner's app resumed from a saved session, on ``log``, with the clock at FIXED_AT."""
    credentials = tmp / "config" / "credentials.json"
    CredentialStore(credentials).save(
        SavedSession(server=SERVER, token="saved", expires_at=FAR_FUTURE, email=ALICE_EMAIL)
    )

    def client(server: str) -> DaemonClient:
        return AuditClient(server, log, envelopes)

    return build_app(
        server=SERVER,
        credentials_path=credentials,
        client_factory=client,
        clock=lambda: FIXED_AT,
        downloads_dir=tmp / "downloads",
    )


def demo_users() -> list[UserOut]:
    return [
        UserOut(
            id=user_id,
            email=f"{name}@acme.test",
            name=name.title(),
            role=role,
            disabled=False,
            created_at=FIXED_AT - timedelta(days=90),
        )
        for user_id, name, role in (
            (ANA, "ana", Role.ADMIN),
            (BRUNO, "bruno", Role.AGENT),
            (CARLA, "carla", Role.SUPERVISOR),
        )
    ]


def demo_log() -> AuditLog:
    return AuditLog(
        entries=demo_entries(), alerts=demo_alerts(), trends=demo_trends(), users=demo_users()
    )


# Driving the screen


async def open_audit(pilot: Pilot[Any], rows: int) -> AuditScreen:
    """Press f7 and wait for ``rows`` entries in the table (or the empty notice)."""
    app = pilot.app
    assert isinstance(app, PyTakeApp)
    await wait_until(pilot, lambda: app.me is not None, "the session")
    await pilot.press("f7")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, AuditScreen), "the audit screen")
    screen = pilot.app.screen
    assert isinstance(screen, AuditScreen)
    await wait_until(pilot, lambda: table(screen).row_count == rows, f"{rows} rows")
    await settle(pilot)
    return screen


def table(screen: AuditScreen) -> DataTable[Any]:
    return screen.query_one("#audit-table", DataTable)


def actions(screen: AuditScreen) -> list[str]:
    return [e.action for e in screen.entries]


async def settle(pilot: Pilot[Any]) -> None:
    """Wait for the audit screen's requests and for what they posted back to be shown (the
    app's event stream is a worker too, one that never ends)."""

    def idle() -> bool:
        return not any(isinstance(w.node, AuditScreen) and w.is_running for w in pilot.app.workers)

    await wait_until(pilot, idle, "the audit screen's requests")
    await pilot.pause()
    await pilot.pause()
