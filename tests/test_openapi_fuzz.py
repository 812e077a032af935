"""Schemathesis over every operation of ``/api/v1/openapi.json``, against the real daemon app,
with every check it has (``--checks all``).

The app runs on its own event loop in a thread (Schemathesis calls it synchronously over HTTP),
on the session's database, as the owner and as an agent of a fresh tenant (state-changing
operations included: the tenant is thrown away). Each operation gets a bounded number of
generated requests, valid and invalid, so the run fits in CI: no server error; a documented
status, content type, headers and body; schema-valid requests accepted and schema-violating
ones refused; ``Allow`` listing exactly the documented methods; authentication not ignored.
A broader run by hand: docs/testing.md ("The API's contract").
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
from schemathesis.checks import CHECKS as CHECKS_REGISTRY
from schemathesis.checks import CheckFunction, load_all_checks

from pytake_daemon.app import all_endpoints, create_app
from pytake_daemon.auth.tokens import new_token
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import connect, set_tenant
from pytake_daemon.http.openapi import build_openapi
from pytake_daemon.http.server import ProblemAppRunner
from pytake_daemon.protocol import Role
from tests.support import PASSWORD, TenantData, create_tenant, free_port

MAX_EXAMPLES = int(os.environ.get("PYTAKE_FUZZ_EXAMPLES", "3"))
"""Generated requests per operation as the owner: ~150 operations stay within about a minute
on 2 cores, with the agent's run."""
AGENT_EXAMPLES = max(1, MAX_EXAMPLES // 2)
"""Fewer as an agent: most operations answer an agent 403 before reading the request."""
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

load_all_checks()
CHECKS: list[CheckFunction] = [c for c in CHECKS_REGISTRY.get_all() if not isinstance(c, type)]
"""Every check Schemathesis has, as ``--checks all`` runs them (the registry's type also allows
check classes; none is registered)."""

FUZZED_ROLES = (Role.OWNER, Role.AGENT)

BUSINESS_RULES = {
    # A schema-valid request these refuse for a rule JSON Schema can't say: a choice between
    # fields, an id that must name one of the tenant's own rows, a single emoji.
    ("POST", "/api/v1/conversations/{id}/assignment"): "exactly one of take, agent_id, queue_id",
    ("POST", "/api/v1/conversations/{id}/transfer"): "either queue_id or agent_id",
    ("POST", "/api/v1/queues/{id}/assign"): "an item or an agent to act on",
    ("POST", "/api/v1/conversations/{id}/messages"): "a reaction is a single emoji",
    ("POST", "/api/v1/invitations"): "queue ids of this tenant",
    ("POST", "/api/v1/queues"): "overflow/timeout queues of this tenant",
    ("PUT", "/api/v1/queues/{id}"): "overflow/timeout queues of this tenant",
    ("POST", "/api/v1/agents/{id}/goals"): "a team goal needs the agent's department",
    ("POST", "/api/v1/reports/schedules"): "a queue of this tenant",
    ("PUT", "/api/v1/notifications/preferences"): "quiet hours that start and end apart",
    ("PUT", "/api/v1/notifications/settings"): "quiet hours that start and end apart",
    ("POST", "/api/v1/onboarding/number"): "Meta must answer for the number (here it can't)",
    ("POST", "/api/v1/flows"): "a runnable graph (a trigger, edges that connect)",
    ("PUT", "/api/v1/flows/{id}"): "a runnable graph (a trigger, edges that connect)",
    ("POST", "/api/v1/gamification/challenges"): "last_day not before first_day",
    ("PUT", "/api/v1/gamification/challenges/{id}"): "last_day not before first_day",
    ("GET", "/api/v1/gamification/leaderboard"): "a queue of this tenant, or a department",
    ("GET", "/api/v1/gamification/me"): "a queue or a department, not both",
}
"""Operations where a 422 for a schema-valid body is a business rule's answer."""

SCHEMA_GAPS = {
    # Not yet said by the document, though the model checks it: each should become a pattern
    # (or propertyNames) in its protocol model; until then the refusal is expected here.
    ("PATCH", "/api/v1/ai/replies/{id}"): ("422", "the shortcut's pattern (lost to a validator)"),
    ("POST", "/api/v1/ai/replies"): ("422", "the shortcut's pattern (lost to a validator)"),
    ("GET", "/api/v1/reports"): ("422", "a period's days must exist, a year at most"),
    ("GET", "/api/v1/reports/export"): ("422", "a period's days must exist, a year at most"),
    ("POST", "/api/v1/config/import"): ("422", "the YAML body is not in the document"),
    ("POST", "/api/v1/onboarding/automation"): ("422", "the segment: one with a ready-made flow"),
    ("POST", "/api/v1/webhooks/endpoints"): ("422", "the url: http(s) with a host"),
    ("PUT", "/api/v1/agents/{id}/status"): ("422", "working_hours' weekdays, an IANA timezone"),
    ("PUT", "/api/v1/tenant/profile"): ("422", "business_hours' weekdays"),
    ("PUT", "/api/v1/notifications/smtp"): ("422", "the from_address"),
    ("POST", "/api/v1/whatsapp/numbers"): ("400", "no NUL in text (PostgreSQL can't store it)"),
    # An opaque cursor this API did not give out: refused, as no schema can tell it apart.
    ("GET", "/api/v1/audit"): ("422", "a cursor this API gave out"),
    ("GET", "/api/v1/notifications"): ("422", "a cursor this API gave out"),
    ("GET", "/api/v1/contacts"): ("400", "a cursor this API gave out"),
    ("GET", "/api/v1/conversations"): ("400", "a cursor this API gave out"),
}
"""Known gaps between what the document says and what the models check (issue 20 item 8)."""

SERVER_OK = ["2xx", "3xx", "4xx"]
"""Schemathesis's default for not_a_server_error: every answer below 500."""
POSITIVE_OK = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
"""Schemathesis's default for positive_data_acceptance (5xx is not_a_server_error's concern)."""

T = TypeVar("T")


@dataclass(frozen=True)
class LiveDaemon:
    base_url: str
    tenant: TenantData
    tokens: dict[Role, str]
    """Each fuzzed role's session, from a real login."""
    loop: asyncio.AbstractEventLoop
    endpoints: Endpoints

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def fresh_session(self, role: Role) -> str:
        """A new session token, for the operations that end the caller's session."""
        return self.run(_mint_session(self.endpoints, self.tenant, role))


async def _mint_session(endpoints: Endpoints, tenant: TenantData, role: Role) -> str:
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
                tenant[role].id,
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
        # The daemon's runner: what the HTTP parser refuses is answered as the daemon answers it.
        runner = ProblemAppRunner(create_app(configured, endpoints))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return runner

    runner = run(start())
    try:
        host, port = runner.addresses[0][:2]
        base_url = f"http://{host}:{port}"
        tenant = run(_seed_tenant(endpoints, password_hash))
        tokens = {}
        for role in FUZZED_ROLES:
            login = requests.post(
                f"{base_url}/api/v1/auth/login",
                json={"email": tenant[role].email, "password": PASSWORD},
                timeout=30,
            )
            assert login.status_code == 200, login.text
            tokens[role] = login.json()["token"]
        yield LiveDaemon(base_url, tenant, tokens, loop, endpoints)
    finally:
        run(runner.cleanup())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


def _per_operation(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-operation settings. Where the document declares a 502 (Meta, SMTP or an endpoint
    could not be reached) or a 503 with its own body (``/readyz``), that answer is documented,
    not a server error of the daemon; where a business rule refuses a schema-valid body, 422
    is that rule's answer."""
    settings = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            checks: dict[str, Any] = {}
            upstream = [code for code in ("502", "503") if _documented_body(operation, code)]
            if upstream:
                checks["not_a_server_error"] = {"expected-statuses": [*SERVER_OK, *upstream]}
            key = (method.upper(), path)
            if key in BUSINESS_RULES:
                checks["positive_data_acceptance"] = {"expected-statuses": [*POSITIVE_OK, "422"]}
            elif key in SCHEMA_GAPS:
                refused = SCHEMA_GAPS[key][0]
                checks["positive_data_acceptance"] = {"expected-statuses": [*POSITIVE_OK, refused]}
            if checks:
                settings.append({"include-name": f"{method.upper()} {path}", "checks": checks})
    return settings


def _documented_body(operation: dict[str, Any], code: str) -> bool:
    """A 502, or a 503 answered with the operation's own document rather than the generic
    problem every operation may give while a backing service is down."""
    answer = operation["responses"].get(code)
    if answer is None:
        return False
    return code == "502" or "application/json" in answer.get("content", {})


@pytest.fixture(scope="module")
def api_schema(live_daemon: LiveDaemon) -> schemathesis.BaseSchema:
    url = f"{live_daemon.base_url}/api/v1/openapi.json"
    document = requests.get(url, timeout=30).json()
    config = schemathesis.Config.from_dict(
        {
            "base-url": live_daemon.base_url,
            "seed": SEED,
            "operations": _per_operation(document),
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


SESSION_ENDERS = {"/api/v1/auth/logout", "/api/v1/auth/password"}
"""Operations that may end the caller's session: each call gets a session of its own."""


def _call_and_validate(case: schemathesis.Case[Any], live_daemon: LiveDaemon, role: Role) -> None:
    token = live_daemon.tokens[role]
    if case.operation.path in SESSION_ENDERS:
        token = live_daemon.fresh_session(role)
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS, timeout=30)


# One test per role (Schemathesis's parametrisation doesn't combine with pytest's).
# Schemathesis's own body strategies call ``random`` here and there (seen on POST /flows); under
# filterwarnings=error Hypothesis's deprecation of that fails a run at random, not our API.
RANDOM_IN_STRATEGIES = "ignore:Do not use the `random` module inside strategies"


@pytest.mark.filterwarnings(RANDOM_IN_STRATEGIES)
@fuzzed.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_every_operation_answers_as_documented_to_the_owner(
    case: schemathesis.Case[Any], live_daemon: LiveDaemon
) -> None:
    _call_and_validate(case, live_daemon, Role.OWNER)


@pytest.mark.filterwarnings(RANDOM_IN_STRATEGIES)
@fuzzed.parametrize()
@hypothesis_settings(
    max_examples=AGENT_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_every_operation_answers_as_documented_to_an_agent(
    case: schemathesis.Case[Any], live_daemon: LiveDaemon
) -> None:
    _call_and_validate(case, live_daemon, Role.AGENT)


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
