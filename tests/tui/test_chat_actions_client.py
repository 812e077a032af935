"""The chat actions' DaemonClient calls against the real daemon (app, PostgreSQL, Redis):
notes, tags, transfer (and its 409), canned responses and the suggestions for an angry
customer, with the refusals a console turns into toasts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from pytake_daemon.config import Settings
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.conversations import TransferRequest
from pytake_daemon.whatsapp.secretbox import SecretBox, load_secret_box
from pytake_tui.client import DaemonClient, DaemonError
from tests.conftest import ApiClient, MakeTenant
from tests.conversations import factories
from tests.queues.conftest import settle
from tests.support import Member, TenantData


@pytest.fixture
def box(settings: Settings) -> SecretBox:
    return load_secret_box(settings)


@pytest.fixture
async def tenant(make_tenant: MakeTenant, admin_conn: Connection) -> AsyncIterator[TenantData]:
    """A tenant whose queue items are ended afterwards (the session's sweep would serve them)."""
    made = await make_tenant()
    yield made
    await settle(admin_conn, [made.id])


def _client(api: ApiClient, member: Member) -> DaemonClient:
    return DaemonClient(str(api.make_url("/")), token=member.token)


async def _angry_customer(
    admin_conn: Connection, tenant_id: uuid.UUID, box: SecretBox
) -> uuid.UUID:
    now = datetime.now(UTC)
    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant_id)
        number = await factories.insert_number(admin_conn, tenant_id, box)
        conversation = await factories.insert_conversation(
            admin_conn, tenant_id, number_id=number, last_inbound_at=now, profile_name="Ana Souza"
        )
        await factories.insert_message(
            admin_conn,
            tenant_id,
            conversation_id=conversation,
            text="This is ridiculous, my order is two weeks late. I want to cancel it now!",
            created_at=now,
        )
    return conversation


async def test_notes_and_tags(
    api: ApiClient, tenant: TenantData, admin_conn: Connection, box: SecretBox
) -> None:
    conversation = await _angry_customer(admin_conn, tenant.id, box)
    async with _client(api, tenant[Role.AGENT]) as client:
        note = await client.add_note(conversation, "  offer the refund first ")
        assert (note.body, note.author_id) == ("offer the refund first", tenant[Role.AGENT].id)
        assert [n.id for n in (await client.notes(conversation)).items] == [note.id]
        assert (await client.conversation(conversation)).notes_count == 1
        # Refused before anything is sent: a blank note, a tag with a comma.
        with pytest.raises(DaemonError) as blank:
            await client.add_note(conversation, "   ")
        assert (blank.value.status, blank.value.title) == (None, "Check the note")
        with pytest.raises(DaemonError) as comma:
            await client.set_tags(conversation, ["a,b"])
        assert comma.value.title == "Check the tags"

        tagged = await client.set_tags(conversation, ["VIP", "late delivery"])
        assert tagged.tags == ["late delivery", "vip"]
        with pytest.raises(DaemonError) as missing:
            await client.notes(uuid.uuid4())
        assert missing.value.status == 404


async def test_transfer_canned_and_suggestions(
    api: ApiClient, tenant: TenantData, admin_conn: Connection, box: SecretBox
) -> None:
    conversation = await _angry_customer(admin_conn, tenant.id, box)
    admin, supervisor = tenant[Role.ADMIN], tenant[Role.SUPERVISOR]
    resp = await api.post("/api/v1/queues", json={"name": "Billing"}, headers=admin.headers)
    assert resp.status == 201, await resp.text()
    billing = uuid.UUID((await resp.json())["id"])
    resp = await api.post(
        "/api/v1/ai/replies",
        json={
            "title": "Order number",
            "body": "Could you send me the order number, {{first_name}}?",
        },
        headers=supervisor.headers,
    )
    assert resp.status == 201, await resp.text()

    async with _client(api, supervisor) as client:
        moved = await client.transfer(
            conversation, TransferRequest(queue_id=billing, note="wants to cancel")
        )
        assert (moved.id, moved.assigned_user_id, moved.notes_count) == (conversation, None, 1)
        # An agent with no room left: the daemon's 409, word for word.
        await api.put(
            f"/api/v1/agents/{tenant[Role.AGENT].id}/status",
            json={"status": "online", "capacity": 0},
            headers=supervisor.headers,
        )
        with pytest.raises(DaemonError) as full:
            await client.transfer(conversation, TransferRequest(agent_id=tenant[Role.AGENT].id))
        assert full.value.status == 409
        assert "capacity" in full.value.message

        (canned,) = (await client.canned_replies()).items
        assert canned.body == "Could you send me the order number, {{first_name}}?"

        found = await client.reply_suggestions(conversation)
        assert found.intent in ("complaint", "cancel")
        assert 1 <= len(found.items) <= 3
        titles = {s.title for s in found.items}
        assert titles & {"Apology", "Cancellation"}, titles
        assert all("{{first_name}}" not in s.text for s in found.items)
