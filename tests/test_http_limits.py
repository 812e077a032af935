"""What the HTTP parser refuses before any middleware (issue 20, item 8): the fuzzer sent a
~10 KB URL and aiohttp answered its own ``text/plain`` 400. Now a URL within the limit reaches
the app and gets the route's own answer; one past it, or a header past its limit, is a problem
document with a status every operation documents (``http/server.py``, ``http/openapi.py``).

Against the daemon's own runner on a real port: aiohttp's test client would not show what a
connection answers before the app.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from pytake_daemon.app import all_endpoints, create_app
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.http.openapi import build_openapi
from pytake_daemon.http.server import MAX_HEADER_BYTES, MAX_URL_BYTES, ProblemAppRunner
from pytake_daemon.protocol import Problem, Role
from tests.conftest import MakeTenant

PROBLEM = "application/problem+json"


@pytest.fixture
async def base_url(settings: Settings, endpoints: Endpoints) -> AsyncIterator[str]:
    runner = ProblemAppRunner(create_app(settings, endpoints))
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def _problem(resp: aiohttp.ClientResponse) -> Problem:
    assert resp.content_type == PROBLEM, await resp.text()
    problem = Problem.model_validate_json(await resp.read())
    assert problem.status == resp.status
    return problem


async def test_a_10_kb_url_reaches_the_route_and_a_100_kb_one_is_a_documented_414(
    base_url: str, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    owner = tenant[Role.OWNER].headers
    async with aiohttp.ClientSession() as session:
        # ~10 KB: past aiohttp's default line limit, within the daemon's. The route reads it
        # and its query model refuses the search (200 characters at most), as documented.
        url = f"{base_url}/api/v1/contacts?q={'a' * 10_000}"
        async with session.get(url, headers=owner) as resp:
            assert resp.status == 422
            problem = await _problem(resp)
            assert problem.errors is not None
            assert [e.loc for e in problem.errors] == ["query.q"]
            assert "X-Request-Id" in resp.headers  # the middlewares ran
        async with session.get(f"{base_url}/api/v1/{'x' * 10_000}", headers=owner) as resp:
            assert resp.status == 404
            await _problem(resp)

        # ~100 KB: past the limit, refused by the parser, still a problem document.
        url = f"{base_url}/api/v1/contacts?q={'a' * 100_000}"
        async with session.get(url, headers=owner) as resp:
            assert resp.status == 414
            problem = await _problem(resp)
            assert problem.title == "URI Too Long"
            assert problem.detail is not None
            assert str(MAX_URL_BYTES) in problem.detail
            assert "aaaa" not in problem.detail  # what was sent is not echoed

        # The connection was closed after the refusal; a new one is served as before.
        async with session.get(f"{base_url}/healthz") as resp:
            assert resp.status == 200


async def test_a_header_past_its_limit_is_a_documented_431(base_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        headers = {"X-Padding": "p" * (MAX_HEADER_BYTES + 1)}
        async with session.get(f"{base_url}/healthz", headers=headers) as resp:
            assert resp.status == 431
            problem = await _problem(resp)
            assert problem.detail is not None
            assert problem.title == "Request Header Fields Too Large"
            assert str(MAX_HEADER_BYTES) in problem.detail
        # Just under the limit: served.
        headers = {"X-Padding": "p" * (MAX_HEADER_BYTES - 100)}
        async with session.get(f"{base_url}/healthz", headers=headers) as resp:
            assert resp.status == 200


def test_every_operation_documents_the_parsers_refusals() -> None:
    paths = build_openapi(all_endpoints())["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            for code in ("414", "431"):
                answer = operation["responses"].get(code)
                assert answer is not None, (method, path, code)
                assert set(answer["content"]) == {PROBLEM}
