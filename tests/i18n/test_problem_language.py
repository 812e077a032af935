"""Problem documents in the caller's language: Accept-Language, else the caller's profile
language, else the tenant's default, else English; against the real PostgreSQL and Redis."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from pytake_daemon.app import create_app
from pytake_daemon.auth.ratelimit import TOKEN_RATE_CLOCK
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.auth import Scope
from tests.auth_scopes.support import bearer, plant_token
from tests.conftest import ApiClient, MakeTenant
from tests.support import TenantData


async def _problem(
    api: ApiClient, tenant: TenantData, path: str, language: str | None = None, **kw: Any
) -> dict[str, Any]:
    headers = dict(tenant[Role.ADMIN].headers)
    if language is not None:
        headers["Accept-Language"] = language
    method = api.post if "json" in kw else api.get
    resp = await method(path, headers=headers, **kw)
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = await resp.json()
    body["status_code"] = resp.status
    return body


async def test_a_constant_detail_and_its_title_follow_accept_language(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    path = f"/api/v1/queues/{uuid.uuid4()}"
    english = await _problem(api, tenant, path, "en-US,en;q=0.9")
    portuguese = await _problem(api, tenant, path, "pt-BR,pt;q=0.9,en;q=0.5")
    assert (english["status_code"], english["title"], english["detail"]) == (
        404,
        "Not Found",
        "no such queue",
    )
    assert (portuguese["status_code"], portuguese["title"], portuguese["detail"]) == (
        404,
        "Não encontrado",
        "fila inexistente",
    )
    # A language we don't have, or none at all, is English.
    assert (await _problem(api, tenant, path, "fr-FR"))["detail"] == "no such queue"
    assert (await _problem(api, tenant, path))["detail"] == "no such queue"


async def test_a_sentence_with_fields_is_said_again_with_them(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    # Two fields wrong: "{len} invalid field(s)", raised as an f-string, recognised by shape.
    body = {"name": "", "strategy": "nobody"}
    english = await _problem(api, tenant, "/api/v1/queues", "en", json=body)
    portuguese = await _problem(api, tenant, "/api/v1/queues", "pt-BR", json=body)
    assert english["status_code"] == portuguese["status_code"] == 422
    assert english["detail"] == "2 invalid field(s)"
    assert portuguese["detail"] == "2 campo(s) inválido(s)"
    assert portuguese["title"] == "Entidade não processável"
    # Each field's sentence is worded from pydantic's error in the reader's language.
    assert [(e["loc"], e["type"], e["msg"]) for e in english["errors"]] == [
        ("body.name", "string_too_short", "Write at least 1 character"),
        ("body.strategy", "extra_forbidden", "Not an expected field"),
    ]
    assert [(e["loc"], e["type"], e["msg"]) for e in portuguese["errors"]] == [
        ("body.name", "string_too_short", "Escreva pelo menos 1 caractere"),
        ("body.strategy", "extra_forbidden", "Campo não esperado"),
    ]


async def test_an_invalid_field_follows_the_profile_language_without_accept_language(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    profile = {"business_name": "Padaria", "timezone": "America/Sao_Paulo", "language": "pt_BR"}
    resp = await api.put("/api/v1/tenant/profile", json=profile, headers=tenant[Role.ADMIN].headers)
    assert resp.status == 200
    problem = await _problem(api, tenant, "/api/v1/queues", json={"name": "x" * 500})
    assert problem["status_code"] == 422
    assert [(e["loc"], e["msg"]) for e in problem["errors"]] == [
        ("body.name", "No máximo 100 caracteres")
    ]


async def test_without_accept_language_the_profile_then_the_tenant_decides(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    path = f"/api/v1/queues/{uuid.uuid4()}"
    profile = {"business_name": "Padaria", "timezone": "America/Sao_Paulo", "language": "pt_BR"}
    resp = await api.put("/api/v1/tenant/profile", json=profile, headers=tenant[Role.ADMIN].headers)
    assert resp.status == 200, await resp.text()
    # The tenant's default: Portuguese.
    assert (await _problem(api, tenant, path))["detail"] == "fila inexistente"
    # The admin chose English for themself: their profile wins over the tenant's.
    resp = await api.put(
        "/api/v1/auth/me", json={"language": "en"}, headers=tenant[Role.ADMIN].headers
    )
    assert resp.status == 200, await resp.text()
    assert (await _problem(api, tenant, path))["detail"] == "no such queue"
    # And Accept-Language wins over both.
    assert (await _problem(api, tenant, path, "pt-BR"))["detail"] == "fila inexistente"


async def test_an_unauthenticated_caller_reads_accept_languages_choice(api: ApiClient) -> None:
    resp = await api.get("/api/v1/queues", headers={"Accept-Language": "pt-BR"})
    body = await resp.json()
    assert (resp.status, body["title"], body["detail"]) == (
        401,
        "Não autorizado",
        "é preciso um token bearer",
    )
    resp = await api.get("/api/v1/no-such-thing", headers={"Accept-Language": "pt"})
    body = await resp.json()
    assert (resp.status, body["title"], body["detail"]) == (
        404,
        "Não encontrado",
        "endpoint inexistente",
    )


async def test_a_load_shedding_refusal_reads_no_database_for_its_language(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
    admin_conn: Connection,
) -> None:
    # A 429 is said in Accept-Language's choice, else English, even in a Portuguese tenant:
    # reading the profile for each refusal would add the load it refuses.
    app = create_app(settings, endpoints)
    app[TOKEN_RATE_CLOCK] = lambda: 1_800_000_000 // 60 * 60 + 30.0  # mid-minute, pinned
    api = await aiohttp_client(app)
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    profile = {"business_name": "Padaria", "timezone": "America/Sao_Paulo", "language": "pt_BR"}
    resp = await api.put("/api/v1/tenant/profile", json=profile, headers=admin.headers)
    assert resp.status == 200, await resp.text()
    token, _id = await plant_token(
        admin_conn, tenant.id, admin.id, [Scope.READ], rate_limit_per_minute=1
    )
    assert (await api.get("/api/v1/auth/me", headers=bearer(token))).status == 200
    resp = await api.get("/api/v1/auth/me", headers=bearer(token))
    body = await resp.json()
    assert (resp.status, body["detail"]) == (
        429,
        "this token's limit of 1 requests a minute is reached",
    )
    resp = await api.get("/api/v1/auth/me", headers={**bearer(token), "Accept-Language": "pt"})
    body = await resp.json()
    assert (resp.status, body["detail"]) == (
        429,
        "o limite deste token de 1 requisições por minuto foi atingido",
    )
