"""A fresh tenant, the simulator playing Meta with one number the tenant has not added yet,
and an app whose Graph API is that simulator (the wizard's world)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_simulator.config import NumberConfig, SimulatorConfig
from pytake_simulator.simulator import Simulator
from tests.support import TenantData
from tests.whatsapp.wa_support import WEBHOOK, digits

ApiClient = TestClient[web.Request, web.Application]


@dataclass
class WizardWorld:
    sim: Simulator
    api: ApiClient
    tenant: TenantData
    number: NumberConfig

    def number_body(self, **changes: str) -> dict[str, Any]:
        """What the owner pastes from Meta's dashboard into step 2."""
        body = {
            "phone_number_id": self.number.phone_number_id,
            "waba_id": self.number.waba_id,
            "access_token": self.number.access_token,
            "app_secret": self.sim.config.app_secret,
            "verify_token": secrets.token_hex(8),
        }
        return {**body, **changes}


@asynccontextmanager
async def wizard_world(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    tenant: TenantData,
) -> AsyncIterator[WizardWorld]:
    from pytake_daemon.app import create_app

    number = NumberConfig(
        phone_number_id=digits(15), waba_id=digits(15), access_token="EAAG" + secrets.token_hex(12)
    )
    sim = Simulator(
        SimulatorConfig.fast(
            numbers=[number], app_secret=secrets.token_hex(16), webhook_url=None, seed=19
        )
    )
    await sim.start("127.0.0.1", 0)
    await sim.start_runtime()
    wa = settings.whatsapp.model_copy(
        update={"graph_base_url": sim.base_url, "send_backoff_seconds": 0.05,
                "send_backoff_max_seconds": 0.2}
    )  # fmt: skip
    api: ApiClient = await aiohttp_client(
        create_app(settings.model_copy(update={"whatsapp": wa}), endpoints)
    )
    sim.webhook_url = str(api.make_url(WEBHOOK))
    try:
        yield WizardWorld(sim, api, tenant, number)
    finally:
        await sim.stop_runtime()
        await api.close()
        await sim.stop()
