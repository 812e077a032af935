"""The http_request node's client: a local server is refused unless allow-listed (SSRF);
timeouts, error statuses and garbage take the error branch."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from pytake_daemon.flows.engine import HttpFailed
from pytake_daemon.flows.http_call import FlowHttp, HttpPolicy
from pytake_daemon.flows.testing import run_script
from pytake_daemon.protocol.flows import HttpRequest
from tests.flows.builders import bot_lines, chain, definition, script


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    release = asyncio.Event()

    async def balance(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response({"data": {"saldo": 42, "who": body["who"]}})

    async def garbage(request: web.Request) -> web.Response:
        return web.Response(text="<html>oops</html>")

    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/saldo", balance)
    app.router.add_get("/garbage", garbage)
    app.router.add_get("/slow", slow)
    srv = TestServer(app, host="127.0.0.1")
    await srv.start_server()
    yield srv
    release.set()
    await srv.close()


def node(url: str, method: str = "GET", timeout: float | None = None) -> HttpRequest:
    return HttpRequest(id="h", url=url, method=method, timeout_seconds=timeout)


async def test_loopback_is_refused_without_the_allow_list(server: TestServer) -> None:
    http = FlowHttp(HttpPolicy([]), default_timeout=2, max_response_bytes=10_000)
    try:
        for host in ("127.0.0.1", "localhost"):
            url = f"http://{host}:{server.port}/saldo"
            with pytest.raises(HttpFailed, match="private or local address"):
                await http(node(url, "POST"), url, {}, {"who": "x"})
        for url in ("http://169.254.169.254/latest", "http://10.0.0.1/", "http://[::1]/"):
            with pytest.raises(HttpFailed, match="refused"):
                await http(node(url), url, {}, None)
    finally:
        await http.close()


async def test_allow_listed_calls_work_and_failures_are_errors(server: TestServer) -> None:
    http = FlowHttp(HttpPolicy(["127.0.0.0/8"]), default_timeout=2, max_response_bytes=10_000)
    base = f"http://127.0.0.1:{server.port}"
    try:
        answer = await http(node(f"{base}/saldo", "POST"), f"{base}/saldo", {}, {"who": "Ana"})
        assert (answer.status, answer.body) == (200, {"data": {"saldo": 42, "who": "Ana"}})
        with pytest.raises(HttpFailed, match="not JSON"):
            await http(node(f"{base}/garbage"), f"{base}/garbage", {}, None)
        with pytest.raises(HttpFailed, match=r"no answer within 0\.2 s"):
            await http(node(f"{base}/slow", timeout=0.2), f"{base}/slow", {}, None)
        flow = definition(
            chain(
                {
                    "id": "h",
                    "type": "http_request",
                    "method": "POST",
                    "url": f"{base}/saldo",
                    "body": {"who": "{{contact.name}}"},
                    "response_map": {"saldo": "data.saldo"},
                    "_out": "success",
                },
                {"id": "ok", "type": "msg_text", "text": "saldo {{saldo}}"},
            )
        )
        result = await run_script(flow, script({"say": "x"}, contact_name="Ana"), http=http)
        assert bot_lines(result) == ["saldo 42"]
    finally:
        await http.close()
    refused = FlowHttp(HttpPolicy([]), default_timeout=2, max_response_bytes=10_000)
    try:
        result = await run_script(flow, script({"say": "x"}), http=refused)
    finally:
        await refused.close()
    [step] = [s for s in result.steps if s.node_id == "h"]
    assert step.branch == "error"
    assert step.error is not None
    assert "refused" in step.error
    # Nothing mapped from a response that never came; only the triggering message is known.
    assert result.variables == {"message.text": "x"}
