"""DaemonClient on its own: URLs, errors, and the event stream's sequencing and fallbacks."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import replace

import httpx
import pytest
from aiohttp import WSCloseCode

from pytake_tui.client import DaemonClient, DaemonError, normalize_server, websocket_url
from pytake_tui.stream import (
    Connected,
    Connecting,
    Disconnected,
    Polling,
    Received,
    ReconnectPolicy,
    Rejected,
    Resync,
    StreamEvent,
)

from .fake_daemon import ALICE_EMAIL, ALICE_PASSWORD, FakeDaemon, user_changed_envelope
from .helpers import FAST


async def _collect(
    stream: AsyncGenerator[StreamEvent, None],
    until: Callable[[list[StreamEvent]], bool],
    timeout: float = 10.0,
) -> list[StreamEvent]:
    items: list[StreamEvent] = []
    async with asyncio.timeout(timeout):
        async for item in stream:
            items.append(item)
            if until(items):
                break
    return items


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("localhost:8420", "http://localhost:8420"),
        ("http://h:1/", "http://h:1"),
        ("  https://pytake.example.com/base/ ", "https://pytake.example.com/base"),
    ],
)
def test_normalize_server(given: str, expected: str) -> None:
    assert normalize_server(given) == expected


def test_normalize_server_refuses_other_schemes() -> None:
    with pytest.raises(ValueError, match="not an http"):
        normalize_server("ftp://h")


def test_websocket_url_follows_the_scheme_and_prefix() -> None:
    assert websocket_url("http://h:8420") == "ws://h:8420/api/v1/ws"
    assert websocket_url("https://h/base/") == "wss://h/base/api/v1/ws"


def test_problem_becomes_a_one_line_error() -> None:
    response = httpx.Response(
        429,
        headers={"Retry-After": "30", "Content-Type": "application/problem+json"},
        json={"title": "Too many attempts", "status": 429, "detail": "wait a little"},
    )
    error = DaemonError.from_response(response)
    assert (error.status, error.retry_after) == (429, 30)
    assert error.message == "Too many attempts: wait a little (try again in 30 s)"


def test_validation_problem_lists_fields() -> None:
    problem = {
        "title": "Invalid request body",
        "status": 422,
        "errors": [{"loc": "email", "msg": "too short", "type": "string_too_short"}],
    }
    error = DaemonError.from_response(httpx.Response(422, json=problem))
    assert error.message == "Invalid request body: email: too short"


def test_non_problem_error_body_still_gives_a_title() -> None:
    error = DaemonError.from_response(httpx.Response(502, text="<html>bad gateway</html>"))
    assert error.message == "Bad Gateway"
    assert error.status == 502


async def test_login_me_logout(daemon: FakeDaemon) -> None:
    async with DaemonClient(daemon.url) as client:
        response = await client.login(ALICE_EMAIL, ALICE_PASSWORD)
        assert response.token in daemon.tokens
        assert (await client.me()).email == ALICE_EMAIL
        assert (await client.health()).status == "ok"
        await client.logout()
        assert client.token is None

    # The token is dead on the daemon's side too.
    async with DaemonClient(daemon.url, token=response.token) as client:
        with pytest.raises(DaemonError) as raised:
            await client.me()
        assert raised.value.unauthorized


async def test_invalid_form_is_refused_before_sending(daemon: FakeDaemon) -> None:
    async with DaemonClient(daemon.url) as client:
        with pytest.raises(DaemonError, match="Check the form: password"):
            await client.login(ALICE_EMAIL, "")


async def test_stream_flags_gaps_and_drops_stale_events(daemon: FakeDaemon) -> None:
    async with DaemonClient(daemon.url, token=daemon.issue_token(), reconnect=FAST) as client:
        async with aclosing(client.events()) as stream:
            head = await _collect(stream, lambda items: isinstance(items[-1], Connected))
            assert head[0] == Connecting(attempt=1)
            first = daemon.seq + 1
            for seq in (first, first, first - 5, first + 2):
                await daemon.send(user_changed_envelope(seq))
            items = await _collect(stream, lambda items: len(items) == 3)

    assert isinstance(items[0], Received)
    assert items[0].envelope.seq == first
    assert items[1] == Resync(f"gap: expected {first + 1}, got {first + 2}")
    assert isinstance(items[2], Received)
    assert items[2].envelope.seq == first + 2


async def test_policy_close_ends_the_stream_as_rejected(daemon: FakeDaemon) -> None:
    async with DaemonClient(daemon.url, token=daemon.issue_token(), reconnect=FAST) as client:
        stream = client.events()
        await _collect(stream, lambda items: isinstance(items[-1], Connected))
        await daemon.drop_sockets(WSCloseCode.POLICY_VIOLATION)
        rest = [item async for item in stream]
    assert rest == [Rejected("bye")]


async def test_websocket_failures_with_rest_up_fall_back_to_polling(daemon: FakeDaemon) -> None:
    daemon.ws_status = 503
    policy = replace(FAST, failures_before_polling=2)
    async with DaemonClient(daemon.url, token=daemon.issue_token(), reconnect=policy) as client:
        async with aclosing(client.events()) as stream:
            items = await _collect(stream, lambda items: items.count(Resync("polling")) >= 2)
            first, disconnected, second = items[:3]
            assert (first, second) == (Connecting(1), Connecting(2))
            assert isinstance(disconnected, Disconnected)
            assert disconnected.reason == "WebSocket refused (HTTP 503)"
            polling = Polling("WebSocket refused (HTTP 503)", policy.polling_retry_interval)
            assert polling in items
            assert Resync("polling started") in items

            daemon.ws_status = None  # the WebSocket comes back on a background retry
            items = await _collect(stream, lambda items: isinstance(items[-1], Connected))
            assert Connecting(3) not in items  # no "connecting…" flicker while polling


async def test_unreachable_daemon_backs_off_without_polling() -> None:
    policy = replace(FAST, failures_before_polling=2)
    client = DaemonClient("http://127.0.0.1:9", token="t", reconnect=policy)
    async with client, aclosing(client.events()) as stream:
        items = await _collect(
            stream, lambda items: sum(isinstance(i, Disconnected) for i in items) == 3
        )
    assert not any(isinstance(item, Polling) for item in items)
    assert all(
        item.reason == "cannot reach http://127.0.0.1:9"
        for item in items
        if isinstance(item, Disconnected)
    )


def test_backoff_grows_with_jitter_up_to_the_cap() -> None:
    policy = ReconnectPolicy(initial_delay=1.0, max_delay=30.0)
    rng = random.Random(7)
    delays = [policy.delay(n, rng) for n in range(1, 12)]
    for n, delay in enumerate(delays, start=1):
        ceiling = min(30.0, 2.0 ** (n - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert policy.delay(10_000, rng) <= 30.0
