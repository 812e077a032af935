"""Deliveries to a real local receiver: signed events of a real inbound message, retries after
the receiver was down, dead letters after the retry period (clock pinned), replay, rotation."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import orjson

from pytake_daemon.metrics import families as metrics
from pytake_daemon.outbound_webhooks.signing import verify
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.outbound_webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    DeliveryOut,
    DeliveryState,
    EndpointCreated,
    WebhookEventType,
    WebhookPayload,
)
from tests.conftest import ApiClient, MakeTenant
from tests.outbound_webhooks.support import (
    Receiver,
    deliveries,
    eventually,
    kick,
    pin_clock,
    register,
)
from tests.whatsapp.wa_support import add_number, digits, envelope, post_signed, text_message

T = WebhookEventType


def _delivered() -> float:
    value: float = metrics.WEBHOOK_DELIVERIES.labels(outcome="delivered")._value.get()
    return value


async def test_inbound_message_reaches_the_receiver_signed(
    hooks_api: ApiClient, make_tenant: MakeTenant, receiver: Receiver
) -> None:
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    clock = pin_clock(hooks_api)
    created = await register(
        hooks_api, admin, receiver.url, T.MESSAGE_RECEIVED, T.CONVERSATION_OPENED,
        tenant_id=tenant.id,
    )  # fmt: skip
    assert created.secret.startswith("whsec_")
    before = _delivered()
    number = await add_number(hooks_api, tenant)
    customer = digits(12)
    status, _ = await post_signed(
        hooks_api, envelope(number, messages=[text_message(customer, "oi")]), number.app_secret
    )
    assert status == 200

    first, second = await receiver.got(2)
    payloads = [WebhookPayload.model_validate_json(r.body) for r in (first, second)]
    # The conversation opened before its first message, in that order (one lane).
    assert [p.type for p in payloads] == [T.CONVERSATION_OPENED, T.MESSAGE_RECEIVED]
    assert payloads[1].data["message"]["text"] == "oi"
    assert payloads[1].data["conversation"]["contact"]["wa_id"] == customer
    assert {p.tenant_id for p in payloads} == {tenant.id}
    for request, payload in zip((first, second), payloads, strict=True):
        header = request.headers[SIGNATURE_HEADER]
        assert header.startswith(f"t={int(clock().timestamp())},v1=")
        assert verify(header, request.body, created.secret, now=int(clock().timestamp()))
        assert not verify(header, request.body + b" ", created.secret, now=int(clock().timestamp()))
        assert request.headers[EVENT_HEADER] == payload.type.value
        assert request.headers["Content-Type"] == "application/json"

    async def both_delivered() -> bool:
        listed = await deliveries(hooks_api, admin, endpoint_id=created.endpoint.id)
        return len(listed.items) == 2 and all(
            d.state is DeliveryState.DELIVERED and d.last_status == 200 for d in listed.items
        )

    await eventually(both_delivered, what="both deliveries recorded")
    listed = await deliveries(hooks_api, admin, endpoint_id=created.endpoint.id)
    ids = {r.headers[DELIVERY_HEADER] for r in (first, second)}
    assert {str(d.id) for d in listed.items} == ids
    assert _delivered() >= before + 2
    # The secret is never shown again.
    resp = await hooks_api.get(f"/api/v1/webhooks/endpoints/{created.endpoint.id}",
                               headers=admin.headers)  # fmt: skip
    assert created.secret not in await resp.text()


async def _one_event(api: ApiClient, tenant_id: uuid.UUID) -> None:
    """A rating, through the event bus as the satisfaction survey publishes it."""
    from pytake_daemon.keys import EVENT_BUS
    from pytake_daemon.protocol.agents import SatisfactionReceived

    await api.app[EVENT_BUS].publish(
        tenant_id,
        SatisfactionReceived(conversation_id=uuid.uuid4(), agent_id=uuid.uuid4(), rating=5),
    )


async def _only(
    api: ApiClient, admin_headers: dict[str, str], endpoint: uuid.UUID
) -> DeliveryOut | None:
    """The endpoint's one delivery (None before the collector wrote it)."""
    resp = await api.get("/api/v1/webhooks/deliveries", params={"endpoint_id": str(endpoint)},
                         headers=admin_headers)  # fmt: skip
    items = [DeliveryOut.model_validate(d) for d in (await resp.json())["items"]]
    assert len(items) <= 1
    return items[0] if items else None


