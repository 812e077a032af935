"""A conversation's mood window lives in its mood row (migrations/0049_ai_mood_window.sql): each
batch extends the stored window instead of reading the latest analyses back, a retried batch
replaces its own scores rather than adding them twice, and the migration fills the window of
moods kept before it from the analyses."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from pytake_daemon.ai.batch import MOOD_WINDOW
from pytake_daemon.ai.mood import mood
from pytake_daemon.ai.service import ANALYSIS_JOB
from pytake_daemon.db import migrations
from pytake_daemon.db.pool import Connection, connect
from pytake_daemon.jobs.job import Job
from pytake_daemon.keys import AI
from tests.ai.test_ai_api import setup
from tests.conftest import APP_ROLE, ApiClient, MakeTenant, Servers
from tests.conversations.factories import insert_contact, insert_conversation, insert_message
from tests.support import with_database

TEXTS = ["Obrigado, resolveu!", "Cadê meu pedido?", "Péssimo atendimento", "Hello, any news?"]
WINDOW_MIGRATION = 49


async def _window(conn: Connection, conversation: uuid.UUID) -> tuple[list[uuid.UUID], float]:
    row = await conn.fetchrow(
        "SELECT window_ids, window_scores, score FROM ai_conversation_mood"
        " WHERE conversation_id = $1",
        conversation,
    )
    assert row is not None
    assert len(row["window_ids"]) == len(row["window_scores"])
    return row["window_ids"], row["score"]


async def test_batches_extend_the_stored_window_and_a_retry_replaces_its_own_scores(
    api: ApiClient, admin_conn: Connection, make_tenant: MakeTenant
) -> None:
    tenant, number = await setup(api, make_tenant)
    conversation = await insert_conversation(admin_conn, tenant.id, number_id=number.id)
    messages = [
        await insert_message(
            admin_conn, tenant.id, conversation_id=conversation, text=TEXTS[i % len(TEXTS)]
        )
        for i in range(MOOD_WINDOW + 3)
    ]
    service = api.app[AI]

    async def analyse(job_id: int, batch: list[uuid.UUID]) -> None:
        payload = {"messages": [str(m) for m in batch]}
        await service.on_analysis_due(tenant.id, [Job(job_id, tenant.id, ANALYSIS_JOB, payload, 0)])

    batches = [messages[:5], messages[5:11], messages[11:]]
    for job_id, batch in enumerate(batches):
        await analyse(job_id, batch)
    ids, score = await _window(admin_conn, conversation)
    assert ids == messages[-MOOD_WINDOW:]
    rows = await admin_conn.fetch(
        "SELECT message_id, sentiment FROM ai_message_analysis WHERE conversation_id = $1",
        conversation,
    )
    sentiments: dict[uuid.UUID, float] = {r["message_id"]: r["sentiment"] for r in rows}
    assert len(sentiments) == len(messages)
    window_scores = [sentiments[m] for m in ids]
    # The stored mood is the mood of the stored window (real columns: single precision).
    expected = mood(window_scores, trend_messages=3).score
    assert score == pytest.approx(expected, abs=1e-6)

    # The last batch again (a job retried after its analyses committed): same window, same count.
    await analyse(len(batches), batches[-1])
    again, score_again = await _window(admin_conn, conversation)
    assert again == ids
    assert score_again == pytest.approx(score, abs=1e-6)
    counted = await admin_conn.fetchval(
        "SELECT messages FROM ai_conversation_mood WHERE conversation_id = $1", conversation
    )
    assert counted == len(messages)


async def test_the_migration_fills_the_windows_of_existing_moods_from_the_analyses(
    servers: Servers, tmp_path: Path
) -> None:
    name = f"pytake_mig_{uuid.uuid4().hex[:10]}"
    server = await asyncpg.connect(servers.superuser_dsn)
    await server.execute(f'CREATE DATABASE "{name}"')
    await server.close()
    directory = tmp_path / "migrations"
    directory.mkdir()
    before = [m for m in migrations.discover() if m.version < WINDOW_MIGRATION]
    for migration in before:
        shutil.copy(migration.path, directory / migration.path.name)
    conn = await connect(with_database(servers.superuser_dsn, name))
    try:
        await migrations.upgrade(conn, APP_ROLE, directory)
        tenant_id = await conn.fetchval(
            "INSERT INTO tenants (slug, name) VALUES ('mood', 'Mood') RETURNING id"
        )
        number_id = await conn.fetchval(
            "INSERT INTO whatsapp_numbers (tenant_id, phone_number_id, waba_id,"
            " display_phone_number, access_token_enc, app_secret_enc, verify_token_enc)"
            " VALUES ($1, '91', '81', '+1 555 0100', 'x', 'x', 'x') RETURNING id",
            tenant_id,
        )
        contact = await insert_contact(conn, tenant_id)
        conversation = await insert_conversation(
            conn, tenant_id, number_id=number_id, contact_id=contact
        )
        start = datetime(2026, 12, 1, 12, tzinfo=UTC)
        messages = [
            await insert_message(
                conn,
                tenant_id,
                conversation_id=conversation,
                text=f"m{i}",
                created_at=start + timedelta(minutes=i),
            )
            for i in range(MOOD_WINDOW + 2)
        ]
        # Analysed in arrival order, the scores -0.9, -0.8, ... so each is told apart.
        scores = [round(-0.9 + 0.1 * i, 1) for i in range(len(messages))]
        for i, (message, score) in enumerate(zip(messages, scores, strict=True)):
            await conn.execute(
                "INSERT INTO ai_message_analysis (tenant_id, message_id, conversation_id,"
                " language, sentiment, sentiment_label, intent, intent_confidence, analyzed_at)"
                " VALUES ($1, $2, $3, 'pt', $4, 'neutral', 'other', 0.5, $5)",
                tenant_id,
                message,
                conversation,
                score,
                start + timedelta(minutes=i, seconds=1),
            )
        await conn.execute(
            "INSERT INTO ai_conversation_mood (tenant_id, conversation_id, language, score, label,"
            " trend, messages) VALUES ($1, $2, 'pt', 0, 'neutral', 0, $3)",
            tenant_id,
            conversation,
            len(messages),
        )

        for migration in migrations.discover():
            if migration.version >= WINDOW_MIGRATION:
                shutil.copy(migration.path, directory / migration.path.name)
        applied = await migrations.upgrade(conn, APP_ROLE, directory)
        assert applied[0].version == (WINDOW_MIGRATION)
        row = await conn.fetchrow(
            "SELECT window_ids, window_scores FROM ai_conversation_mood WHERE conversation_id = $1",
            conversation,
        )
        assert row is not None
        assert row["window_ids"] == messages[-MOOD_WINDOW:]
        assert row["window_scores"] == pytest.approx(scores[-MOOD_WINDOW:], abs=1e-6)
    finally:
        await conn.close()
        server = await asyncpg.connect(servers.superuser_dsn)
        await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await server.close()
