"""A Meta error without a code, met by the webhook (a failed status) and by the sender (a Graph
refusal): both say WhatsApp reported a problem, never that it could not be reached (issue 24:
one function, ``meta_errors.explain_error``), in English as stored and in Portuguese as read."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from pytake_daemon.app import create_app
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection
from pytake_daemon.whatsapp.meta_errors import explanation_in
from tests.conftest import MakeTenant
from tests.whatsapp.payloads_2026 import status_of
from tests.whatsapp.scripted_graph import ScriptedGraph, queued_reply, serve
from tests.whatsapp.test_ingest import rows
from tests.whatsapp.test_statuses_2026 import _outbound_to, _post
from tests.whatsapp.wa_support import ApiClient, add_number

REPORTED = "WhatsApp reported a problem with this message: Something odd."
REPORTED_PT = "O WhatsApp informou um problema com esta mensagem: Something odd."


async def _failure(admin_conn: Connection, tenant_id: uuid.UUID, message_id: uuid.UUID) -> Any:
    [row] = await rows(
        admin_conn,
        tenant_id,
        "SELECT status, error_code, error_title, error_explanation FROM messages WHERE id = $1",
        message_id,
    )
    return row


@pytest.mark.parametrize(
    ("errors", "title", "sentence", "sentence_pt"),
    [
        ([{"title": "Odd", "message": "Something odd"}], "Odd", REPORTED, REPORTED_PT),
        (
            None,
            None,
            "WhatsApp reported a problem with this message.",
            "O WhatsApp informou um problema com esta mensagem.",
        ),
    ],
)
async def test_a_failed_status_without_a_code_says_whatsapp_reported_it(
    api: ApiClient,
    make_tenant: MakeTenant,
    admin_conn: Connection,
    errors: list[dict[str, Any]] | None,
    title: str | None,
    sentence: str,
    sentence_pt: str,
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    wamid, message_id = await _outbound_to(
        admin_conn, tenant.id, number, user=None, phone="5511988887777"
    )
    await _post(
        api, number, status_of(number, wamid, "failed", recipient_id="5511988887777", errors=errors)
    )
    failed = await _failure(admin_conn, tenant.id, message_id)
    assert (failed["status"], failed["error_code"], failed["error_title"]) == (
        "failed",
        None,
        title,
    )
    assert failed["error_explanation"] == sentence
    assert explanation_in(failed["error_explanation"], "pt_BR") == sentence_pt


@pytest.fixture
async def graph() -> AsyncIterator[tuple[ScriptedGraph, str]]:
    scripted = ScriptedGraph()
    server = await serve(scripted)
    yield scripted, str(server.make_url("")).rstrip("/")
    await server.close()


async def test_a_graph_refusal_without_a_code_says_whatsapp_reported_it(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
    admin_conn: Connection,
    graph: tuple[ScriptedGraph, str],
) -> None:
    scripted, base_url = graph

    async def refused() -> web.Response:
        # An error envelope with no code: WhatsApp answered, so it was reached.
        return web.json_response({"error": {"message": "Something odd"}}, status=400)

    scripted.answers.append(refused)
    wa = settings.whatsapp.model_copy(update={"graph_base_url": base_url})
    api = await aiohttp_client(create_app(settings.model_copy(update={"whatsapp": wa}), endpoints))
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    message_id = await queued_reply(api, admin_conn, tenant.id, number)
    deadline = asyncio.get_running_loop().time() + 10.0
    while (failed := await _failure(admin_conn, tenant.id, message_id))["status"] != "failed":
        assert asyncio.get_running_loop().time() < deadline, f"still {failed['status']}"
        await asyncio.sleep(0.02)  # polling the database with a deadline
    assert len(scripted.calls) == 1  # a permanent refusal: not tried again
    assert (failed["error_code"], failed["error_title"]) == (None, "Something odd")
    assert failed["error_explanation"] == REPORTED
    assert explanation_in(failed["error_explanation"], "pt_BR") == REPORTED_PT
