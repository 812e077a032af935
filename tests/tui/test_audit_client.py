"""The audit client methods and the audit screen against the real daemon app: after a few
logins, a flow publish and a transfer, the screen shows who did what and the difference, and a
security alert arrives live over the WebSocket."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from pytake_daemon.app import create_app
from pytake_daemon.attendance import entry
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection, tenant_transaction
from pytake_daemon.effects import Effects
from pytake_daemon.keys import DB_POOL, QUEUES, SECRET_BOX
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.audit import (
    AlertKind,
    AuditCountsQuery,
    AuditEntryOut,
    AuditQuery,
    Outcome,
)
from pytake_daemon.protocol.queues import QueueOut
from pytake_tui import build_app
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.screens.audit import AuditScreen
from pytake_tui.screens.audit_detail import AuditDetailScreen
from tests.audit.support import drain
from tests.conftest import ApiClient, MakeTenant
from tests.flows.builders import chain
from tests.queues.support import conversations, queue_body
from tests.support import PASSWORD, TenantData

from .audit_fakes import settle, table
from .helpers import wait_until

NEW_USER = {"email": "new@example.test", "name": "New", "password": "long-enough-secret"}


@pytest.fixture
async def api(
    aiohttp_client: Callable[..., Awaitable[ApiClient]], settings: Settings, endpoints: Endpoints
) -> ApiClient:
    """The daemon with its own Redis keys: these tests log in with passwords from 127.0.0.1,
    and the per-address failed-login counter that earlier tests (brute force, attacks) leave
    in the session's shared keys must not throttle them."""
    redis = settings.redis.model_copy(
        update={"key_prefix": f"{settings.redis.key_prefix}audit-tui-{uuid.uuid4().hex[:8]}:"}
    )
    return await aiohttp_client(create_app(settings.model_copy(update={"redis": redis}), endpoints))


def server_of(api: ApiClient) -> str:
    return str(api.make_url("/")).rstrip("/")


