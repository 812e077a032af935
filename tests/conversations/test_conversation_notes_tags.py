"""Internal notes and tags through the real app: shapes, validation, events for the other
consoles, the audit record, tenant isolation, and that a note never becomes a message."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from aiohttp import WSMsgType

from pytake_daemon.db.pool import Connection, set_tenant, tenant_transaction
from pytake_daemon.flows import db as flows_db
from pytake_daemon.keys import DB_POOL, SECRET_BOX
from pytake_daemon.protocol import (
    ConversationList,
    ConversationOut,
    ConversationUpdated,
    Hello,
    Role,
    parse_server_event,
)
from pytake_daemon.protocol.conversations import NoteList, NoteOut
from pytake_daemon.protocol.events import NoteAdded
from pytake_daemon.whatsapp.secretbox import SecretBox
from tests.conftest import ApiClient, MakeTenant
from tests.conversations import factories

BASE = "/api/v1/conversations"


async def _conversation(admin_conn: Connection, tenant_id: uuid.UUID, box: SecretBox) -> uuid.UUID:
    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant_id)
        number = await factories.insert_number(admin_conn, tenant_id, box)
        return await factories.insert_conversation(
            admin_conn,
            tenant_id,
            number_id=number,
            last_inbound_at=datetime.now(UTC),
            profile_name="Ana Souza",
        )


async def test_notes_are_listed_evented_and_never_sent(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    agent, supervisor = tenant[Role.AGENT], tenant[Role.SUPERVISOR]
    conv = await _conversation(admin_conn, tenant.id, api.app[SECRET_BOX])

    async with api.ws_connect("/api/v1/ws", headers=supervisor.headers) as ws:
        hello = parse_server_event((await ws.receive(timeout=10.0)).data)
        assert isinstance(hello.event, Hello)
        resp = await api.post(
            f"{BASE}/{conv}/notes",
            json={"body": "  angry about the delay  "},
            headers=agent.headers,
        )
        assert resp.status == 201, await resp.text()
        note = NoteOut.model_validate(await resp.json())
        frame = await ws.receive(timeout=10.0)
    assert frame.type is WSMsgType.TEXT
    envelope = parse_server_event(frame.data)
    assert envelope.seq == hello.seq + 1
    assert isinstance(envelope.event, NoteAdded)
    assert envelope.event.note == note
    assert envelope.event.conversation.notes_count == 1
    assert (note.body, note.author_id, note.conversation_id) == (
        "angry about the delay",
        agent.id,
        conv,
    )
    assert note.author_name  # the author's display name, for the thread

    resp = await api.post(
        f"{BASE}/{conv}/notes", json={"body": "second"}, headers=supervisor.headers
    )
    assert resp.status == 201
    resp = await api.get(f"{BASE}/{conv}/notes", headers=agent.headers)
    assert resp.status == 200
    assert [n.body for n in NoteList.model_validate(await resp.json()).items] == [
        "angry about the delay",
        "second",
    ]
    resp = await api.get(f"{BASE}/{conv}", headers=agent.headers)
    assert ConversationOut.model_validate(await resp.json()).notes_count == 2
    # Nothing reached the messages or the outbox: notes are for agents only.
    counts = await admin_conn.fetchrow(
        "SELECT (SELECT count(*) FROM messages WHERE tenant_id = $1) AS messages,"
        " (SELECT count(*) FROM outbox WHERE tenant_id = $1) AS outbox",
        tenant.id,
    )
    assert counts is not None
    assert (counts["messages"], counts["outbox"]) == (0, 0)
    audited = await admin_conn.fetchval(
        "SELECT count(*) FROM audit_entries WHERE tenant_id = $1 AND action = 'conversation.note'"
        " AND target_id = $2",
        tenant.id,
        str(conv),
    )
    assert audited == 2

    # Blank or oversized: 422 naming the field; unknown conversation: 404.
    for body in ({"body": "   "}, {"body": ""}, {"body": "x" * 4097}, {}):
        resp = await api.post(f"{BASE}/{conv}/notes", json=body, headers=agent.headers)
        assert resp.status == 422, body
    resp = await api.post(f"{BASE}/{uuid.uuid4()}/notes", json={"body": "x"}, headers=agent.headers)
    assert resp.status == 404
    resp = await api.get(f"{BASE}/{uuid.uuid4()}/notes", headers=agent.headers)
    assert resp.status == 404


async def test_tags_replace_normalise_and_tell_other_consoles(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    conv = await _conversation(admin_conn, tenant.id, api.app[SECRET_BOX])

    async with api.ws_connect("/api/v1/ws", headers=tenant[Role.OWNER].headers) as ws:
        hello = parse_server_event((await ws.receive(timeout=10.0)).data)
        assert isinstance(hello.event, Hello)
        resp = await api.put(
            f"{BASE}/{conv}/tags", json={"tags": ["VIP ", "refund", "vip"]}, headers=agent.headers
        )
        assert resp.status == 200, await resp.text()
        out = ConversationOut.model_validate(await resp.json())
        assert out.tags == ["refund", "vip"]
        envelope = parse_server_event((await ws.receive(timeout=10.0)).data)
        assert isinstance(envelope.event, ConversationUpdated)
        assert envelope.event.conversation.tags == ["refund", "vip"]

        # The same set again changes nothing and says nothing: the next event is the next change.
        resp = await api.put(
            f"{BASE}/{conv}/tags", json={"tags": ["vip", "refund"]}, headers=agent.headers
        )
        assert resp.status == 200
        resp = await api.put(f"{BASE}/{conv}/tags", json={"tags": []}, headers=agent.headers)
        assert ConversationOut.model_validate(await resp.json()).tags == []
        following = parse_server_event((await ws.receive(timeout=10.0)).data)
        assert following.seq == envelope.seq + 1
        assert isinstance(following.event, ConversationUpdated)
        assert following.event.conversation.tags == []

    resp = await api.get(BASE, headers=agent.headers)
    assert ConversationList.model_validate(await resp.json()).items[0].tags == []
    diffs = await admin_conn.fetch(
        "SELECT diff FROM audit_entries WHERE tenant_id = $1 AND action = 'conversation.tags'"
        " ORDER BY seq",
        tenant.id,
    )
    assert [d["diff"]["tags"] for d in diffs] == [
        {"before": [], "after": ["refund", "vip"]},
        {"before": ["refund", "vip"], "after": []},
    ]
    for bad in (["a,b"], [""], ["x" * 33], [f"t{i}" for i in range(21)]):
        resp = await api.put(f"{BASE}/{conv}/tags", json={"tags": bad}, headers=agent.headers)
        assert resp.status == 422, bad


async def test_other_tenants_cannot_note_or_tag(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    mine, theirs = await make_tenant(), await make_tenant()
    victim = await _conversation(admin_conn, theirs.id, api.app[SECRET_BOX])
    for role in Role:
        headers = mine[role].headers
        resp = await api.post(f"{BASE}/{victim}/notes", json={"body": "hi"}, headers=headers)
        assert resp.status == 404
        resp = await api.get(f"{BASE}/{victim}/notes", headers=headers)
        assert resp.status == 404
        resp = await api.put(f"{BASE}/{victim}/tags", json={"tags": ["x"]}, headers=headers)
        assert resp.status == 404
    row = await admin_conn.fetchrow(
        "SELECT tags, notes_count FROM conversations WHERE id = $1", victim
    )
    assert row is not None
    assert (list(row["tags"]), row["notes_count"]) == ([], 0)
    assert (
        await admin_conn.fetchval(
            "SELECT count(*) FROM conversation_notes WHERE conversation_id = $1", victim
        )
        == 0
    )
    # Without a token: 401.
    resp = await api.get(f"{BASE}/{victim}/notes")
    assert resp.status == 401


async def test_a_flows_tags_join_the_conversations(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    """The flows' tag node writes ``flow_tags``; the agents see those tags on the conversation."""
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    conv = await _conversation(admin_conn, tenant.id, api.app[SECRET_BOX])
    resp = await api.put(f"{BASE}/{conv}/tags", json={"tags": ["vip"]}, headers=agent.headers)
    assert resp.status == 200
    async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
        await flows_db.add_tags(conn, conv, ["Lead  Hot", "vip", "  "])
    resp = await api.get(f"{BASE}/{conv}", headers=agent.headers)
    assert ConversationOut.model_validate(await resp.json()).tags == ["lead hot", "vip"]
