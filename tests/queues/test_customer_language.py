"""The queues' default texts in the customer's language: the one the AI remembered for the
contact, else the tenant's default; a queue's own text as its tenant wrote it. Against the real
PostgreSQL and Redis, through the queues' service and its distribution pass."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pytake_daemon.attendance import entry, satisfaction
from pytake_daemon.db.pool import Connection, set_tenant, tenant_transaction
from pytake_daemon.effects import Effects
from pytake_daemon.keys import DB_POOL, QUEUES, SECRET_BOX
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.queues import QueueOut
from tests.conftest import ApiClient, MakeTenant
from tests.queues.support import conversations, eventually, queue_body
from tests.support import TenantData


async def _queue(api: ApiClient, tenant: TenantData, name: str, **extra: Any) -> QueueOut:
    resp = await api.post(
        "/api/v1/queues", json=queue_body(name, **extra), headers=tenant[Role.ADMIN].headers
    )
    assert resp.status == 201, await resp.text()
    return QueueOut.model_validate(await resp.json())


async def _enqueue(
    api: ApiClient, tenant: TenantData, queue_id: uuid.UUID, conversation_id: uuid.UUID
) -> entry.EnqueueResult:
    effects = Effects()
    async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
        result = await entry.enqueue(
            conn, conversation_id=conversation_id, queue_id=queue_id, effects=effects
        )
    await api.app[QUEUES].after_commit(tenant.id, effects)
    return result


async def _portuguese_tenant(admin_conn: Connection, tenant: TenantData) -> None:
    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant.id)
        await admin_conn.execute(
            "INSERT INTO tenant_profiles (tenant_id, business_name, segment, timezone, language)"
            " VALUES ($1, 'Padaria', 'restaurant', 'America/Sao_Paulo', 'pt_BR')",
            tenant.id,
        )


async def _remember(
    admin_conn: Connection, tenant: TenantData, conversation_id: uuid.UUID, language: str
) -> None:
    """What the AI's language step leaves for a contact it detected reliably."""
    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant.id)
        await admin_conn.execute(
            "INSERT INTO ai_contact_language (tenant_id, contact_id, language)"
            " SELECT tenant_id, contact_id, $3 FROM conversations"
            " WHERE tenant_id = $1 AND id = $2",
            tenant.id,
            conversation_id,
            language,
        )


async def _texts(
    admin_conn: Connection, tenant: TenantData, conversation_id: uuid.UUID
) -> list[str]:
    rows = await admin_conn.fetch(
        "SELECT text FROM messages WHERE tenant_id = $1 AND conversation_id = $2"
        " ORDER BY created_at",
        tenant.id,
        conversation_id,
    )
    return [r["text"] for r in rows]


async def test_an_english_customer_in_a_portuguese_tenant_reads_english(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    await _portuguese_tenant(admin_conn, tenant)
    english, portuguese, unknown = await conversations(
        admin_conn, tenant.id, api.app[SECRET_BOX], 3
    )
    await _remember(admin_conn, tenant, english, "en")
    await _remember(admin_conn, tenant, portuguese, "pt")
    queue = await _queue(api, tenant, "Vendas")
    for conversation in (english, portuguese, unknown):
        assert (await _enqueue(api, tenant, queue.id, conversation)).outcome == "entered"

    # Nobody is online: the distribution pass after the commit welcomes each in their language.
    expected = {
        english: "You're in the Vendas queue: you are number 1.",
        portuguese: "Você está na fila Vendas: você é o número 2.",
        # No language remembered: the tenant's default.
        unknown: "Você está na fila Vendas: você é o número 3.",
    }

    async def welcomed() -> dict[uuid.UUID, list[str]]:
        said = {c: await _texts(admin_conn, tenant, c) for c in expected}
        return said if all(said.values()) else {}

    said = await eventually(welcomed, what="the three customers welcomed")
    assert said == {c: [text] for c, text in expected.items()}


async def test_the_line_is_full_in_each_customers_language_and_a_written_text_as_written(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    await _portuguese_tenant(admin_conn, tenant)
    first, second, english, portuguese, custom = await conversations(
        admin_conn, tenant.id, api.app[SECRET_BOX], 5
    )
    await _remember(admin_conn, tenant, english, "en")
    await _remember(admin_conn, tenant, portuguese, "pt")
    await _remember(admin_conn, tenant, custom, "en")
    ours = await _queue(api, tenant, "Pequena", max_size=1)
    written = await _queue(
        api, tenant, "Escrita", max_size=1, full_message="Lotado! Volte mais tarde."
    )
    assert (await _enqueue(api, tenant, ours.id, first)).outcome == "entered"
    assert (await _enqueue(api, tenant, written.id, second)).outcome == "entered"
    for conversation in (english, portuguese):
        assert (await _enqueue(api, tenant, ours.id, conversation)).outcome == "rejected"
    assert (await _enqueue(api, tenant, written.id, custom)).outcome == "rejected"

    # The refusal is said on entry, in the enqueuing transaction.
    assert await _texts(admin_conn, tenant, english) == [
        "All our agents are busy and the line is full. Please write again later."
    ]
    assert await _texts(admin_conn, tenant, portuguese) == [
        "Todos os nossos atendentes estão ocupados e a fila está cheia. "
        "Por favor, escreva novamente mais tarde."
    ]
    # The tenant wrote its own: an English customer reads it as written.
    assert await _texts(admin_conn, tenant, custom) == ["Lotado! Volte mais tarde."]


async def test_the_rating_question_in_each_customers_language(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    await _portuguese_tenant(admin_conn, tenant)
    english, portuguese = await conversations(admin_conn, tenant.id, api.app[SECRET_BOX], 2)
    await _remember(admin_conn, tenant, english, "en")
    agent = tenant[Role.AGENT]
    # An agent row to rate (offline: nobody takes the items meanwhile).
    resp = await api.put(
        f"/api/v1/agents/{agent.id}/status", json={"status": "offline"}, headers=agent.headers
    )
    assert resp.status == 200, await resp.text()
    queue = await _queue(api, tenant, "Vendas")
    items = {c: (await _enqueue(api, tenant, queue.id, c)).item_id for c in (english, portuguese)}
    await eventually(
        lambda: _texts(admin_conn, tenant, portuguese), what="the welcome before the question"
    )
    now = datetime.now(UTC)
    async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
        for conversation, item in items.items():
            assert item is not None
            asked = await satisfaction.ask(
                conn,
                item_id=item,
                conversation_id=conversation,
                agent_id=agent.id,
                now=now,
                template=None,
            )
            assert asked is not None
    questions = {c: (await _texts(admin_conn, tenant, c))[-1] for c in (english, portuguese)}
    assert questions == {
        english: "How would you rate this conversation? [Great | OK | Bad]",
        # No language remembered: the tenant's.
        portuguese: "Como você avalia este atendimento? [Ótimo | Regular | Ruim]",
    }
