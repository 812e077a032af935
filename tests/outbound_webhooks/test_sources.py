"""flow.completed and contact.updated from their real sources: a published flow that ends on a
customer's message (through the signed Meta webhook and the fan-out), and an agent renaming
the contact and tagging it through the API."""

from __future__ import annotations

import uuid

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.outbound_webhooks import WebhookEventType, WebhookPayload
from tests.conftest import ApiClient, MakeTenant
from tests.flows.builders import chain
from tests.outbound_webhooks.support import Receiver, pin_clock, register
from tests.whatsapp.wa_support import add_number, digits, envelope, post_signed, text_message

T = WebhookEventType


async def test_a_flow_ending_and_a_contact_changed_reach_the_receiver(
    hooks_api: ApiClient, make_tenant: MakeTenant, receiver: Receiver
) -> None:
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    pin_clock(hooks_api)
    await register(hooks_api, admin, receiver.url, T.FLOW_COMPLETED, T.CONTACT_UPDATED,
                   tenant_id=tenant.id)  # fmt: skip
    document = chain({"id": "bye", "type": "end"}, name="ends at once")
    resp = await hooks_api.post("/api/v1/flows", json=document, headers=admin.headers)
    assert resp.status == 201, await resp.text()
    flow_id = uuid.UUID((await resp.json())["id"])
    resp = await hooks_api.post(f"/api/v1/flows/{flow_id}/publish", json={},
                                headers=admin.headers)  # fmt: skip
    assert resp.status == 200, await resp.text()

    number = await add_number(hooks_api, tenant)
    status, _ = await post_signed(
        hooks_api, envelope(number, messages=[text_message(digits(12), "oi")]), number.app_secret
    )
    assert status == 200
    [ended] = await receiver.got(1)
    payload = WebhookPayload.model_validate_json(ended.body)
    assert payload.type is T.FLOW_COMPLETED
    assert (payload.data["flow_id"], payload.data["flow_version"]) == (str(flow_id), 1)
    conversation = payload.data["conversation_id"]

    resp = await hooks_api.get(f"/api/v1/conversations/{conversation}", headers=admin.headers)
    contact = (await resp.json())["contact"]["id"]
    agent = tenant[Role.AGENT]
    resp = await hooks_api.patch(f"/api/v1/contacts/{contact}",
                                 json={"name": "Ana (VIP)", "attributes": {"plan": "gold"}},
                                 headers=agent.headers)  # fmt: skip
    assert resp.status == 200, await resp.text()
    resp = await hooks_api.put(f"/api/v1/contacts/{contact}/tags", json={"tags": ["vip"]},
                               headers=agent.headers)  # fmt: skip
    assert resp.status == 200, await resp.text()
    # An unchanged PATCH announces nothing.
    resp = await hooks_api.patch(f"/api/v1/contacts/{contact}", json={"name": "Ana (VIP)"},
                                 headers=agent.headers)  # fmt: skip
    assert resp.status == 200

    _, renamed, tagged = await receiver.got(3)
    changes = [WebhookPayload.model_validate_json(r.body) for r in (renamed, tagged)]
    assert [c.type for c in changes] == [T.CONTACT_UPDATED, T.CONTACT_UPDATED]
    assert [(c.data["name"], c.data["attributes"], c.data["tags"]) for c in changes] == [
        ("Ana (VIP)", {"plan": "gold"}, []),
        ("Ana (VIP)", {"plan": "gold"}, ["vip"]),
    ]
    assert {c.data["contact"]["id"] for c in changes} == {contact}
    assert len(receiver.requests) == 3
