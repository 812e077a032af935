"""The audit log's reads stay bounded by what they return, whatever the tenant's history: the
search's filters users send, the export of a window and the alert rules' look-back, each
executed on a tenant with 30,000 entries (three weeks, one a minute), as the daemon's role under
row-level security, for the plan of the values at hand and the generic plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pytake_daemon.audit import db
from pytake_daemon.audit.alerts import LOGIN_FAILED
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.protocol import Role
from tests.conftest import MakeTenant
from tests.plans import assert_bounded, explain

HISTORY = 30_000
# Not here, and not a matter of the statement's shape (its plan for the values does it too):
# a search of a window long ago walks the chain from the newest entry, expecting the window's
# entries spread over it (923 buffers for a day two weeks back); a kind of action ("action=
# conversation.", a LIKE prefix, which audit_entries_action_idx can't serve in a non-C
# collation) is a walk of the chain or, with other tenants' entries about, a sequential scan
# (841 buffers).
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ACTIONS = ["auth.login", LOGIN_FAILED, "conversation.update", "contact.update", "user.update"]


@pytest.mark.timeout(300)
async def test_search_export_and_alert_look_back_are_bounded(
    admin_conn: Connection, app_conn: Connection, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    agent, admin = tenant[Role.AGENT], tenant[Role.ADMIN]
    # Entry g is g minutes old; the agent and the admin take turns; 50 addresses; each target
    # is touched once a day. The hashes are not checked here.
    await admin_conn.execute(
        """
        INSERT INTO audit_entries (tenant_id, seq, at, actor_type, actor_id, actor_label,
                                   action, target_type, target_id, outcome, ip, prev_hash, hash)
        SELECT $1, $2::int + 1 - g, $3::timestamptz - make_interval(mins => g), 'user',
               CASE WHEN g % 2 = 0 THEN $4::uuid ELSE $5::uuid END, NULL,
               ($6::text[])[g % 5 + 1], 'thing', 'thing-' || (g % 1440), 'success',
               '10.0.0.' || (g % 50), decode(repeat('00', 32), 'hex'),
               decode(repeat('00', 32), 'hex')
          FROM generate_series(1, $2::int) AS g
        """,
        tenant.id, HISTORY, NOW, agent.id, admin.id, ACTIONS,
    )  # fmt: skip
    await admin_conn.execute("VACUUM ANALYZE audit_entries")

    hour_ago, deep = NOW - timedelta(hours=1), HISTORY // 2
    queries: dict[str, tuple[str, list[object]]] = {
        "search, newest": db.search_statement(),
        "search, a later page": db.search_statement(before_seq=deep),
        "search, an action": db.search_statement(action=LOGIN_FAILED),
        "search, an action's page": db.search_statement(action=LOGIN_FAILED, before_seq=deep),
        "search, a person by e-mail": db.search_statement(actor=agent.email),
        "search, a target": db.search_statement(target="thing-7"),
        "search, the last hour": db.search_statement(since=hour_ago, until=NOW),
        "export, the last hour": db.range_statement(hour_ago, NOW),
        "export, since an hour": db.range_statement(hour_ago, None),
        "failed logins for a user": (
            db._RECENT_IDS, [[LOGIN_FAILED], hour_ago, "thing-7", None, None]
        ),
        "failed logins from an address": (
            db._RECENT_IDS, [[LOGIN_FAILED], hour_ago, None, "10.0.0.7", None]
        ),
        "a person's mass action": (
            db._RECENT_IDS, [["contact.update"], hour_ago, None, None, agent.id]
        ),
    }  # fmt: skip
    failures = []
    for generic in (False, True):
        for what, (sql, args) in queries.items():
            async with app_conn.transaction():
                await set_tenant(app_conn, tenant.id)
                plan = await explain(app_conn, sql, *args, generic=generic)
            try:
                assert_bounded(plan, never_scans=("audit_entries",), max_blocks=300)
            except AssertionError:
                failures.append(f"generic={generic} {what}: {plan.blocks} buffers")
    assert not failures, "\n".join(failures)
