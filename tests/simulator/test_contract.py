"""The OpenAPI contract: compiled once, cached, corrected where it contradicts Meta; fast start."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pytake_simulator.contract import CONTRACT_PATH, Contract, load_compiled

WA = {"messaging_product": "whatsapp", "to": "5511999990001"}


def test_compiled_once_then_read_from_the_cache(tmp_path: Path) -> None:
    started = time.perf_counter()
    compiled = load_compiled(cache=tmp_path)
    cold = time.perf_counter() - started
    [cached] = tmp_path.glob("contract-*.json")
    started = time.perf_counter()
    assert load_compiled(cache=tmp_path) == compiled
    warm = time.perf_counter() - started
    assert warm < cold
    # A damaged cache is rebuilt, not trusted.
    cached.write_text("{not json")
    assert load_compiled(cache=tmp_path) == compiled
    assert json.loads(cached.read_text()) == compiled


def test_unwritable_cache_still_works(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert "send_message" in load_compiled(cache=blocker / "sub")


def test_a_warm_start_does_not_parse_the_yaml(tmp_path: Path) -> None:
    """Startup measured in a fresh interpreter: import, contract, app, serving, stop."""
    load_compiled(cache=tmp_path)
    code = (
        "import asyncio, sys, time\n"
        "t = time.perf_counter()\n"
        "from pytake_simulator import Simulator\n"
        "async def main():\n"
        "    sim = Simulator()\n"
        "    await sim.start(port=0)\n"
        "    await sim.stop()\n"
        "asyncio.run(main())\n"
        "print(time.perf_counter() - t, 'yaml' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        env={"PYTAKE_SIMULATOR_CACHE": str(tmp_path), "PATH": ""},
    ).stdout.split()
    seconds, yaml_loaded = float(out[0]), out[1]
    assert yaml_loaded == "False"
    assert seconds < 2.0  # about 0.3 s on a laptop; generous for busy CI machines


def test_the_contract_file_is_the_packaged_one() -> None:
    assert CONTRACT_PATH.exists()
    assert CONTRACT_PATH.with_name("whatsapp-business-messaging-api.LICENSE").exists()


@pytest.mark.parametrize(
    "body",
    [
        # Meta's own examples that the raw contract rejects (allOf + additionalProperties: false).
        {**WA, "type": "text", "text": {"body": "hi"}},
        # recipient_type and language.policy are optional, as Meta documents.
        {**WA, "type": "template", "template": {"name": "x", "language": {"code": "en_US"}}},
        # Button index 0 as a number and sub_type in capitals (the contract's own example).
        {
            **WA,
            "type": "template",
            "template": {
                "name": "x",
                "language": {"code": "en_US"},
                "components": [
                    {
                        "type": "button",
                        "sub_type": "CATALOG",
                        "index": 0,
                        "parameters": [
                            {"type": "action", "action": {"thumbnail_product_retailer_id": "a"}}
                        ],
                    }
                ],
            },
        },
        {**WA, "type": "location", "location": {"latitude": 37.48, "longitude": -122.14}},
        {**WA, "type": "text", "text": {"body": "x"}, "biz_opaque_callback_data": "ref"},
        {**WA, "type": "reaction", "reaction": {"message_id": "wamid.X", "emoji": ""}},
    ],
)
def test_errata_accept_what_meta_accepts(body: dict[str, object]) -> None:
    assert Contract.default().violations("send_message", body) == []


def test_discriminator_errors_name_the_branch() -> None:
    [violation] = Contract.default().violations(
        "send_message", {**WA, "type": "sticker", "sticker": {"id": "1", "caption": "no"}}
    )
    assert violation.param == "sticker['caption']"
    assert violation.kind == "unexpected"


def test_one_of_errors_follow_the_branch_aimed_at() -> None:
    body = {
        **WA,
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": "b"},
            "action": {"button": "Pick", "sections": [{"rows": [{"id": "1"}]}]},
        },
    }
    [violation] = Contract.default().violations("send_message", body)
    assert violation.message == (
        "The parameter interactive['action']['sections'][0]['rows'][0]['title'] is required."
    )
