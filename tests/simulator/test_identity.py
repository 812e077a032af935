"""2026 identities in inbound webhooks: BSUIDs, parents, usernames, hidden phones, identity
changes (system messages without contacts), contact-request replies, edits, revocations and
unsupported messages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from pytake_simulator import NumberConfig, Simulator
from pytake_simulator.batching import PendingItem, build_payload
from pytake_simulator.config import ConfigError, CustomersConfig, MetaVariantsConfig, load_config
from pytake_simulator.customer_messages import CustomerError
from pytake_simulator.identity import parent_user_id, user_id
from pytake_simulator.wire import Contact, InboundMessage, Profile, Status

from .support import CUSTOMER, WABA_ID, Receiver, SimFactory

# pywa's pattern is the narrowest in use (digits only after the country): stay inside it.
PYWA_BSUID = re.compile(r"^[A-Z]{2}\.\d+$")


def value_of(receiver: Receiver, wamid: str) -> dict[str, Any]:
    """The ``messages`` change value that carried ``wamid``."""
    [value] = [v for v in receiver.values() if any(m["id"] == wamid for m in v.get("messages", []))]
    return value


async def delivered(sim: Simulator, receiver: Receiver, wamid: str) -> dict[str, Any]:
    await sim.wait_acked(wamid)
    return value_of(receiver, wamid)


def test_ids_look_like_metas_and_are_stable() -> None:
    first = user_id(WABA_ID, CUSTOMER)
    assert PYWA_BSUID.match(first)
    assert first.startswith("BR.")
    assert first == user_id(WABA_ID, CUSTOMER)
    assert first != user_id("200000000000002", CUSTOMER)  # one per business portfolio
    assert first != user_id(WABA_ID, CUSTOMER, generation=1)
    assert user_id(WABA_ID, "15550001234").startswith("US.")
    assert re.match(r"^BR\.ENT\.\d+$", parent_user_id(CUSTOMER))


async def test_a_visible_phone_comes_with_its_bsuid(sim: Simulator, receiver: Receiver) -> None:
    wamid = await sim.customer(CUSTOMER, name="Ana Souza").send_text("Oi")
    value = await delivered(sim, receiver, wamid)
    bsuid = sim.user_id(CUSTOMER)
    assert value["contacts"] == [
        {"profile": {"name": "Ana Souza"}, "wa_id": CUSTOMER, "user_id": bsuid}
    ]
    [message] = value["messages"]
    assert (message["from"], message["from_user_id"]) == (CUSTOMER, bsuid)
    assert "from_parent_user_id" not in message


async def test_a_username_customer_with_a_hidden_phone(sim: Simulator, receiver: Receiver) -> None:
    customer = sim.create_customer(name="Maria Lopes", username="maria.l", phone_visible=False)
    bsuid = sim.user_id(customer)
    wamid = await sim.customer(bsuid).send_text("Hello from a username")
    value = await delivered(sim, receiver, wamid)
    assert value["contacts"] == [
        {"profile": {"name": "Maria Lopes", "username": "maria.l"}, "user_id": bsuid}
    ]
    [message] = value["messages"]
    assert "from" not in message
    assert message["from_user_id"] == bsuid
    assert customer.wa_id.isdigit()  # Meta knows the phone; the business doesn't see it


async def test_parent_bsuids_when_enabled(make_sim: SimFactory, receiver: Receiver) -> None:
    sim = await make_sim(customers=CustomersConfig(parent_user_ids=True))
    wamid = await sim.customer(CUSTOMER).send_text("hi")
    value = await delivered(sim, receiver, wamid)
    parent = parent_user_id(CUSTOMER)
    assert value["contacts"][0]["parent_user_id"] == parent
    assert value["messages"][0]["from_parent_user_id"] == parent
    assert sim.inbound.resolve(parent).wa_id == CUSTOMER  # a parent BSUID finds them too


async def test_the_hidden_phone_share_is_deterministic(make_sim: SimFactory) -> None:
    phones = [f"55119000{n:05d}" for n in range(200)]
    hidden = await make_sim(customers=CustomersConfig(hidden_phone_share=1.0))
    assert not any(hidden.store.customer(p).phone_visible for p in phones)
    assert all(hidden.store.customer(p).username for p in phones)
    half = await make_sim(customers=CustomersConfig(hidden_phone_share=0.5))
    again = await make_sim(customers=CustomersConfig(hidden_phone_share=0.5))
    picks = [half.store.customer(p).phone_visible for p in phones]
    assert picks == [again.store.customer(p).phone_visible for p in phones]
    assert 60 < picks.count(False) < 140
    default = await make_sim()
    assert all(default.store.customer(p).phone_visible for p in phones)
    assert not any(default.store.customer(p).username for p in phones)


async def test_user_changed_number_moves_the_customer(sim: Simulator, receiver: Receiver) -> None:
    old_bsuid = sim.user_id(CUSTOMER)
    wamid = await sim.customer(CUSTOMER, name="Ana").change_number("5511988887777")
    value = await delivered(sim, receiver, wamid)
    assert "contacts" not in value  # system messages carry none
    [message] = value["messages"]
    new_bsuid = sim.user_id("5511988887777")
    assert message["from"] == CUSTOMER
    assert message["from_user_id"] == old_bsuid
    assert message["system"] == {
        "body": f"User Ana changed from {CUSTOMER} to 5511988887777",
        "type": "user_changed_number",
        "wa_id": "5511988887777",
        "user_id": new_bsuid,
        "previous_user_id": old_bsuid,
    }
    assert new_bsuid != old_bsuid
    with pytest.raises(CustomerError):
        sim.inbound.resolve(old_bsuid)  # a retired BSUID is nobody's
    later = await sim.customer(new_bsuid).send_text("new phone, same me")
    assert (await delivered(sim, receiver, later))["contacts"][0]["wa_id"] == "5511988887777"


async def test_user_changed_user_id_keeps_the_phone(
    make_sim: SimFactory, receiver: Receiver
) -> None:
    sim = await make_sim(customers=CustomersConfig(parent_user_ids=True))
    old_bsuid, old_parent = sim.user_id(CUSTOMER), parent_user_id(CUSTOMER)
    wamid = await sim.customer(CUSTOMER).change_user_id()
    value = await delivered(sim, receiver, wamid)
    assert "contacts" not in value
    system = value["messages"][0]["system"]
    assert system["type"] == "user_changed_user_id"
    assert "wa_id" not in system
    assert (system["previous_user_id"], system["previous_parent_user_id"]) == (
        old_bsuid,
        old_parent,
    )
    assert system["user_id"] == sim.user_id(CUSTOMER) != old_bsuid
    assert system["parent_user_id"] == sim.store.customers[CUSTOMER].parent_user_id != old_parent


@pytest.mark.parametrize("where", ["message", "contact"])
async def test_a_contact_request_reply_shares_the_phone(
    make_sim: SimFactory, receiver: Receiver, where: str
) -> None:
    sim = await make_sim(meta=MetaVariantsConfig.model_validate({"contact_request_origin": where}))
    customer = sim.create_customer(name="Rita Alves", phone_visible=False)
    bsuid = sim.user_id(customer)
    value = await delivered(sim, receiver, await sim.customer(bsuid).share_phone())
    [message] = value["messages"]
    assert "from" not in message  # sent while the phone was still hidden
    [card] = message["contacts"]
    assert card["phones"] == [
        {"phone": f"+{customer.wa_id}", "type": "CELL", "wa_id": customer.wa_id}
    ]
    assert card["vcard"].startswith("BEGIN:VCARD")
    assert customer.wa_id in card["vcard"]
    origin = message.get("origin") if where == "message" else card.get("origin")
    assert origin == "contact_request"
    # Now in Meta's contact book: the next message shows the phone, with the same BSUID.
    later = await delivered(sim, receiver, await sim.customer(bsuid).send_text("thanks"))
    assert later["messages"][0]["from"] == customer.wa_id
    assert later["contacts"][0]["user_id"] == bsuid


async def test_unsupported_messages_say_what_they_were(sim: Simulator, receiver: Receiver) -> None:
    wamid = await sim.customer(CUSTOMER).send_unsupported("video_note")
    [message] = (await delivered(sim, receiver, wamid))["messages"]
    assert message["type"] == "unsupported"
    assert message["unsupported"] == {"type": "video_note"}
    assert message["errors"][0]["code"] == 131051


async def test_edits_and_revocations(sim: Simulator, receiver: Receiver) -> None:
    phone = sim.customer(CUSTOMER)
    text_id = await phone.send_text("See you at 5")
    image_id = await phone.send_image(caption="the receipt")
    edit_id = await phone.edit(text="See you at 6", message_id=text_id)
    caption_id = await phone.edit(caption="the right receipt")  # the latest editable: the image
    revoke_id = await phone.revoke()
    await sim.wait_acked(revoke_id)
    by_id = {m["id"]: m for m in receiver.messages()}
    assert by_id[edit_id]["edit"] == {
        "original_message_id": text_id,
        "message": {"type": "text", "text": {"body": "See you at 6"}},
    }
    caption_edit = by_id[caption_id]["edit"]
    assert caption_edit["original_message_id"] == image_id
    assert caption_edit["message"]["image"]["caption"] == "the right receipt"
    assert caption_edit["message"]["image"]["id"] == by_id[image_id]["image"]["id"]
    # Edits aren't revoked themselves: the latest real message is.
    assert by_id[revoke_id]["revoke"] == {"original_message_id": image_id}
    with pytest.raises(CustomerError, match=r"edit\.caption"):
        await phone.edit(text="no", message_id=image_id)


async def test_control_api_drives_a_username_customer(sim: Simulator, receiver: Receiver) -> None:
    base = f"{sim.base_url}/_sim"
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{base}/customers",
            json={"profile_name": "Júlia Prado", "username": "julia.p", "phone_visible": False},
        ) as response:
            assert response.status == 200
            view = await response.json()
        assert view["username"] == "julia.p"
        assert view["phone_visible"] is False
        bsuid = view["user_id"]
        assert view["user_ids"] == {WABA_ID: bsuid}
        async with http.post(
            f"{base}/customers/{bsuid}/messages", json={"type": "text", "text": "oi"}
        ) as response:
            assert response.status == 200
            wamid = (await response.json())["message_id"]
        async with http.get(f"{base}/customers/US.1234567890") as response:
            assert response.status == 404
        async with http.put(f"{base}/customers/{bsuid}", json={"shares_phone": True}) as response:
            assert (await response.json())["shares_phone"] is True
        async with http.put(f"{base}/customers/{bsuid}", json={"phone_visible": True}) as response:
            changed = await response.json()
        # Only what a PUT names changes.
        assert (changed["phone_visible"], changed["shares_phone"]) == (True, True)
        async with http.get(f"{base}/inbound", params={"wa_id": bsuid}) as response:
            assert [m["id"] for m in await response.json()] == [wamid]
    value = await delivered(sim, receiver, wamid)
    assert "wa_id" not in value["contacts"][0]


def test_the_config_file_sets_identities_and_variants(tmp_path: Path) -> None:
    path = tmp_path / "sim.toml"
    path.write_text(
        "[customers]\nhidden_phone_share = 0.3\nusername_share = 0.5\nparent_user_ids = true\n"
        'answer_contact_requests = true\n[meta]\nbsuid_in_to = "reject"\n'
        'failed_status_contacts = "none"\nstatus_parent_field = "parent_recipient_user_id"\n'
        'contact_request_origin = "contact"\n'
    )
    config = load_config(path)
    assert config.customers.hidden_phone_share == 0.3
    assert config.meta.status_parent_field == "parent_recipient_user_id"
    path.write_text('[meta]\nbsuid_in_to = "ignore"\n')
    with pytest.raises(ConfigError, match=r"meta\.bsuid_in_to"):
        load_config(path)


def test_a_batched_post_names_each_customer_once() -> None:
    number = NumberConfig()
    bsuid = user_id(number.waba_id, CUSTOMER)
    status_contact = Contact(profile=Profile(username="ana"), user_id=bsuid, wa_id=CUSTOMER)
    message_contact = Contact(
        profile=Profile(name="Ana", username="ana"), user_id=bsuid, wa_id=CUSTOMER
    )
    status = Status(id="wamid.A", status="delivered", timestamp="1", recipient_id=CUSTOMER)
    message = InboundMessage(id="wamid.B", timestamp="1", type="text", from_user_id=bsuid)
    items = [
        PendingItem(waba_id=number.waba_id, number=number, contact=status_contact, status=status),
        PendingItem(
            waba_id=number.waba_id, number=number, contact=message_contact, message=message
        ),
    ]
    [entry] = build_payload(items, 1).wire()["entry"]
    value = entry["changes"][0]["value"]
    assert value["contacts"] == [message_contact.wire()]
    assert len(value["statuses"]) == len(value["messages"]) == 1
