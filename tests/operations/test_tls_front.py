"""The TLS front (docs/tls.md): the documented nginx site in front of the daemon, the daemon's
own HTTPS listener, and X-Forwarded-For believed only from the proxy.

nginx is Debian's package run as a child process with its own prefix and loopback ports; the
site is docs/nginx-pytake.conf itself, with only ports and certificate paths substituted.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import ssl
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import orjson
import pytest
from pydantic import ValidationError

from pytake_daemon.app import create_app
from pytake_daemon.config import ServerSettings, Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.http.tls import TlsConfigError, server_ssl_context
from pytake_daemon.protocol import EventEnvelope, Role
from pytake_daemon.whatsapp.signature import sign
from pytake_tui.client import DaemonClient, DaemonError
from tests.conftest import ApiClient, MakeTenant
from tests.operations.tls_support import (
    Certificate,
    running_nginx,
    self_signed,
    site_config,
    wait_listening,
)
from tests.support import PASSWORD, TenantData, daemon_env, free_port
from tests.test_cross_process import START_TIMEOUT, reaped, start_daemon
from tests.whatsapp.wa_support import add_number, envelope, text_message

pytestmark = pytest.mark.timeout(120)

WEBHOOK = "/api/v1/whatsapp/webhook"
CLIENT = "127.0.0.2"
"""The customer's side connects from another loopback address than nginx's own (127.0.0.1)."""
EVENT_TIMEOUT = 10.0


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    return self_signed(tmp_path)


def client_session(cert: Certificate, *, local: str = CLIENT) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(ssl=cert.client_context(), local_addr=(local, 0))
    return aiohttp.ClientSession(connector=connector)


async def login_ips(api: ApiClient, tenant: TenantData, email: str) -> list[str | None]:
    """Addresses recorded by the audit log for ``email``'s logins."""
    resp = await api.get(
        "/api/v1/audit",
        params={"action": "auth.login", "actor": email},
        headers=tenant[Role.ADMIN].headers,
    )
    assert resp.status == 200, await resp.text()
    return [item["ip"] for item in (await resp.json())["items"]]


async def next_event(ws: aiohttp.ClientWebSocketResponse, kind: str) -> EventEnvelope:
    async with asyncio.timeout(EVENT_TIMEOUT):
        while True:
            frame = await ws.receive()
            assert frame.type is aiohttp.WSMsgType.TEXT, frame
            received = EventEnvelope.model_validate_json(frame.data)
            if received.event.type == kind:
                return received


async def test_nginx_front_carries_a_signed_webhook_a_websocket_and_the_client_address(
    proxied_api: ApiClient,
    make_tenant: MakeTenant,
    certificate: Certificate,
    repo_root: Path,
    tmp_path: Path,
) -> None:
    tenant = await make_tenant()
    number = await add_number(proxied_api, tenant)
    http_port, https_port = free_port(), free_port()
    assert proxied_api.server.port is not None
    site = site_config(
        (repo_root / "docs" / "nginx-pytake.conf").read_text(),
        upstream_port=proxied_api.server.port,
        http_port=http_port,
        https_port=https_port,
        cert=certificate,
    )
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    front = f"https://127.0.0.1:{https_port}"
    with running_nginx(prefix, site, http_port=http_port, https_port=https_port) as nginx:
        await wait_listening(nginx)
        async with client_session(certificate) as session:
            admin = tenant[Role.ADMIN]
            async with session.ws_connect(
                f"wss://127.0.0.1:{https_port}/api/v1/ws", headers=admin.headers
            ) as ws:
                hello = await next_event(ws, "hello")

                inbound = text_message("5511987650001", "through the proxy")
                raw = orjson.dumps(envelope(number, messages=[inbound]))
                headers = {
                    "Content-Type": "application/json",
                    "X-Hub-Signature-256": sign(number.app_secret.encode(), raw),
                }
                async with session.post(f"{front}{WEBHOOK}", data=raw, headers=headers) as resp:
                    assert resp.status == 200, await resp.text()
                # The stored message comes back over the upgraded connection, through nginx.
                received = await next_event(ws, "message_received")
                assert received.seq > hello.seq
                assert received.event.type == "message_received"
                assert received.event.message.wa_message_id == inbound["id"]

            # The webhook's cap is nginx's too: refused there, never streamed to the daemon.
            too_big = b" " * (3 * 1024 * 1024 + 1)
            async with session.post(
                f"{front}{WEBHOOK}", data=io.BytesIO(too_big), headers=headers
            ) as resp:
                assert resp.status == 413
                assert resp.headers["Server"].startswith("nginx")

            # A forged X-Forwarded-For is kept by nginx but followed by the real peer, the
            # only entry the daemon believes.
            async with session.post(
                f"{front}/api/v1/auth/login",
                json={"email": admin.email, "password": PASSWORD},
                headers={"X-Forwarded-For": "203.0.113.66"},
            ) as resp:
                assert resp.status == 200, await resp.text()
            assert await login_ips(proxied_api, tenant, admin.email) == [CLIENT]

            async with session.get(
                f"http://127.0.0.1:{http_port}/readyz", allow_redirects=False
            ) as resp:
                assert resp.status == 301
                assert resp.headers["Location"].startswith("https://")
        assert nginx.proc.poll() is None, nginx.log()


