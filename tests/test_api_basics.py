"""Health, problem documents for bad input, OpenAPI."""

from __future__ import annotations

from pytake_daemon.db import migrations
from pytake_daemon.protocol import Health, Problem, Readiness, Role
from tests.conftest import ApiClient, MakeTenant


async def test_healthz_and_readyz(api: ApiClient) -> None:
    resp = await api.get("/healthz")
    assert resp.status == 200
    Health.model_validate(await resp.json())
    resp = await api.get("/readyz")
    assert resp.status == 200
    ready = Readiness.model_validate(await resp.json())
    assert ready.ready
    assert ready.database
    assert ready.redis
    assert ready.migrations_current
    assert ready.schema_version == migrations.latest_version()


async def test_unknown_route_is_json_404(api: ApiClient) -> None:
    resp = await api.get("/api/v1/definitely-not-here")
    assert resp.status == 404
    assert resp.content_type == "application/problem+json"
    problem = Problem.model_validate(await resp.json())
    assert problem.status == 404
    assert problem.request_id == resp.headers["X-Request-Id"]


async def test_wrong_method_is_405_with_allow(api: ApiClient) -> None:
    resp = await api.put("/api/v1/auth/login")
    assert resp.status == 405
    assert "POST" in resp.headers["Allow"]
    Problem.model_validate(await resp.json())


async def test_malformed_json_gives_position(api: ApiClient) -> None:
    resp = await api.post("/api/v1/auth/login", data=b'{"email": "a@b", ')
    assert resp.status == 400
    problem = Problem.model_validate(await resp.json())
    assert problem.detail is not None
    assert "line 1 column" in problem.detail


async def test_validation_lists_each_field(api: ApiClient, make_tenant: MakeTenant) -> None:
    tenant = await make_tenant()
    resp = await api.post(
        "/api/v1/users",
        json={"email": "not-an-email", "role": "emperor", "surprise": 1},
        headers=tenant[Role.ADMIN].headers,
    )
    assert resp.status == 422
    problem = Problem.model_validate(await resp.json())
    assert problem.errors is not None
    locs = {e.loc for e in problem.errors}
    assert {"body.email", "body.role", "body.name", "body.password", "body.surprise"} <= locs


async def test_openapi_documents_every_route(api: ApiClient) -> None:
    resp = await api.get("/api/v1/openapi.json")
    assert resp.status == 200
    spec = await resp.json()
    assert spec["openapi"].startswith("3.1")
    login = spec["paths"]["/api/v1/auth/login"]["post"]
    ref = login["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/LoginRequest"
    assert "LoginRequest" in spec["components"]["schemas"]
    users = spec["paths"]["/api/v1/users"]["post"]
    # An API token needs the route's scope (issue #21); the scheme lists them all.
    assert users["security"] == [{"bearer": ["admin"]}]
    assert users["x-pytake-scope"] == "admin"
    assert set(spec["components"]["securitySchemes"]["bearer"]["x-pytake-scopes"]) == {
        "read",
        "messages:send",
        "conversations:write",
        "flows:write",
        "admin",
    }
    assert {"401", "403", "422", "201"} <= set(users["responses"])
    op_ids = [op["operationId"] for path in spec["paths"].values() for op in path.values()]
    assert len(op_ids) == len(set(op_ids)), "operationIds must be unique"
