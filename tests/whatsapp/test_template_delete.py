"""Deleting a message template: at Meta (the simulator, by name and ``hsm_id`` so one language
goes), then the local copy, audited; Meta's four-week block on the name and language; a template
Meta no longer has. ``pytake templates delete``: tests/whatsapp/test_cli_whatsapp.py."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from asyncpg import Connection

from pytake_daemon.protocol import Role
from pytake_simulator.errors import GraphError
from pytake_simulator.simulator import Simulator
from pytake_simulator.template_reviews import DELETED_NAME_BLOCKED
from tests.whatsapp.wa_support import ApiClient, SimulatedWorld

TEMPLATES = "/api/v1/whatsapp/templates"


async def _local(api: ApiClient, headers: dict[str, str], name: str) -> dict[str, str]:
    """The local copy's ids of ``name`` by language."""
    resp = await api.get(TEMPLATES, params={"name": name}, headers=headers)
    assert resp.status == 200, await resp.text()
    return {t["language"]: t["id"] for t in (await resp.json())["items"] if t["name"] == name}


def _at_meta(sim: Simulator, waba: str, name: str) -> set[str]:
    return {r.definition.language for r in sim.store.templates[waba] if r.definition.name == name}


def _pt_br_order_update(sim: Simulator, waba: str) -> None:
    sim.create_template(
        waba,
        {
            "name": "order_update",
            "language": "pt_BR",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Seu pedido {{1}} saiu."}],
        },
    )


async def test_delete_one_language_at_meta_then_here_audited(
    simulated: SimulatedWorld, admin_conn: Connection
) -> None:
    world = simulated
    sim, api = world.sim, world.api
    admin, agent = world.tenant[Role.ADMIN].headers, world.tenant[Role.AGENT].headers
    [waba] = sim.store.templates
    _pt_br_order_update(sim, waba)
    assert (await api.post(f"{TEMPLATES}/sync", headers=admin)).status == 200
    ids = await _local(api, admin, "order_update")
    assert set(ids) == {"en_US", "pt_BR"}

    refused = await api.delete(f"{TEMPLATES}/{ids['en_US']}", headers=agent)
    assert refused.status == 403
    assert _at_meta(sim, waba, "order_update") == {"en_US", "pt_BR"}

    resp = await api.delete(f"{TEMPLATES}/{ids['en_US']}", headers=admin)
    assert resp.status == 200, await resp.text()
    gone = await resp.json()
    assert (gone["name"], gone["language"]) == ("order_update", "en_US")
    # Only that language, at Meta and here: the Portuguese one stays in both.
    assert _at_meta(sim, waba, "order_update") == {"pt_BR"}
    assert set(await _local(api, admin, "order_update")) == {"pt_BR"}
    audited = await admin_conn.fetch(
        "SELECT action, target_id, diff FROM audit_entries WHERE tenant_id = $1"
        " AND action = 'template.delete'",
        world.tenant.id,
    )
    assert [(r["target_id"], r["diff"]["language"]["before"]) for r in audited] == [
        (ids["en_US"], "en_US")
    ]

    again = await api.delete(f"{TEMPLATES}/{ids['en_US']}", headers=admin)
    assert again.status == 404
    unknown = await api.delete(f"{TEMPLATES}/{uuid.uuid4()}", headers=admin)
    assert unknown.status == 404

    # Meta keeps the name and language blocked: a new submission is refused in its words.
    resubmitted = await api.post(
        TEMPLATES,
        json={
            "number_id": str(world.number_id),
            "name": "order_update",
            "language": "en_US",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Your order {{1}} shipped."}],
        },
        headers=admin,
    )
    assert resubmitted.status == 502
    assert "being deleted" in (await resubmitted.json())["detail"]


async def test_a_template_meta_no_longer_has_goes_here_too(simulated: SimulatedWorld) -> None:
    world = simulated
    sim, api = world.sim, world.api
    admin = world.tenant[Role.ADMIN].headers
    [waba] = sim.store.templates
    assert (await api.post(f"{TEMPLATES}/sync", headers=admin)).status == 200
    [hello] = (await _local(api, admin, "hello_world")).values()
    sim.delete_template(waba, "hello_world")  # deleted in Meta's dashboard, not through us
    resp = await api.delete(f"{TEMPLATES}/{hello}", headers=admin)
    assert resp.status == 200, await resp.text()
    assert await _local(api, admin, "hello_world") == {}


async def test_the_simulator_blocks_a_deleted_name_for_four_weeks(
    simulated: SimulatedWorld,
) -> None:
    sim: Simulator = simulated.sim
    waba = sim.default_number.waba_id
    body: dict[str, Any] = {
        "name": "spring_sale",
        "language": "en_US",
        "category": "MARKETING",
        "components": [{"type": "BODY", "text": "Spring is here"}],
    }
    [deleted] = sim.delete_template(waba, "spring_sale")
    assert deleted.definition.language == "en_US"
    for wait in (0.0, DELETED_NAME_BLOCKED - 60):
        sim.advance_clock(wait)
        with pytest.raises(GraphError) as blocked:
            sim.create_template(waba, body)
        assert (blocked.value.code, blocked.value.subcode) == (100, 2388023)
    # Another language of the name is not blocked, and four weeks on neither is this one.
    assert sim.create_template(waba, {**body, "language": "es_ES"}).status == "PENDING"
    sim.advance_clock(120)
    assert sim.create_template(waba, body).status == "PENDING"
    with pytest.raises(GraphError) as unknown:
        sim.delete_template(waba, "no_such_template")
    assert (unknown.value.code, unknown.value.subcode) == (100, 2593002)
