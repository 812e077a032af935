"""``pytake numbers`` and ``pytake templates`` in-process, against this session's servers and
the simulator."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest

from pytake_simulator.config import NumberConfig, SimulatorConfig
from pytake_simulator.simulator import Simulator
from tests.test_cli import Env, acli, as_json, cli, env, new_tenant, ok, one_error_line
from tests.whatsapp.wa_support import digits

__all__ = ["env"]  # the fixture, imported for this module's tests


def secrets_env(token: str = "EAAGcli", app_secret: str = "app-secret") -> dict[str, str | None]:
    return {
        "PYTAKE_NUMBER_ACCESS_TOKEN": token,
        "PYTAKE_NUMBER_APP_SECRET": app_secret,
        "PYTAKE_NUMBER_VERIFY_TOKEN": "verify-me",
    }


def test_numbers_add_list_remove_never_print_secrets(env: Env) -> None:
    tenant = new_tenant(env)
    phone = digits(15)
    added = as_json(
        cli(
            env,
            "numbers",
            "add",
            phone,
            "--tenant",
            tenant.slug,
            "--waba-id",
            digits(15),
            "--label",
            "Sales",
            "--json",
            **secrets_env(token="EAAGtopsecret"),
        )
    )
    assert added["phone_number_id"] == phone
    listed = cli(env, "numbers", "list", "--tenant", tenant.slug, "--json")
    assert "EAAGtopsecret" not in listed.stdout + listed.stderr
    assert [n["phone_number_id"] for n in as_json(listed)] == [phone]
    table = ok(cli(env, "numbers", "list", "--tenant", tenant.slug))
    assert phone in table.stdout

    again = cli(env, "numbers", "add", phone, "-t", tenant.slug, "--waba-id", "1", **secrets_env())
    assert "already configured" in one_error_line(again)

    ok(cli(env, "numbers", "remove", phone, "--tenant", tenant.slug))
    assert as_json(cli(env, "numbers", "list", "--tenant", tenant.slug, "--json")) == []
    assert "no such number" in one_error_line(
        cli(env, "numbers", "remove", phone, "--tenant", tenant.slug)
    )


def test_numbers_add_rejects_a_malformed_id_in_one_line(env: Env) -> None:
    tenant = new_tenant(env)
    result = cli(
        env, "numbers", "add", "not-digits", "-t", tenant.slug, "--waba-id", "1", **secrets_env()
    )
    assert "phone_number_id" in one_error_line(result)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    number = NumberConfig(phone_number_id=digits(15), waba_id=digits(15), access_token="EAAGsim")
    simulator = Simulator(
        SimulatorConfig.fast(numbers=[number], app_secret=secrets.token_hex(8), webhook_url=None)
    )
    await simulator.start("127.0.0.1", 0)
    try:
        yield simulator
    finally:
        await simulator.stop()


async def add_sim_number(env: Env, tenant: str, sim: Simulator, *, token: str) -> None:
    number = sim.default_number
    ok(
        await acli(
            env,
            "numbers",
            "add",
            number.phone_number_id,
            "-t",
            tenant,
            "--waba-id",
            number.waba_id,
            **secrets_env(token=token),
        )
    )


async def test_templates_sync_and_list_against_the_graph_api(env: Env, sim: Simulator) -> None:
    number = sim.default_number
    graph = {"PYTAKE_WHATSAPP__GRAPH_BASE_URL": sim.base_url}
    tenant = await asyncio.to_thread(new_tenant, env)
    await add_sim_number(env, tenant.slug, sim, token=number.access_token)
    synced = as_json(await acli(env, "templates", "sync", "-t", tenant.slug, "--json", **graph))
    assert synced["wabas"] == 1
    assert synced["templates"] >= 6
    approved = as_json(
        await acli(env, "templates", "list", "-t", tenant.slug, "--status", "APPROVED", "--json")
    )
    assert {"hello_world", "order_update"} <= {t["name"] for t in approved}
    assert all(t["status"] == "APPROVED" for t in approved)
    # A second sync updates, creates nothing.
    again = as_json(await acli(env, "templates", "sync", "-t", tenant.slug, "--json", **graph))
    assert again["created"] == 0
    assert again["updated"] == synced["templates"]


async def test_templates_sync_with_a_rejected_token_explains_it(env: Env, sim: Simulator) -> None:
    tenant = await asyncio.to_thread(new_tenant, env)
    await add_sim_number(env, tenant.slug, sim, token="EAAGwrong")
    result = await acli(
        env, "templates", "sync", "-t", tenant.slug, PYTAKE_WHATSAPP__GRAPH_BASE_URL=sim.base_url
    )
    assert "token" in one_error_line(result).lower()


async def test_cli_deletes_at_meta_and_here(env: Env, sim: Simulator) -> None:
    number = sim.default_number
    graph = {"PYTAKE_WHATSAPP__GRAPH_BASE_URL": sim.base_url}
    tenant = await asyncio.to_thread(new_tenant, env)
    await add_sim_number(env, tenant.slug, sim, token=number.access_token)
    as_json(await acli(env, "templates", "sync", "-t", tenant.slug, "--json", **graph))
    deleted = as_json(
        await acli(
            env, "templates", "delete", "spring_sale", "-t", tenant.slug, "--yes", "--json", **graph
        )
    )
    assert [(t["name"], t["language"]) for t in deleted] == [("spring_sale", "en_US")]
    assert not any(r.definition.name == "spring_sale" for r in sim.store.templates[number.waba_id])
    listed = as_json(await acli(env, "templates", "list", "-t", tenant.slug, "--json"))
    assert "spring_sale" not in {t["name"] for t in listed}
    missing = await acli(env, "templates", "delete", "spring_sale", "-t", tenant.slug, "-y")
    assert "no template 'spring_sale'" in one_error_line(missing)
