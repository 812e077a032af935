"""The in-process API: one :class:`Simulator` is Meta for a test, the demo or a benchmark.

    sim = Simulator(SimulatorConfig.fast(webhook_url=url, app_secret="s3cret"))
    await sim.start(port=0)                      # Graph API + control API on sim.base_url
    wamid = await sim.customer("5511999990001").send_text("Hi")
    await sim.wait_acked(wamid)                  # the daemon answered 200
    [reply] = await sim.wait_for_outbound(to="5511999990001")
    await sim.wait_for_status(reply.id, "delivered")
    await sim.stop()

``sim.app()`` gives the aiohttp application instead, for a runner of your own; its cleanup
context starts and stops the webhook worker. Waits never poll: they sleep on a change signal that
every state change fires.
"""

from __future__ import annotations

import asyncio
import random
import secrets
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from aiohttp import web

from pytake_simulator import ids
from pytake_simulator.batching import Batcher, PendingItem
from pytake_simulator.changes import Changes
from pytake_simulator.clock import Clock
from pytake_simulator.config import NumberConfig, SimulatorConfig
from pytake_simulator.contract import Contract
from pytake_simulator.customer_messages import CustomerMessage
from pytake_simulator.delivery import DeliveryEngine, DeliveryRecord
from pytake_simulator.inbound import Inbound
from pytake_simulator.number_quality import LimitTier, NumberQuality, QualityEvent, QualityRating
from pytake_simulator.outbound import Outbound
from pytake_simulator.queries import SimulatorQueries
from pytake_simulator.sim_customer import SimCustomer
from pytake_simulator.state import (
    Customer,
    Number,
    Store,
    TemplateRecord,
)
from pytake_simulator.template_reviews import TemplateReviews
from pytake_simulator.templates import (
    TemplateStatus,
)
from pytake_simulator.views import SimStats
from pytake_simulator.webhooks import VerifyResult, verify_subscription
from pytake_simulator.wire_graph import TemplateCreateResponse

if TYPE_CHECKING:
    from pytake_simulator.load import LoadReport


