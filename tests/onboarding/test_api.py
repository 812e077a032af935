"""The business profile and the onboarding wizard's API against the real daemon, PostgreSQL,
Redis and the simulator playing Meta: state per tenant, RBAC, isolation, step 2's checks with
Meta's own sentences, and the go-live round trip through the number."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.protocol import Role
from tests.conftest import ApiClient, MakeTenant

from .support import wizard_world

PROFILE = {
    "business_name": "Loja da Ana",
    "segment": "retail",
    "timezone": "America/Sao_Paulo",
    "language": "pt_BR",
    "business_hours": {"mon": [["09:00", "18:00"]], "sat": [["09:00", "13:00"]]},
}


async def _json(resp: Any, status: int) -> Any:
    assert resp.status == status, await resp.text()
    return await resp.json()


async def _step(api: ApiClient, step: str, status: str, headers: dict[str, str]) -> None:
    path = f"/api/v1/onboarding/steps/{step}"
    resp = await api.put(path, json={"status": status}, headers=headers)
    assert resp.status == 200, await resp.text()


async def test_profile_defaults_save_rbac_and_isolation(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    acme, other = await make_tenant(), await make_tenant()
    owner, agent = acme[Role.OWNER].headers, acme[Role.AGENT].headers
    before = await _json(await api.get("/api/v1/tenant/profile", headers=agent), 200)
    assert before["configured"] is False
    assert before["business_name"] == acme.slug  # the tenant's name until one is saved
    bad = {**PROFILE, "timezone": "Mars/Olympus", "language": "fr"}
    problem = await _json(await api.put("/api/v1/tenant/profile", json=bad, headers=owner), 422)
    assert {e["loc"] for e in problem["errors"]} == {"body.timezone", "body.language"}
    forbidden = await api.put("/api/v1/tenant/profile", json=PROFILE, headers=agent)
    assert forbidden.status == 403
    saved = await _json(await api.put("/api/v1/tenant/profile", json=PROFILE, headers=owner), 200)
    assert saved["configured"] is True
    assert saved["business_hours"] == PROFILE["business_hours"]
    read = await _json(await api.get("/api/v1/tenant/profile", headers=agent), 200)
    assert {k: read[k] for k in PROFILE} == PROFILE
    state = await _json(await api.get("/api/v1/onboarding", headers=owner), 200)
    assert state["steps"][0]["status"] == "done"
    assert state["steps"][0]["updated_by_name"] == f"Owner of {acme.slug}"
    assert state["next_step"] == "number"
    # The other tenant sees neither the profile nor the step.
    theirs = await _json(
        await api.get("/api/v1/tenant/profile", headers=other[Role.ADMIN].headers), 200
    )
    assert theirs["configured"] is False
    assert theirs["business_name"] == other.slug
    their_state = await _json(
        await api.get("/api/v1/onboarding", headers=other[Role.ADMIN].headers), 200
    )
    assert their_state["completed"] == 0


async def test_steps_skip_and_return_admins_only_and_go_live_only_by_its_check(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    acme = await make_tenant()
    admin = acme[Role.ADMIN].headers
    for role in (Role.SUPERVISOR, Role.AGENT):
        assert (await api.get("/api/v1/onboarding", headers=acme[role].headers)).status == 403
    fresh = await _json(await api.get("/api/v1/onboarding", headers=admin), 200)
    assert [s["status"] for s in fresh["steps"]] == ["pending"] * 7
    assert (fresh["next_step"], fresh["finished"]) == ("profile", False)
    skipped = await _json(
        await api.put("/api/v1/onboarding/steps/team", json={"status": "skipped"}, headers=admin),
        200,
    )
    assert skipped["completed"] == 1
    assert skipped["next_step"] == "profile"
    # Another admin (the owner) continues from the server's state, and returns to the step.
    owner = acme[Role.OWNER].headers
    seen = await _json(await api.get("/api/v1/onboarding", headers=owner), 200)
    team = next(s for s in seen["steps"] if s["step"] == "team")
    assert (team["status"], team["updated_by_name"]) == ("skipped", f"Admin of {acme.slug}")
    back = await _json(
        await api.put("/api/v1/onboarding/steps/team", json={"status": "pending"}, headers=owner),
        200,
    )
    assert back["completed"] == 0
    refused = await api.put(
        "/api/v1/onboarding/steps/go_live", json={"status": "done"}, headers=admin
    )
    assert refused.status == 422
    assert "go-live check" in (await refused.json())["detail"]
    unknown = await api.put("/api/v1/onboarding/steps/nope", json={"status": "done"}, headers=admin)
    assert unknown.status == 404


async def test_number_step_names_the_failed_check_with_meta_sentence_then_stores_it(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
) -> None:
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN].headers
    async with wizard_world(aiohttp_client, settings, endpoints, tenant) as world:
        api = world.api
        wrong_token = world.number_body(access_token="EAAGwrong")
        problem = await _json(
            await api.post("/api/v1/onboarding/number", json=wrong_token, headers=admin), 422
        )
        [field] = problem["errors"]
        assert field["loc"] == "body.access_token"
        assert "Meta says: Invalid OAuth access token" in field["msg"]
        assert problem["detail"].startswith("the graph api check failed: ")
        wrong_id = world.number_body(phone_number_id="100000000000999")
        problem = await _json(
            await api.post("/api/v1/onboarding/number", json=wrong_id, headers=admin), 422
        )
        [field] = problem["errors"]
        assert field["loc"] == "body.phone_number_id"
        assert "Unsupported get request" in field["msg"]
        listed = await _json(await api.get("/api/v1/whatsapp/numbers", headers=admin), 200)
        assert listed["items"] == []  # nothing stored while Meta refuses
        body = world.number_body()
        done = await _json(
            await api.post("/api/v1/onboarding/number", json=body, headers=admin), 200
        )
        assert done["passed"] is True, done["checks"]
        assert [c["name"] for c in done["checks"]] == ["graph api", "account", "webhook"]
        assert done["webhook_url"] == str(api.make_url("/api/v1/whatsapp/webhook"))
        assert done["number"]["phone_number_id"] == world.number.phone_number_id
        assert done["rotated"] is False
        # The same number again with a new verify token: its secrets are replaced.
        again = world.number_body()
        rotated = await _json(
            await api.post("/api/v1/onboarding/number", json=again, headers=admin), 200
        )
        assert (rotated["passed"], rotated["rotated"]) == (True, True)
        state = await _json(await api.get("/api/v1/onboarding", headers=admin), 200)
        number_step = state["steps"][1]
        assert number_step["status"] == "done"
        shown = json.dumps(state)
        for secret in (
            body["access_token"],
            body["app_secret"],
            body["verify_token"],
            again["verify_token"],
        ):
            assert secret not in shown  # never shown again
        agent = await api.post(
            "/api/v1/onboarding/number", json=body, headers=tenant[Role.AGENT].headers
        )
        assert agent.status == 403


async def _until(check: Callable[[], Awaitable[Any]], what: str, timeout: float = 20) -> Any:
    async with asyncio.timeout(timeout):
        while True:
            found = await check()
            if found:
                return found
            await asyncio.sleep(0.05)  # polling with a deadline, as the console does


async def test_the_whole_wizard_to_a_passing_go_live_check(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
) -> None:
    tenant = await make_tenant()
    owner = tenant[Role.OWNER].headers
    async with wizard_world(aiohttp_client, settings, endpoints, tenant) as world:
        api = world.api
        early = await _json(await api.post("/api/v1/onboarding/go-live", headers=owner), 200)
        assert early["passed"] is False
        assert {c["name"] for c in early["checks"] if not c["ok"]} >= {"profile", "number"}
        await _json(await api.put("/api/v1/tenant/profile", json=PROFILE, headers=owner), 200)
        body = world.number_body()
        await _json(await api.post("/api/v1/onboarding/number", json=body, headers=owner), 200)
        invited = await api.post(
            "/api/v1/invitations",
            json={"email": "bia@example.test", "role": "agent"},
            headers=owner,
        )
        assert invited.status == 201, await invited.text()
        await _step(api, "team", "done", owner)
        template = await _json(
            await api.get("/api/v1/onboarding/queue-template", headers=owner), 200
        )
        assert [q["name"] for q in template["items"]] == ["Pedidos", "Atendimento"]
        assert template["items"][0]["timezone"] == "America/Sao_Paulo"
        for queue in template["items"]:
            settings_of_queue = {
                "name": queue["name"],
                "timezone": queue["timezone"],
                "business_hours": queue["business_hours"],
                "required_skills": ["vendas"],
            }
            made = await api.post("/api/v1/queues", headers=owner, json=settings_of_queue)
            assert made.status == 201, await made.text()
        await _step(api, "queues", "done", owner)
        published = await _json(
            await api.post(
                "/api/v1/onboarding/automation", json={"segment": "retail"}, headers=owner
            ),
            200,
        )
        assert published["flow_name"] == "varejo"
        assert published["preview"]["passed"] is True
        assert any(line["who"] == "bot" for line in published["preview"]["transcript"])
        await _step(api, "defaults", "skipped", owner)
        trip = await _json(
            await api.post("/api/v1/onboarding/go-live/round-trip", headers=owner), 201
        )
        assert trip["stage"] == "waiting"
        # The owner writes the code from a phone (the simulator's customer).
        phone = world.sim.customer("5511977776666", name="Ana")
        await world.sim.wait_acked(await phone.send_text(trip["code"].upper()))

        async def delivered() -> bool:
            follow = await _json(
                await api.post("/api/v1/onboarding/go-live/round-trip/follow", headers=owner), 200
            )
            assert follow["stage"] != "failed", follow
            return bool(follow["stage"] == "delivered")

        await _until(delivered, "the answer delivered")
        assert any(
            "Este número está pronto" in str(m)
            for m in world.sim.outbound_messages(to="5511977776666")
        )
        report = await _json(await api.post("/api/v1/onboarding/go-live", headers=owner), 200)
        assert report["passed"] is True, report["checks"]
        assert report["summary"][0] == "Loja da Ana: retail, America/Sao_Paulo, pt_BR"
        # Stored in English, said in the reader's language (Accept-Language).
        said = {c["name"]: c["detail"] for c in report["checks"]}
        assert (said["profile"], said["queues"]) == ("saved", "queues: 2")
        assert said["round trip"].startswith("the answer was ")
        portuguese = {**owner, "Accept-Language": "pt-BR"}
        again = await _json(await api.post("/api/v1/onboarding/go-live", headers=portuguese), 200)
        said = {c["name"]: c["detail"] for c in again["checks"]}
        assert (said["profile"], said["queues"]) == ("salvo", "filas: 2")
        assert said["defaults"] == "pulada (volte a ela quando quiser)"
        assert said["round trip"].startswith("a resposta foi ")
        assert "defaults: pulada (volte a ela quando quiser)" in again["summary"]
        state = await _json(await api.get("/api/v1/onboarding", headers=owner), 200)
        assert (state["finished"], state["completed"], state["next_step"]) == (True, 7, None)
