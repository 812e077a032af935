"""The receiver example of docs/webhooks.md, run as it is written (a process of its own) against
real deliveries: it verifies their signatures, answers 204, handles each event once, and
refuses a tampered body or a stale timestamp with 400."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from pytake_daemon.outbound_webhooks.signing import signature_header
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.outbound_webhooks import DeliveryState, WebhookEventType
from tests.conftest import ApiClient, MakeTenant
from tests.outbound_webhooks.support import deliveries, eventually, register
from tests.outbound_webhooks.test_lanes_and_failures import _rate
from tests.support import free_port

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def example() -> str:
    blocks: list[str] = [
        block
        for block in re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
        if "X-PyTake-Signature" in block
    ]
    assert len(blocks) == 1
    return blocks[0]


async def _listening(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


async def test_the_documented_receiver_verifies_real_deliveries(
    hooks_api: ApiClient, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    port = free_port()
    url = f"http://127.0.0.1:{port}/pytake"
    # Not pinned: the example checks the timestamp against its own wall clock.
    created = await register(hooks_api, admin, url, WebhookEventType.RATING_RECEIVED,
                             tenant_id=tenant.id)  # fmt: skip
    script = tmp_path / "receiver.py"
    script.write_text(example())
    env = {"PYTAKE_WEBHOOK_SECRETS": created.secret, "HOST": "127.0.0.1", "PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, str(script)], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        await eventually(lambda: _listening(port), what="the example receiver")
        await _rate(hooks_api, tenant.id, uuid.uuid4(), 5)

        async def delivered() -> list[uuid.UUID]:
            items = (await deliveries(hooks_api, admin, endpoint_id=created.endpoint.id)).items
            return [d.event_id for d in items if d.state is DeliveryState.DELIVERED]

        [event_id] = await eventually(delivered, what="the delivery accepted by the example")
        [listed] = (await deliveries(hooks_api, admin, endpoint_id=created.endpoint.id)).items
        assert listed.last_status == 204

        # Its refusals: a body changed after signing, a signature from another secret, and an
        # old timestamp; then the same event again (a replay) is accepted, handled once.
        body = b'{"id": "%s", "type": "rating.received"}' % str(event_id).encode()
        now = int(time.time())
        async with httpx.AsyncClient() as http:

            async def post(header: str, payload: bytes = body) -> int:
                resp = await http.post(url, content=payload,
                                       headers={"X-PyTake-Signature": header})  # fmt: skip
                return resp.status_code

            good = signature_header([created.secret], now, body)
            assert await post(good, body + b" ") == 400
            assert await post(signature_header(["whsec_other"], now, body)) == 400
            assert await post(signature_header([created.secret], now - 3600, body)) == 400
            assert await post("") == 400
            assert await post(good) == 204
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)
    assert out.splitlines() == [f"rating.received {event_id}"]