async def test_client_reads_the_log_counts_alerts_and_trends(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    admin, agent = tenant[Role.ADMIN], tenant[Role.AGENT]
    async with DaemonClient(server_of(api)) as client, DaemonClient(server_of(api)) as other:
        await client.login(admin.email, PASSWORD)
        await other.login(agent.email, PASSWORD)
        denied = await api.post("/api/v1/users", json=NEW_USER, headers=agent.headers)
        assert denied.status == 403
        resp = await api.patch(
            f"/api/v1/users/{agent.id}", json={"role": "supervisor"}, headers=admin.headers
        )
        assert resp.status == 200
        resp = await api.post("/api/v1/tokens", json={"name": "ci"}, headers=admin.headers)
        assert resp.status == 201
        await drain(api)

        first = await client.audit_entries(AuditQuery(action="auth.", limit=1))
        assert [e.action for e in first.items] == ["auth.login"]
        assert first.next_cursor is not None
        second = await client.audit_entries(
            AuditQuery(action="auth.", limit=1, cursor=first.next_cursor)
        )
        assert [e.action for e in second.items] == ["auth.login"]
        assert second.items[0].seq < first.items[0].seq
        assert {first.items[0].actor_label, second.items[0].actor_label} == {
            admin.email,
            agent.email,
        }

        refused = await client.audit_entries(AuditQuery(outcome=Outcome.DENIED))
        assert [(e.action, e.status) for e in refused.items] == [("POST /api/v1/users", 403)]

        (change,) = (
            await client.audit_entries(AuditQuery(action="user.role_change", target=str(agent.id)))
        ).items
        assert change.diff == {"role": {"before": "agent", "after": "supervisor"}}
        assert await client.audit_entry(change.id) == change
        # Recorded with the admin's id only (a token call); the e-mail finds it all the same.
        assert change.actor_label is None
        by_email = await client.audit_entries(AuditQuery(actor=admin.email.upper()))
        assert {"auth.login", "user.role_change", "token.create"} <= {
            e.action for e in by_email.items
        }

        counts = await client.audit_counts(AuditCountsQuery(bucket="hour"))
        assert counts.bucket == "hour"
        assert sum(c.count for c in counts.items) >= 5
        assert sum(c.failures for c in counts.items) >= 1

        alerts = await client.security_alerts(limit=10)
        assert AlertKind.TOKEN_CREATED in {a.kind for a in alerts.items}

        trends = await client.audit_trends()
        logins = next(t for t in trends.items if t.action == "auth.login")
        assert logins.current >= 2

        with pytest.raises(DaemonError) as bad_cursor:
            await client.audit_entries(AuditQuery(cursor="not-a-cursor"))
        assert bad_cursor.value.status == 422
        assert "query.cursor: not a cursor" in bad_cursor.value.message
        with pytest.raises(DaemonError) as missing:
            await client.audit_entry(uuid.uuid4())
        assert missing.value.status == 404


async def test_an_agent_is_refused(api: ApiClient, make_tenant: MakeTenant) -> None:
    tenant = await make_tenant()
    async with DaemonClient(server_of(api), token=tenant[Role.AGENT].token) as client:
        with pytest.raises(DaemonError) as refused:
            await client.audit_entries(AuditQuery())
    assert refused.value.status == 403


async def _publish_flow(api: ApiClient, tenant: TenantData) -> None:
    admin = tenant[Role.ADMIN].headers
    document = chain({"id": "hi", "type": "msg_text", "text": "Olá!"}, name="welcome")
    resp = await api.post("/api/v1/flows", json=document, headers=admin)
    assert resp.status == 201, await resp.text()
    flow_id = (await resp.json())["id"]
    resp = await api.post(f"/api/v1/flows/{flow_id}/publish", json={}, headers=admin)
    assert resp.status == 200, await resp.text()


async def _queue(api: ApiClient, tenant: TenantData, name: str) -> QueueOut:
    resp = await api.post(
        "/api/v1/queues", json=queue_body(name), headers=tenant[Role.ADMIN].headers
    )
    assert resp.status == 201, await resp.text()
    return QueueOut.model_validate(await resp.json())


async def _transfer(api: ApiClient, tenant: TenantData, admin_conn: Connection) -> uuid.UUID:
    """The agent attending a conversation in Sales hands it to the Billing queue."""
    sales, billing = await _queue(api, tenant, "Sales"), await _queue(api, tenant, "Billing")
    (conversation,) = await conversations(admin_conn, tenant.id, api.app[SECRET_BOX], 1)
    effects = Effects()
    async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
        entered = await entry.enqueue(
            conn, conversation_id=conversation, queue_id=sales.id, effects=effects
        )
    await api.app[QUEUES].after_commit(tenant.id, effects)
    resp = await api.post(
        f"/api/v1/queues/{sales.id}/assign",
        json={"item_id": str(entered.item_id), "agent_id": str(tenant[Role.AGENT].id)},
        headers=tenant[Role.SUPERVISOR].headers,
    )
    assert resp.status == 200, await resp.text()
    resp = await api.post(
        f"/api/v1/conversations/{conversation}/transfer",
        json={"queue_id": str(billing.id)},
        headers=tenant[Role.AGENT].headers,
    )
    assert resp.status == 200, await resp.text()
    return billing.id


def _detail_lines(screen: Any, kind: str) -> list[str]:
    return [str(s.render()) for s in screen.query(f".change.-{kind}")]


async def test_the_audit_screen_shows_logins_a_publish_and_a_transfer(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    admin, agent = tenant[Role.ADMIN], tenant[Role.AGENT]
    server = server_of(api)
    async with DaemonClient(server) as login:
        session = await login.login(admin.email, PASSWORD)
    async with DaemonClient(server) as other:
        await other.login(agent.email, PASSWORD)
    await _publish_flow(api, tenant)
    billing = await _transfer(api, tenant, admin_conn)
    await drain(api)

    credentials = tmp_path / "credentials.json"
    CredentialStore(credentials).save(
        SavedSession(
            server=server,
            token=session.token,
            expires_at=session.expires_at,
            email=admin.email,
        )
    )
    app = build_app(server=server, credentials_path=credentials, downloads_dir=tmp_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await wait_until(pilot, lambda: app.me is not None, "the session")
        await pilot.press("f7")
        await wait_until(pilot, lambda: isinstance(app.screen, AuditScreen), "the audit screen")
        screen = app.screen
        assert isinstance(screen, AuditScreen)

        def shown() -> set[str]:
            return {e.action for e in screen.entries}

        wanted = {"auth.login", "flow.publish", "conversation.transfer"}
        await wait_until(pilot, lambda: wanted <= shown(), "the logins, publish and transfer")
        logins = [e for e in screen.entries if e.action == "auth.login"]
        assert {e.actor_label for e in logins} >= {admin.email, agent.email}
        # The publish is recorded with the admin's id (no label): the name comes from the
        # users list, and the e-mail filter finds it too. Its difference is the status.
        publish = next(e for e in screen.entries if e.action == "flow.publish")
        assert publish.actor_id == admin.id
        assert publish.diff is not None
        assert publish.diff["status"] == {"before": "draft", "after": "published"}
        row = screen.entries.index(publish)
        await wait_until(
            pilot, lambda: str(table(screen).get_row_at(row)[1]) == admin.email, "the name"
        )

        transfer: AuditEntryOut = next(
            e for e in screen.entries if e.action == "conversation.transfer"
        )
        assert transfer.actor_id == agent.id
        table(screen).move_cursor(row=screen.entries.index(transfer))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, AuditDetailScreen), "the detail")
        detail = app.screen
        assert _detail_lines(detail, "removed") == [f"- agent_id: {agent.id}"]
        (changed,) = _detail_lines(detail, "changed")
        assert changed.startswith("~ queue_id: ")
        assert changed.endswith(f" → {billing}")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "back to the log")

        # An API token raises a security alert: it arrives over the WebSocket, with its entry.
        await settle(pilot)
        resp = await api.post("/api/v1/tokens", json={"name": "ci"}, headers=admin.headers)
        assert resp.status == 201

        def alerted() -> bool:
            return any(a.kind is AlertKind.TOKEN_CREATED for a in screen.alerts)

        await wait_until(pilot, alerted, "the live alert")
        await wait_until(pilot, lambda: "token.create" in shown(), "the token's entry")
        assert screen.entries[0].action == "token.create"
