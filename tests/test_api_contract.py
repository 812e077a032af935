"""The API keeps its own contract (issue 20, item 8): one regression test for each class of
failure Schemathesis found, fixed where requests are read (``http/api.py``), where errors
become problems (``http/middlewares.py``) and where the document is written
(``http/openapi.py``)."""

from __future__ import annotations

import uuid
from typing import Any

from pytake_daemon.app import all_endpoints
from pytake_daemon.http.openapi import build_openapi
from pytake_daemon.protocol import Role
from tests.conftest import ApiClient, MakeTenant
from tests.whatsapp.wa_support import add_number


def _problem_fields(body: dict[str, Any]) -> dict[str, str]:
    return {field["loc"]: field["type"] for field in body.get("errors") or []}


# ---- bodies mean what the document says (strict types) ----------------------------------------


async def test_a_number_is_not_a_boolean_nor_a_date(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN].headers
    agent_id = tenant[Role.AGENT].id
    resp = await api.patch(f"/api/v1/users/{agent_id}", json={"disabled": 0}, headers=admin)
    assert resp.status == 422
    assert _problem_fields(await resp.json()) == {"body.disabled": "bool_type"}

    resp = await api.post("/api/v1/queues", json={"name": "Sales", "holidays": [0]}, headers=admin)
    assert resp.status == 422
    assert _problem_fields(await resp.json()) == {"body.holidays.0": "date_type"}

    resp = await api.post("/api/v1/queues", json={"name": 7}, headers=admin)
    assert resp.status == 422
    assert _problem_fields(await resp.json()) == {"body.name": "string_type"}


async def test_ids_dates_and_integral_numbers_still_read_from_json(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    body = {"name": "Support", "holidays": ["2026-12-25"], "max_size": 250.0}
    resp = await api.post("/api/v1/queues", json=body, headers=tenant[Role.ADMIN].headers)
    assert resp.status == 201, await resp.text()
    created = await resp.json()
    assert created["holidays"] == ["2026-12-25"]
    assert created["max_size"] == 250  # JSON Schema's integer includes 250.0


async def test_an_integer_beyond_64_bits_is_refused_not_a_server_error(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    body = {"name": "Huge", "max_size": 1.4e308}
    resp = await api.post("/api/v1/queues", json=body, headers=tenant[Role.ADMIN].headers)
    assert resp.status == 422
    assert "body.max_size" in _problem_fields(await resp.json())


async def test_a_template_component_without_a_type_is_a_field_error(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    body = {
        "number_id": str(number.id),
        "name": "order_update",
        "language": "en",
        "category": "UTILITY",
        "components": [{}],
    }
    resp = await api.post(
        "/api/v1/whatsapp/templates", json=body, headers=tenant[Role.ADMIN].headers
    )
    assert resp.status == 422
    assert _problem_fields(await resp.json()) == {"body.components.0.type": "missing"}


# ---- query strings ------------------------------------------------------------------------------


async def test_query_values_are_read_once_each_and_as_documented(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN].headers
    resp = await api.get("/api/v1/audit?limit=", headers=admin)
    assert resp.status == 422
    assert _problem_fields(await resp.json()) == {"query.limit": "int_parsing"}

    resp = await api.get("/api/v1/audit?cursor=a&cursor=b", headers=admin)
    assert resp.status == 422
    assert _problem_fields(await resp.json()) == {"query.cursor": "repeated"}

    # A number is not an ISO 8601 time, whatever pydantic would make of it.
    resp = await api.get("/api/v1/audit/counts?until=0.5", headers=admin)
    assert resp.status == 422
    assert _problem_fields(await resp.json()) == {"query.until": "iso8601"}

    resp = await api.get("/api/v1/audit?limit=2&until=2026-12-01T00:00:00Z", headers=admin)
    assert resp.status == 200, await resp.text()


def test_query_parameters_are_documented_with_their_types() -> None:
    params = {
        p["name"]: p["schema"]
        for p in build_openapi(all_endpoints())["paths"]["/api/v1/audit"]["get"]["parameters"]
    }
    assert params["limit"] == {"type": "integer", "minimum": 1, "maximum": 500}
    assert params["since"] == {"type": "string", "format": "date-time"}
    assert params["cursor"] == {"type": "string", "maxLength": 200}  # no null in a query


# ---- the media upload --------------------------------------------------------------------


async def test_a_multipart_upload_without_a_boundary_is_a_bad_request(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    url = f"/api/v1/whatsapp/numbers/{number.id}/media"
    headers = tenant[Role.ADMIN].headers
    resp = await api.post(
        url, data=b"--x\r\n", headers={**headers, "Content-Type": "multipart/form-data"}
    )
    assert resp.status == 400
    assert "malformed multipart/form-data body" in (await resp.json())["detail"]

    broken_part = (
        b'--b\r\nContent-Disposition: form-data; name="f\x10"\r\n\x01\r\n\r\nx\r\n--b--\r\n'
    )
    resp = await api.post(
        url,
        data=broken_part,
        headers={**headers, "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert resp.status == 400


def test_the_upload_documents_its_multipart_body_and_its_refusals() -> None:
    operation = build_openapi(all_endpoints())["paths"]["/api/v1/whatsapp/numbers/{id}/media"]
    upload = operation["post"]
    schema = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert schema["required"] == ["file"]
    assert schema["properties"]["file"] == {"type": "string", "format": "binary"}
    assert {"400", "413", "502"} <= set(upload["responses"])


# ---- methods and statuses ----------------------------------------------------------------


async def test_allow_lists_only_the_documented_methods_of_a_fixed_path(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    """``/flows/validate`` also matches ``/flows/{id}`` (GET, PUT); its own method is POST."""
    headers = (await make_tenant())[Role.ADMIN].headers
    for path, allowed in (
        ("/api/v1/flows/validate", "POST"),
        ("/api/v1/queues/dashboard", "GET"),
        (f"/api/v1/flows/{uuid.uuid4()}", "GET, PUT"),
    ):
        resp = await api.request("OPTIONS", path, headers=headers)
        assert resp.status == 405, path
        assert resp.headers["Allow"] == allowed, path
        assert (await resp.json())["detail"] == f"allowed: {allowed}"


def test_every_status_a_route_answers_is_documented() -> None:
    paths = build_openapi(all_endpoints())["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                assert {"400", "413"} <= set(operation["responses"]), (method, path)
    # Even an open route checks a token it is given: a bad one is 401, a throttled one 429.
    assert {"401", "429"} <= set(paths["/healthz"]["get"]["responses"])
    ready = paths["/readyz"]["get"]["responses"]
    # Not ready is the same document with ready=false, not a problem.
    assert ready["503"]["content"] == ready["200"]["content"]


def test_the_document_has_no_tuple_schemas_older_tools_reject() -> None:
    document = build_openapi(all_endpoints())
    assert "prefixItems" not in str(document)
    hours = document["components"]["schemas"]["QueueSettings"]["properties"]["business_hours"]
    pair = hours["anyOf"][0]["additionalProperties"]["items"]
    assert pair == {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2}