async def test_forwarded_for_from_a_peer_that_is_not_a_proxy_is_ignored(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
) -> None:
    async def login_through(trusted: list[str]) -> list[str | None]:
        server = settings.server.model_copy(update={"trusted_proxies": trusted})
        # Its own Redis key space: the login throttle counts failures per address in Redis,
        # and other tests fail logins from 127.0.0.1 (this test's own address here).
        redis = settings.redis.model_copy(update={"key_prefix": f"tls-{uuid.uuid4().hex}:"})
        api = await aiohttp_client(
            create_app(settings.model_copy(update={"server": server, "redis": redis}), endpoints)
        )
        tenant = await make_tenant()
        agent = tenant[Role.AGENT]
        resp = await api.post(
            "/api/v1/auth/login",
            json={"email": agent.email, "password": PASSWORD},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
        assert resp.status == 200, await resp.text()
        return await login_ips(api, tenant, agent.email)

    # The test client is 127.0.0.1: not the configured proxy, so the header counts for nothing.
    assert await login_through(["192.0.2.10"]) == ["127.0.0.1"]
    # A network of proxies (a load balancer's subnet) is believed as a whole.
    assert await login_through(["127.0.0.0/8"]) == ["203.0.113.9"]


async def test_daemon_serves_https_itself_with_the_configured_certificate(
    settings: Settings, certificate: Certificate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    env = daemon_env(settings, port=port)
    env.update(
        PYTAKE_SERVER__TLS_CERT=str(certificate.cert), PYTAKE_SERVER__TLS_KEY=str(certificate.key)
    )
    with reaped([]) as daemons:
        daemon = start_daemon(env, tmp_path / "daemon.log")
        daemons.append(daemon)
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=certificate.client_context())
        ) as session:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + START_TIMEOUT
            while True:
                assert daemon.proc.poll() is None, daemon.log()
                with contextlib.suppress(aiohttp.ClientConnectionError, TimeoutError):
                    async with session.get(f"https://127.0.0.1:{port}/readyz") as resp:
                        if resp.status == 200:
                            break
                assert loop.time() < deadline, daemon.log()
                await asyncio.sleep(0.05)
            # Plain HTTP to the TLS port is not served.
            with pytest.raises(aiohttp.ClientError):
                async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                    await resp.read()
        # The console trusts a certificate of its own CA through SSL_CERT_FILE (docs/tls.md),
        # read at each connection's start (it keeps one context per setting), and not without.
        server = f"https://127.0.0.1:{port}"
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        monkeypatch.delenv("SSL_CERT_DIR", raising=False)
        with pytest.raises(DaemonError):
            async with DaemonClient(server) as console:
                await console.health()
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))
        async with DaemonClient(server) as console:
            assert (await console.health()).status == "ok"
        assert f"https://127.0.0.1:{port}" in daemon.log()


def test_certificate_settings_fail_in_one_sentence(
    certificate: Certificate, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match="set both or neither"):
        ServerSettings(tls_cert=certificate.cert)
    with pytest.raises(ValidationError, match="not an IP address or network"):
        ServerSettings(trusted_proxies=["proxy.example.com"])

    missing = ServerSettings(tls_cert=tmp_path / "nope.pem", tls_key=certificate.key)
    with pytest.raises(TlsConfigError, match=r"no such file .*nope\.pem"):
        server_ssl_context(missing)
    (tmp_path / "other").mkdir()
    other = self_signed(tmp_path / "other")
    mismatched = ServerSettings(tls_cert=certificate.cert, tls_key=other.key)
    with pytest.raises(TlsConfigError, match="not a PEM certificate chain and its private key"):
        server_ssl_context(mismatched)

    context = server_ssl_context(ServerSettings(tls_cert=certificate.cert, tls_key=certificate.key))
    assert context is not None
    assert context.minimum_version is ssl.TLSVersion.TLSv1_2
    assert server_ssl_context(ServerSettings()) is None
