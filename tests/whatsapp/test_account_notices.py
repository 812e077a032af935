"""System notices from Meta's account-level webhooks, end to end: the simulator sends
``phone_number_quality_update`` and ``message_template_status_update``, the daemon records them
and the tenant's admins and owners (only they, only that tenant's) get a system notification."""

from __future__ import annotations

from typing import Any

from pytake_daemon.db.pool import tenant_transaction
from pytake_daemon.keys import DB_POOL
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.notifications import NotificationOut
from pytake_daemon.whatsapp.number_quality import trend
from pytake_daemon.whatsapp.webhook import NumberQualityUpdate, parse_notification
from pytake_simulator.simulator import Simulator
from tests.conftest import MakeTenant
from tests.notifications.support import center, eventually, settled
from tests.support import Member, TenantData
from tests.test_cli import Env, acli, as_json, env, ok
from tests.whatsapp.wa_support import (
    ApiClient,
    SimulatedWorld,
    add_number,
    envelope,
    post_signed,
    text_message,
)

__all__ = ["env"]  # the fixture, imported for this module's tests

QUALITY = "phone_number_quality_update"
TEMPLATE = "message_template_status_update"


async def _system(api: ApiClient, member: Member) -> list[NotificationOut]:
    return list((await center(api, member, category="system")).items)


async def _titled(api: ApiClient, member: Member, title: str) -> NotificationOut:
    async def probe() -> NotificationOut | None:
        return next((n for n in await _system(api, member) if n.title == title), None)

    found: NotificationOut = await eventually(probe, what=f"{title!r} for {member.role}")
    return found


async def _acked(sim: Simulator, field: str, count: int) -> None:
    """Until ``count`` notifications carrying ``field`` got Meta's 200 from the daemon."""

    def done() -> bool:
        acked = [d for d in sim.deliveries if field in d.fields and d.state == "acked"]
        return len(acked) >= count

    await sim.wait_for(done, timeout=10, what=f"{count} {field} deliveries acknowledged")


async def _only_admins_told(
    api: ApiClient, tenant: TenantData, other: TenantData, title: str
) -> NotificationOut:
    told = await _titled(api, tenant[Role.ADMIN], title)
    await _titled(api, tenant[Role.OWNER], title)
    await settled(api)  # the same pass wrote every recipient's row: nobody else is coming
    for role in (Role.SUPERVISOR, Role.AGENT):
        assert await _system(api, tenant[role]) == [], role
    for role in Role:
        assert await _system(api, other[role]) == [], f"another tenant's {role}"
    return told


async def _number(world: SimulatedWorld) -> dict[str, Any]:
    resp = await world.api.get("/api/v1/whatsapp/numbers", headers=world.tenant[Role.ADMIN].headers)
    assert resp.status == 200, await resp.text()
    [number] = (await resp.json())["items"]
    assert isinstance(number, dict)
    return number


async def test_a_quality_drop_tells_admins_and_owners_and_a_recovery_informs_them(
    simulated: SimulatedWorld, make_tenant: MakeTenant, env: Env
) -> None:
    world, other = simulated, await make_tenant()
    sim, api = world.sim, world.api
    [phone_number_id] = sim.store.numbers
    # The number was added without a display number: the WABA's only one, it is the one named.
    sim.set_number_quality(phone_number_id, "FLAGGED")
    await _acked(sim, QUALITY, 1)
    flagged = await _only_admins_told(api, world.tenant, other, "Number quality dropped: +15550100")
    assert flagged.severity == "warning"
    assert "unless it recovers within 7 days" in flagged.body
    number = await _number(world)
    assert (number["quality_event"], number["messaging_limit"]) == ("FLAGGED", "TIER_1K")
    assert number["display_phone_number"] == "+15550100"

    # The limit falls a tier: urgent, with Meta's old and new limits.
    sim.set_number_quality(phone_number_id, "DOWNGRADE")
    await _acked(sim, QUALITY, 2)
    downgrade = "Meta lowered its messaging limit after low quality."
    admin = world.tenant[Role.ADMIN]

    async def downgraded() -> NotificationOut | None:
        return next((n for n in await _system(api, admin) if n.body.startswith(downgrade)), None)

    told = await eventually(downgraded, what="the downgrade notice")
    assert told.severity == "urgent"
    assert "Messaging limit: TIER_250 (was TIER_1K)." in told.body
    slug = world.tenant.slug
    [listed] = as_json(await acli(env, "numbers", "list", "-t", slug, "--json"))
    assert (listed["quality_event"], listed["messaging_limit"]) == ("DOWNGRADE", "TIER_250")
    table = ok(await acli(env, "numbers", "list", "-t", slug, COLUMNS="200"))
    # The quality column, whatever width the table got (rich's console may have been sized by
    # an earlier CLI call in the same process, and then wraps the cell): no rating, Meta's
    # payload has none.
    cells = " ".join(table.stdout.split())
    assert "DOWNGRADE" in cells
    assert "TIER_250" in cells

    # Back up: an info notice. Meta's redelivery of it changes nothing and tells nobody twice.
    sim.set_number_quality(phone_number_id, "UPGRADE")
    await _acked(sim, QUALITY, 3)
    improved = await _titled(api, admin, "Number quality improved: +15550100")
    assert improved.severity == "info"
    [last] = [d for d in sim.deliveries if QUALITY in d.fields][-1:]
    status, _ = await post_signed(api, last.body, sim.config.app_secret)
    assert status == 200
    await settled(api)
    assert len(await _system(api, admin)) == 3
    assert (await _number(world))["messaging_limit"] == "TIER_1K"