class Simulator(SimulatorQueries):
    def __init__(self, config: SimulatorConfig | None = None, *, contract: Contract | None = None):
        self.config = config or SimulatorConfig()
        self.clock = Clock()
        self.rng = random.Random(self.config.seed)  # noqa: S311 - simulation, not security
        self.store = Store(self.config, ids.numeric_id)
        self.contract = contract or Contract.default()
        self._changes = Changes()
        self.delivery = DeliveryEngine(
            self.config.delivery,
            app_secret=self.config.app_secret,
            webhook_url=self.config.webhook_url,
            rng=self.rng,
            on_change=self._delivery_changed,
        )
        self.batcher = Batcher(self.delivery, self.clock.now)
        self.outbound = Outbound(self)
        self.inbound = Inbound(self)
        self.template_reviews = TemplateReviews(self)
        self.number_quality = NumberQuality(self)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: web.AppRunner | None = None
        self._running = False
        self.base_url: str | None = None
        # Signs the short-lived media URLs handed out by GET /{media-id}.
        self.media_url_key = secrets.token_bytes(16)

    # --- lifecycle ---------------------------------------------------------------------------

    def app(self) -> web.Application:
        from pytake_simulator.app import create_app

        return create_app(self)

    async def start(self, host: str | None = None, port: int | None = None) -> str:
        """Serve the Graph and control APIs; ``port=0`` picks a free port. Returns the base URL."""
        runner = web.AppRunner(self.app(), access_log=None, handle_signals=False)
        await runner.setup()
        host = host or self.config.host
        site = web.TCPSite(runner, host, self.config.port if port is None else port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        bound_port = runner.addresses[0][1]
        self.base_url = f"http://{host}:{bound_port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
        await self.stop_runtime()

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start_runtime(self) -> None:
        """Start the webhook worker (the app's cleanup context calls this)."""
        if self._running:
            return
        self._running = True
        self.contract.warm_up()
        await self.delivery.start()

    async def stop_runtime(self) -> None:
        if not self._running:
            return
        self._running = False
        self.batcher.flush()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.delivery.stop()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """A background task owned by the simulator, cancelled when it stops."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # --- configuration in effect ---------------------------------------------------------------

    @property
    def webhook_url(self) -> str | None:
        return self.delivery.webhook_url

    @webhook_url.setter
    def webhook_url(self, url: str | None) -> None:
        self.delivery.webhook_url = url

    @property
    def default_number(self) -> NumberConfig:
        return self.config.numbers[0]

    @property
    def graph_url(self) -> str:
        """``http://host:port/v23.0``: what the daemon should use as its Graph API base."""
        if self.base_url is None:
            raise RuntimeError("the simulator is not serving (call start())")
        return f"{self.base_url}/{self.config.graph_version}"

    def number(self, phone_number_id: str | None = None) -> NumberConfig:
        if phone_number_id is None:
            return self.default_number
        number = self.store.numbers.get(phone_number_id)
        if number is None:
            raise KeyError(f"no business number {phone_number_id}")
        return number.config

    def advance_clock(self, seconds: float) -> None:
        """Move the simulated wall clock (timestamps, 24-hour windows) forward."""
        self.clock.advance(seconds)
        self.changed()

    # --- change notification -------------------------------------------------------------------

    def changed(self) -> None:
        self._changes.notify()

    def notify(self, item: PendingItem) -> None:
        """Queue a webhook item (batched per the delivery settings)."""
        self.batcher.add(item)

    def _delivery_changed(self, record: DeliveryRecord) -> None:
        for message_id in record.message_ids:
            inbound = self.store.inbound.get(message_id)
            if inbound is None:
                continue
            if record.id not in inbound.delivery_ids:
                inbound.delivery_ids.append(record.id)
            if record.acked_at is not None and inbound.acked_at is None:
                inbound.acked_at = record.acked_at
        self.changed()

    # --- customers -----------------------------------------------------------------------------

    def customer(
        self, key: str, *, name: str | None = None, phone_number_id: str | None = None
    ) -> SimCustomer:
        """A customer's phone, by phone number or by a BSUID / parent BSUID it was given."""
        return SimCustomer(self, key, name, phone_number_id)

    def create_customer(
        self,
        wa_id: str | None = None,
        *,
        name: str | None = None,
        username: str | None = None,
        phone_visible: bool | None = None,
        parent_user_id: bool | None = None,
    ) -> Customer:
        """A customer with chosen 2026 traits, e.g. a username and a hidden phone; its BSUID is
        ``.user_id(waba_id)`` (``sim.user_id(customer)`` for the default number)."""
        return self.inbound.create(
            wa_id=wa_id,
            profile_name=name,
            username=username,
            phone_visible=phone_visible,
            parent_user_id=parent_user_id,
        )

    def user_id(self, customer: Customer | str, phone_number_id: str | None = None) -> str:
        """The customer's BSUID as the business number's WABA sees it."""
        found = self.inbound.resolve(customer) if isinstance(customer, str) else customer
        return found.user_id(self.number(phone_number_id).waba_id)

    def customer_send(self, key: str, request: CustomerMessage) -> str:
        """Queue a customer's message for delivery; returns its ``wamid``."""
        return self.inbound.send(key, request)

    def customer_read(
        self, key: str, *, message_id: str | None = None, phone_number_id: str | None = None
    ) -> list[str]:
        return self.outbound.customer_read(
            self.inbound.resolve(key).wa_id, message_id=message_id, phone_number_id=phone_number_id
        )

    def set_customer(
        self,
        key: str,
        *,
        profile_name: str | None = None,
        on_whatsapp: bool | None = None,
        reads: bool | None = None,
        shares_phone: bool | None = None,
    ) -> Customer:
        return self.inbound.set(
            key,
            profile_name=profile_name,
            on_whatsapp=on_whatsapp,
            reads=reads,
            shares_phone=shares_phone,
        )

    async def chatter(self, rate: float) -> None:
        """Random customers write random things at ``rate`` messages/s (Poisson) until cancelled."""
        await self.inbound.chatter(rate)

    # --- templates -----------------------------------------------------------------------------

    def create_template(self, waba_id: str, body: Any) -> TemplateCreateResponse:
        """``POST /{waba-id}/message_templates``: PENDING, reviewed after a delay."""
        return self.template_reviews.create(waba_id, body)

    def delete_template(
        self, waba_id: str, name: str, hsm_id: str | None = None
    ) -> list[TemplateRecord]:
        """``DELETE /{waba-id}/message_templates``: the templates deleted."""
        return self.template_reviews.delete(waba_id, name, hsm_id)

    def set_template_status(
        self, template_id: str, status: TemplateStatus, *, reason: str | None = None
    ) -> TemplateRecord:
        """Change a template's status and send the ``message_template_status_update`` webhook."""
        return self.template_reviews.set_status(template_id, status, reason=reason)

    def set_number_quality(
        self,
        phone_number_id: str,
        event: QualityEvent,
        *,
        quality_rating: QualityRating | None = None,
        messaging_limit: LimitTier | None = None,
    ) -> Number:
        """Change a number's quality; sends ``phone_number_quality_update`` (number_quality.py)."""
        return self.number_quality.set(
            phone_number_id, event, quality_rating=quality_rating, messaging_limit=messaging_limit
        )

    def stats(self) -> SimStats:
        return SimStats.collect(self)

    # --- helpers for tests, the demo and benchmarks ---------------------------------------------

    async def verify_webhook(
        self, url: str | None = None, verify_token: str | None = None
    ) -> VerifyResult:
        """Meta's subscription handshake against the webhook URL."""
        target = url or self.webhook_url
        if target is None:
            raise RuntimeError("no webhook URL to verify")
        token = self.config.verify_token if verify_token is None else verify_token
        return await verify_subscription(target, token, timeout=self.config.delivery.timeout)

    async def run_load(self, **spec: Any) -> LoadReport:
        """See :func:`pytake_simulator.load.run_load` for the arguments."""
        from pytake_simulator.load import LoadSpec, run_load

        return await run_load(self, LoadSpec(**spec))
