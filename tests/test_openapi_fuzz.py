"""Schemathesis over every operation of ``/api/v1/openapi.json``, against the real daemon app.

The app runs on its own event loop in a thread (Schemathesis calls it synchronously over HTTP),
on the session's database, as an admin of a fresh tenant who logged in over the API. Each
operation gets a bounded number of generated requests, valid and invalid, so the run fits in
CI; every answer must be no server error, with a documented status code, content type and body
schema.
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pytake_daemon.app import all_endpoints, create_app
from pytake_daemon.auth.tokens import new_token
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import connect, set_tenant
from pytake_daemon.http.openapi import build_openapi
from pytake_daemon.protocol import Role
from tests.support import PASSWORD, TenantData, create_tenant, free_port

MAX_EXAMPLES = int(os.environ.get("PYTAKE_FUZZ_EXAMPLES", "5"))
"""Generated requests per operation: ~85 operations stay well under a minute on 2 cores."""
SEED = int(os.environ.get("PYTAKE_FUZZ_SEED", "20251125"))
"""Fixed, so CI is repeatable; set ``PYTAKE_FUZZ_SEED`` (and a larger
``PYTAKE_FUZZ_EXAMPLES``) to explore further by hand."""

EXCLUDED = {
    # WebSocket upgrades: a plain GET is refused by design, and the stream is not HTTP.
    ("GET", "/api/v1/ws"): "WebSocket upgrade",
    ("GET", "/api/v1/conversations/ws"): "WebSocket upgrade",
    # Meta's webhook is authenticated by an HMAC of the raw body, not by the document.
    ("POST", "/api/v1/whatsapp/webhook"): "needs Meta's X-Hub-Signature-256 over the body",
}

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

SERVER_OK = ["2xx", "3xx", "4xx"]
"""Schemathesis's default for not_a_server_error: every answer below 500."""

T = TypeVar("T")


@dataclass(frozen=True)
class LiveDaemon:
    base_url: str
    tenant: TenantData
    token: str
    """The admin's session, from a real login."""
    loop: asyncio.AbstractEventLoop
    endpoints: Endpoints

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def fresh_session(self) -> str:
        """A new session token of the admin, for the operations that end the caller's session."""
        return self.run(_mint_session(self.endpoints, self.tenant))


async def _mint_session(endpoints: Endpoints, tenant: TenantData) -> str:
    assert endpoints.admin_dsn is not None
    conn = await connect(endpoints.admin_dsn.get_secret_value())
    try:
        async with conn.transaction():
            await set_tenant(conn, tenant.id)
            token, hashed = new_token()
            await conn.execute(
                "INSERT INTO auth_tokens (tenant_id, user_id, kind, name, token_hash, expires_at)"
                " VALUES ($1, $2, 'session', 'fuzz', $3, $4)",
                tenant.id,
                tenant[Role.ADMIN].id,
                hashed,
                datetime.now(UTC) + timedelta(hours=1),
            )
    finally:
        await conn.close()
    return token


async def _seed_tenant(endpoints: Endpoints, password_hash: str) -> TenantData:
    assert endpoints.admin_dsn is not None
    conn = await connect(endpoints.admin_dsn.get_secret_value())
    try:
        return await create_tenant(conn, password_hash)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def live_daemon(
    settings: Settings, endpoints: Endpoints, password_hash: str
) -> Iterator[LiveDaemon]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fuzzed-daemon", daemon=True)
    thread.start()

    def run(coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=60)

    # Meta is never called from the suite: a closed local port stands in for the Graph API,
    # so what reaches it fails at once with the daemon's documented 502.
    whatsapp = settings.whatsapp.model_copy(
        update={"graph_base_url": f"http://127.0.0.1:{free_port()}"}
    )
    # Its own Redis keys: the fuzzed logins fail by the dozen from 127.0.0.1, and the login
    # throttle must not carry that over to the tests that run after this module.
    redis = settings.redis.model_copy(
        update={"key_prefix": f"{settings.redis.key_prefix}fuzz-{uuid.uuid4().hex[:8]}:"}
    )
    configured = settings.model_copy(update={"whatsapp": whatsapp, "redis": redis})

    async def start() -> web.AppRunner:
        runner = web.AppRunner(create_app(configured, endpoints))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return runner

    runner = run(start())
    try:
        host, port = runner.addresses[0][:2]
        base_url = f"http://{host}:{port}"
        tenant = run(_seed_tenant(endpoints, password_hash))
        login = requests.post(
            f"{base_url}/api/v1/auth/login",
            json={"email": tenant[Role.ADMIN].email, "password": PASSWORD},
            timeout=30,
        )
        assert login.status_code == 200, login.text
        yield LiveDaemon(base_url, tenant, login.json()["token"], loop, endpoints)
    finally:
        run(runner.cleanup())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


def _gateways(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-operation settings: where the document declares a 502 (Meta failed or could not be
    reached), that answer is the upstream's failure, not a server error of the daemon."""
    return [
        {
            "include-path": path,
            "include-method": method.upper(),
            "checks": {"not_a_server_error": {"expected-statuses": [*SERVER_OK, "502"]}},
        }
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "502" in operation["responses"]
    ]


@pytest.fixture(scope="module")
def api_schema(live_daemon: LiveDaemon) -> schemathesis.BaseSchema:
    url = f"{live_daemon.base_url}/api/v1/openapi.json"
    document = requests.get(url, timeout=30).json()
    config = schemathesis.Config.from_dict(
        {
            "base-url": live_daemon.base_url,
            "seed": SEED,
            "operations": _gateways(document),
            "phases": {
                "examples": {"enabled": False},
                "coverage": {"enabled": False},
                "stateful": {"enabled": False},
            },
            "generation": {"max-examples": MAX_EXAMPLES},
        }
    )
    return schemathesis.openapi.from_dict(document, config=config)


fuzzed = schemathesis.pytest.from_fixture("api_schema").exclude(
    lambda ctx: (ctx.operation.method.upper(), ctx.operation.path) in EXCLUDED
)


@fuzzed.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_every_operation_answers_as_documented(
    case: schemathesis.Case[Any], live_daemon: LiveDaemon
) -> None:
    token = live_daemon.token
    if case.operation.path == "/api/v1/auth/logout":
        token = live_daemon.fresh_session()  # logging out must not end the fuzzing session
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS, timeout=30)


def test_streamed_answers_are_documented_with_their_media_types() -> None:
    """Handlers that stream a non-JSON 200 (an export, a download, the webhook challenge) must
    not be documented as 204: the fuzzer found the export answering an undocumented 200."""
    paths = build_openapi(all_endpoints())["paths"]
    export = paths["/api/v1/audit/export"]["get"]["responses"]
    assert "204" not in export
    assert set(export["200"]["content"]) == {"text/csv", "application/x-ndjson"}
    media = paths["/api/v1/conversations/{id}/messages/{message_id}/media"]["get"]["responses"]
    assert set(media["200"]["content"]) == {"*/*"}
    challenge = paths["/api/v1/whatsapp/webhook"]["get"]["responses"]
    assert set(challenge["200"]["content"]) == {"text/plain"}
    logout = paths["/api/v1/auth/logout"]["post"]["responses"]
    assert "204" in logout  # no body, no media type: still "no content"