async def test_template_rejected_paused_and_unknown_tell_admins_with_meta_reason(
    simulated: SimulatedWorld, make_tenant: MakeTenant
) -> None:
    world, other = simulated, await make_tenant()
    sim, api = world.sim, world.api
    admin = world.tenant[Role.ADMIN]
    assert (await api.post("/api/v1/whatsapp/templates/sync", headers=admin.headers)).status == 200
    # Submitted through PyTake; the simulated review rejects names with "reject".
    created = await api.post(
        "/api/v1/whatsapp/templates",
        json={
            "number_id": str(world.number_id),
            "name": "promo_reject_me",
            "language": "en_US",
            "category": "MARKETING",
            "components": [{"type": "BODY", "text": "Big sale today"}],
        },
        headers=admin.headers,
    )
    assert created.status == 201, await created.text()
    rejected = await _only_admins_told(
        api, world.tenant, other, "Template rejected: promo_reject_me (en_US)"
    )
    assert (rejected.severity, rejected.body) == ("warning", "Meta's reason: INVALID_FORMAT.")

    # An approved (synced) template paused, then disabled by Meta.
    [waba_id] = sim.store.templates
    seeded = sim.store.templates[waba_id][0].definition
    record = sim.store.template(waba_id, seeded.name, seeded.language)
    assert record is not None
    sim.set_template_status(record.id, "PAUSED", reason="LOW_QUALITY")
    paused = await _titled(api, admin, f"Template paused: {seeded.name} ({seeded.language})")
    assert paused.body.startswith("Meta's reason: LOW_QUALITY.")
    sim.set_template_status(record.id, "DISABLED", reason="LOW_QUALITY")
    disabled = await _titled(api, admin, f"Template disabled: {seeded.name} ({seeded.language})")
    assert disabled.severity == "urgent"

    # Created in Meta's UI, never synced: told from the webhook alone (and a sync is queued).
    unknown = sim.create_template(
        waba_id,
        {
            "name": "outside_reject_offer",
            "language": "pt_BR",
            "category": "MARKETING",
            "components": [{"type": "BODY", "text": "Oferta"}],
        },
    )
    await _titled(api, admin, "Template rejected: outside_reject_offer (pt_BR)")
    assert unknown.status == "PENDING"
    # Approvals are no news to anyone.
    await settled(api)
    titles = [n.title for n in await _system(api, admin)]
    assert not any("approved" in t.lower() for t in titles), titles
    assert await _system(api, world.tenant[Role.AGENT]) == []


async def test_a_bad_or_unknown_quality_item_costs_its_neighbour_nothing(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)  # display +1 555 0100
    customer = "5511987650001"
    payload = envelope(number, messages=[text_message(customer, "still here")])
    payload["entry"][0]["changes"] += [
        {"field": QUALITY, "value": {"display_phone_number": "15550100"}},  # no event
        {"field": QUALITY, "value": {"display_phone_number": "15550199", "event": "FLAGGED"}},
    ]
    status, _ = await post_signed(api, payload, number.app_secret)
    assert status == 200
    async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
        stored = await conn.fetchval("SELECT count(*) FROM messages WHERE text = 'still here'")
        events = await conn.fetch(
            "SELECT kind, reason, payload FROM webhook_events WHERE field = $1 ORDER BY id",
            QUALITY,
        )
        quality = await conn.fetchval(
            "SELECT quality_event FROM whatsapp_numbers WHERE id = $1", number.id
        )
    assert stored == 1
    assert [(e["kind"], e["reason"] is None) for e in events] == [
        ("invalid", False),
        ("number_quality", True),
    ]
    assert "event" in events[0]["reason"]
    assert events[1]["payload"]["display_phone_number"] == "15550199"
    assert quality is None  # 15550199 is not this tenant's number
    await settled(api)
    assert await _system(api, tenant[Role.ADMIN]) == []


def test_older_payloads_and_relayed_ratings_are_read_too() -> None:
    """``current_limit`` (before Meta's portfolio limits) stands in for the newer field; a rating
    a relay adds counts: YELLOW or RED is a drop even without a quality event."""
    [item] = parse_notification(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "102290129340398",
                    "time": 1748454394,
                    "changes": [
                        {
                            "field": QUALITY,
                            "value": {
                                "display_phone_number": "15550783881",
                                "event": "THROUGHPUT_UPGRADE",
                                "current_limit": "TIER_UNLIMITED",
                            },
                        }
                    ],
                }
            ],
        }
    ).items
    assert isinstance(item, NumberQualityUpdate)
    assert (item.digits, item.limit, item.old_limit) == ("15550783881", "TIER_UNLIMITED", None)
    assert trend("ONBOARDING", rating="YELLOW", previous_rating=None, limit=None,
                 previous_limit=None) == "dropped"  # fmt: skip
    assert trend("ONBOARDING", rating="GREEN", previous_rating="RED", limit=None,
                 previous_limit=None) == "improved"  # fmt: skip
    assert trend("ONBOARDING", rating=None, previous_rating=None, limit="TIER_250",
                 previous_limit="TIER_2K") == "dropped"  # fmt: skip
    assert trend("ONBOARDING", rating=None, previous_rating=None, limit="TIER_2K",
                 previous_limit=None) == "unchanged"  # fmt: skip
    assert trend("SOMETHING_NEW", rating=None, previous_rating=None, limit=None,
                 previous_limit=None) == "unchanged"  # fmt: skip
