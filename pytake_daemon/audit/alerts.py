"""Security rules run on each new audit entry, in the same transaction.

An alert is stored with the ids of the entries behind it and a dedupe key, so one burst (ten
failed logins) raises one alert per window rather than one per attempt.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from pytake_daemon.audit import alert_context as context
from pytake_daemon.audit import db
from pytake_daemon.audit.chain import EntryLike
from pytake_daemon.config import AuditSettings
from pytake_daemon.db.pool import Connection
from pytake_daemon.i18n import _
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.audit import AlertKind, SecurityAlertOut, Severity

LOGIN = "auth.login"
LOGIN_FAILED = "auth.login_failed"
ROLE_CHANGE = "user.role_change"
TOKEN_CREATE = "token.create"  # noqa: S105 - an action name, not a secret
_NOT_ADMIN_WORK = {LOGIN, LOGIN_FAILED, "auth.logout"}
_DELETION_SUFFIXES = (".delete", ".remove", ".revoke", ".disable")


def is_export(action: str) -> bool:
    return action.endswith(".export")


def is_deletion(entry: EntryLike) -> bool:
    return entry["method"] == "DELETE" or str(entry["action"]).endswith(_DELETION_SUFFIXES)


def _bucket(at: datetime, seconds: int) -> int:
    return int(at.timestamp()) // seconds


class _Raiser:
    def __init__(self, conn: Connection, entry: EntryLike) -> None:
        self.conn = conn
        self.entry = entry
        self.raised: list[SecurityAlertOut] = []

    async def __call__(
        self,
        kind: AlertKind,
        severity: Severity,
        subject: str,
        summary: str,
        evidence: list[uuid.UUID],
        dedupe: str,
    ) -> None:
        if self.entry["id"] not in evidence:
            evidence = [self.entry["id"], *evidence]
        alert = await db.insert_alert(
            self.conn,
            kind=kind.value,
            severity=severity.value,
            subject=subject,
            summary=summary,
            entry_ids=evidence,
            dedupe_key=f"{kind.value}:{dedupe}",
        )
        if alert is not None:
            self.raised.append(alert)


async def evaluate(
    conn: Connection, entry: EntryLike, settings: AuditSettings
) -> list[SecurityAlertOut]:
    """Alerts that ``entry`` (just appended) raises; already-raised bursts are not repeated."""
    raise_ = _Raiser(conn, entry)
    action, at = str(entry["action"]), entry["at"]
    if action == LOGIN_FAILED:
        await _brute_force(conn, entry, settings, raise_)
    elif action == LOGIN and entry["outcome"] == "success":
        await _login_anomalies(conn, entry, settings, raise_)
    if entry["outcome"] != "success" or entry["actor_type"] != "user":
        return raise_.raised
    role = entry["actor_role"]
    admin_work = role in (Role.ADMIN, Role.OWNER) and action not in _NOT_ADMIN_WORK
    if (
        admin_work
        and not context.first_hours(entry)
        and not await context.business_time(conn, at, settings)
    ):
        actor = await context.actor_name(conn, entry)
        target = await context.target_name(conn, entry)
        did = f"{action} ({target})" if target else action
        await raise_(
            AlertKind.OFF_HOURS_ADMIN,
            Severity.WARNING,
            actor,
            _(
                "{role} {actor} did {action} outside business hours",
                role=role,
                actor=actor,
                action=did,
            ),
            [],
            f"{entry['actor_id']}:{_bucket(at, 3600)}",
        )
    if is_export(action) or is_deletion(entry):
        await _mass_action(conn, entry, settings, raise_)
    if action == ROLE_CHANGE:
        role_diff = (entry["diff"] or {}).get("role") or {}
        before, after = role_diff.get("before"), role_diff.get("after")
        if before in set(Role) and after in set(Role) and Role(after).rank > Role(before).rank:
            actor = await context.actor_name(conn, entry)
            raised = await context.user_email(conn, entry["target_id"])
            await raise_(
                AlertKind.ROLE_ESCALATION,
                Severity.CRITICAL,
                raised,
                _(
                    "{actor} raised {user} from {before} to {after}",
                    actor=actor,
                    user=raised,
                    before=before,
                    after=after,
                ),
                [],
                str(entry["id"]),
            )
    if action == TOKEN_CREATE:
        actor = await context.actor_name(conn, entry)
        # The name inside the sentence, so a translation words the whole of it.
        name = await context.api_token_name(conn, entry)
        await raise_(
            AlertKind.TOKEN_CREATED,
            Severity.INFO,
            actor,
            _("{actor} created the API token “{name}”", actor=actor, name=name)
            if name
            else _("{actor} created an API token", actor=actor),
            [],
            str(entry["id"]),
        )
    return raise_.raised


async def _brute_force(
    conn: Connection, entry: EntryLike, settings: AuditSettings, raise_: _Raiser
) -> None:
    window = settings.brute_force_window_seconds
    since = entry["at"] - timedelta(seconds=window)
    bucket = _bucket(entry["at"], window)
    target = entry["target_id"]
    if target is not None:
        ids = await db.recent_entry_ids(conn, [LOGIN_FAILED], since, target_id=target)
        if len(ids) >= settings.brute_force_failures_per_user:
            who = entry["actor_label"] or target
            await raise_(
                AlertKind.BRUTE_FORCE_USER,
                Severity.CRITICAL,
                who,
                _("{n} failed logins for {who} in {window} s", n=len(ids), who=who, window=window),
                ids,
                f"{target}:{bucket}",
            )
    if entry["ip"] is not None:
        ids = await db.recent_entry_ids(conn, [LOGIN_FAILED], since, ip=entry["ip"])
        if len(ids) >= settings.brute_force_failures_per_ip:
            await raise_(
                AlertKind.BRUTE_FORCE_IP,
                Severity.CRITICAL,
                entry["ip"],
                _(
                    "{n} failed logins from {ip} in {window} s",
                    n=len(ids),
                    ip=entry["ip"],
                    window=window,
                ),
                ids,
                f"{entry['ip']}:{bucket}",
            )


async def _login_anomalies(
    conn: Connection, entry: EntryLike, settings: AuditSettings, raise_: _Raiser
) -> None:
    user_id = entry["actor_id"]
    if user_id is None:
        return
    history = await db.login_history(
        conn,
        user_id,
        entry["at"] - timedelta(days=settings.login_history_days),
        entry["ip"],
        entry["at"].hour,
        entry["id"],
    )
    who = entry["actor_label"] or str(user_id)
    if history["logins"] > 0 and history["from_ip"] == 0 and entry["ip"] is not None:
        await raise_(
            AlertKind.NEW_IP,
            Severity.WARNING,
            who,
            _("{who} logged in from a new address {ip}", who=who, ip=entry["ip"]),
            [],
            f"{user_id}:{entry['ip']}",
        )
    if history["logins"] >= settings.unusual_hour_min_logins and history["near_hour"] == 0:
        await raise_(
            AlertKind.UNUSUAL_HOUR,
            Severity.WARNING,
            who,
            _(
                "{who} logged in at {time} UTC, an hour they never use",
                who=who,
                time=f"{entry['at']:%H:%M}",
            ),
            [],
            str(entry["id"]),
        )


async def _mass_action(
    conn: Connection, entry: EntryLike, settings: AuditSettings, raise_: _Raiser
) -> None:
    window = settings.mass_action_window_seconds
    since = entry["at"] - timedelta(seconds=window)
    export = is_export(str(entry["action"]))
    rows = await db.recent_entry_ids(
        conn,
        [str(entry["action"])],
        since,
        actor_id=entry["actor_id"],
    )
    if len(rows) < settings.mass_action_threshold:
        return
    who = await context.actor_name(conn, entry)
    kind = AlertKind.MASS_EXPORT if export else AlertKind.MASS_DELETION
    await raise_(
        kind,
        Severity.CRITICAL,
        who,
        _(
            "{who} did {action} {n} times in {window} s",
            who=who,
            action=entry["action"],
            n=len(rows),
            window=window,
        ),
        rows,
        f"{entry['actor_id']}:{entry['action']}:{_bucket(entry['at'], window)}",
    )