async def test_retried_after_the_receiver_was_down_then_dead_lettered_and_replayed(
    hooks_api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    clock = pin_clock(hooks_api)
    receiver = Receiver()  # not started: the receiver is down
    created = await register(hooks_api, admin, receiver.url, T.RATING_RECEIVED, tenant_id=tenant.id)
    endpoint = created.endpoint.id
    await _one_event(hooks_api, tenant.id)

    async def tried(n: int) -> DeliveryOut | None:
        item = await _only(hooks_api, admin.headers, endpoint)
        # Recorded: its try's time is the (pinned) clock's, not an earlier try's.
        settled = item is not None and item.attempts == n and item.last_attempt_at == clock()
        return item if settled else None

    first = await eventually(lambda: tried(1), what="the first failed try")
    assert first.state is DeliveryState.PENDING
    assert first.last_status is None
    assert first.last_error
    assert first.next_attempt_at is not None
    # Exponential with jitter: 10 s (first wait) plus up to 10 s.
    assert timedelta(seconds=10) <= first.next_attempt_at - clock() <= timedelta(seconds=20)

    await receiver.start()
    try:
        receiver.answers.extend([503])
        clock.at = first.next_attempt_at
        kick(hooks_api)
        second = await eventually(lambda: tried(2), what="the second try (503)")
        assert (second.state, second.last_status, second.last_error) == (
            DeliveryState.PENDING, 503, "HTTP 503",
        )  # fmt: skip
        assert second.next_attempt_at is not None
        assert second.next_attempt_at - clock() >= timedelta(seconds=20)  # it grew

        # A day later, the last try fails too: a dead letter, visible as such.
        receiver.answers.extend([500])
        clock.advance(timedelta(hours=24))
        kick(hooks_api)

        async def dead() -> DeliveryOut | None:
            item = await _only(hooks_api, admin.headers, endpoint)
            return item if item is not None and item.state is DeliveryState.DEAD else None

        letter = await eventually(dead, what="the dead letter")
        assert letter.attempts == 3
        assert letter.last_status == 500
        assert letter.last_error
        assert letter.last_error.startswith("gave up after 3 tries over 24 h")
        dead_list = await deliveries(hooks_api, admin, state="dead")
        assert [d.id for d in dead_list.items] == [letter.id]

        # Replayed: a new delivery of the same event and the same bytes.
        resp = await hooks_api.post(f"/api/v1/webhooks/deliveries/{letter.id}/replay",
                                    headers=admin.headers)  # fmt: skip
        assert resp.status == 201, await resp.text()
        replay = DeliveryOut.model_validate(await resp.json())
        assert (replay.replay_of, replay.event_id) == (letter.id, letter.event_id)
        requests = await receiver.got(3)
        assert requests[2].body == requests[1].body == requests[0].body
        assert orjson.loads(requests[2].body)["id"] == str(letter.event_id)

        async def replay_delivered() -> bool:
            listed = await deliveries(hooks_api, admin, endpoint_id=endpoint)
            return any(d.id == replay.id and d.state is DeliveryState.DELIVERED
                       for d in listed.items)  # fmt: skip

        await eventually(replay_delivered, what="the replay delivered")
        # Only dead letters are replayed.
        resp = await hooks_api.post(f"/api/v1/webhooks/deliveries/{replay.id}/replay",
                                    headers=admin.headers)  # fmt: skip
        assert resp.status == 409
    finally:
        await receiver.stop()


async def test_rotation_signs_with_both_secrets_during_the_overlap(
    hooks_api: ApiClient, make_tenant: MakeTenant, receiver: Receiver
) -> None:
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    clock = pin_clock(hooks_api)
    created = await register(hooks_api, admin, receiver.url, T.RATING_RECEIVED, tenant_id=tenant.id)
    resp = await hooks_api.post(
        f"/api/v1/webhooks/endpoints/{created.endpoint.id}/rotate-secret",
        json={"overlap_hours": 2},
        headers=admin.headers,
    )
    assert resp.status == 200, await resp.text()
    rotated = EndpointCreated.model_validate(await resp.json())
    assert rotated.secret != created.secret
    assert rotated.endpoint.previous_secret_until == clock() + timedelta(hours=2)

    await _one_event(hooks_api, tenant.id)
    [during] = await receiver.got(1)
    now = int(clock().timestamp())
    header = during.headers[SIGNATURE_HEADER]
    assert header.count("v1=") == 2
    assert verify(header, during.body, rotated.secret, now=now)
    assert verify(header, during.body, created.secret, now=now)

    clock.advance(timedelta(hours=3))
    await _one_event(hooks_api, tenant.id)
    _, after = await receiver.got(2)
    now = int(clock().timestamp())
    header = after.headers[SIGNATURE_HEADER]
    assert header.count("v1=") == 1
    assert verify(header, after.body, rotated.secret, now=now)
    assert not verify(header, after.body, created.secret, now=now)
    # A stale timestamp is refused by the receiver's tolerance.
    assert not verify(header, after.body, rotated.secret, now=int(time.time()) + 10**6)
