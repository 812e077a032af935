"""The demo tenant's setup, recorded as the onboarding wizard records it, so the wizard does not
greet the demo's owner and the progress widget stays hidden (issue 19 walkthrough).

``demo_seed`` puts in place what the wizard's first six steps would: the business profile is
saved here (the wizard's step 1 is that save), and steps 2-6 are marked done through the API with
what the seed made (the number, the people, the queues, the published flow; the defaults left as
they are). The go-live step is done only by its check, whose test message a person sends from a
phone; the demo's simulator is not up yet when the seed runs and a test conversation would sit
in the demo's queues, so the seed records the step itself, through the database like the
accounts, with a summary that says it was seeded rather than checked. Idempotent: a step already
done or skipped, and a profile already saved, are left as they are.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pytake_cli import demo_seed
from pytake_cli.context import tenant_connection
from pytake_cli.demo_content import ENGLISH, FLOW_NAME, DemoWords
from pytake_cli.i18n import _
from pytake_daemon.audit.cli_actions import record_cli_action
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.onboarding import db as onboarding_db
from pytake_daemon.protocol.onboarding import (
    OnboardingState,
    StepName,
    StepStatus,
    StepUpdate,
    TenantProfile,
    TenantProfileOut,
)
from pytake_daemon.protocol.queues import WEEKDAYS
from pytake_i18n import use_language
from pytake_simulator.config import DEFAULT_PHONE_NUMBER_ID, DEFAULT_WABA_ID


# Open around the clock: its simulated customers write at any hour, and the off-hours rule of
# the security alerts follows these hours (a demo tried at night is not off-hours work).
def shop_profile(words: DemoWords) -> TenantProfile:
    """The shop's profile; its language is the one the demo was seeded in (the customers'
    default, and the console's when nobody chose one)."""
    return TenantProfile(
        business_name=words.shop,
        segment="retail",
        timezone="America/Sao_Paulo",
        language=words.language,
        business_hours={day: [("00:00", "24:00")] for day in WEEKDAYS},
    )


SEEDED = "pytake demo"
"""Who set a seeded step up: a name, the same in every language."""


def _step_data(step: StepName, workspace: demo_seed.Workspace) -> dict[str, Any]:
    """What the seed did for a step, in the step's own words (never a secret)."""
    match step:
        case StepName.NUMBER:
            return {"phone_number_id": DEFAULT_PHONE_NUMBER_ID, "waba_id": DEFAULT_WABA_ID,
                    "display_phone_number": demo_seed.NUMBER_DISPLAY}  # fmt: skip
        case StepName.TEAM:
            return {"people": [a.email for a in demo_seed.ACCOUNTS]}
        case StepName.QUEUES:
            return {"queues": sorted(workspace.queues)}
        case StepName.AUTOMATION:
            return {"flow": FLOW_NAME, "flow_id": str(workspace.flow_id)}
        case _:
            return {}


SET_UP = (StepName.NUMBER, StepName.TEAM, StepName.QUEUES, StepName.AUTOMATION, StepName.DEFAULTS)


async def seed_setup(api: demo_seed.Api, workspace: demo_seed.Workspace) -> OnboardingState:
    """As the owner: the profile saved (step 1) and steps 2-6 marked done, through the API."""
    profile = await api.call("GET", "/api/v1/tenant/profile", TenantProfileOut)
    if not profile.configured:
        await api.call(
            "PUT", "/api/v1/tenant/profile", TenantProfileOut, shop_profile(workspace.words)
        )
    state = await api.call("GET", "/api/v1/onboarding", OnboardingState)
    pending = {s.step for s in state.steps if s.status is StepStatus.PENDING}
    for step in SET_UP:
        if step in pending:
            data = {**_step_data(step, workspace), "by": SEEDED}
            update = StepUpdate(status=StepStatus.DONE, data=data)
            state = await api.call("PUT", f"/api/v1/onboarding/steps/{step.value}",
                                   OnboardingState, update)  # fmt: skip
    return state


def seeded_summary(words: DemoWords) -> list[str]:
    """The go-live summary of the seeded demo, in the language the demo was seeded in."""
    with use_language(words.language):
        return [
            _("{shop}: set up by pytake demo").format(shop=words.shop),
            _("number {number} (the simulator's)").format(number=demo_seed.NUMBER_DISPLAY),
            _("queues {sales}, {support}; flow '{flow}'").format(
                sales=words.sales, support=words.support, flow=FLOW_NAME
            ),
        ]


async def mark_live(cfg: Settings, endpoints: Endpoints, words: DemoWords = ENGLISH) -> None:
    """The go-live step done, as seeded (the API takes it only from a passing check)."""
    async with tenant_connection(cfg, endpoints, demo_seed.TENANT) as conn:
        if any(
            row["step"] == StepName.GO_LIVE and row["status"] == StepStatus.DONE
            for row in await onboarding_db.steps(conn)
        ):
            return
        data = {
            "passed": True, "seeded": True, "checks": [],
            # The facts, for any reader to word; the summary in the tenant's language (the
            # demo's), since the stored step has no reader of its own.
            "number": demo_seed.NUMBER_DISPLAY, "queues": [words.sales, words.support],
            "flow": FLOW_NAME, "summary": seeded_summary(words),
        }  # fmt: skip
        await onboarding_db.save_step(
            conn, StepName.GO_LIVE, StepStatus.DONE, data, by=None, at=datetime.now(UTC)
        )
        await record_cli_action(
            conn, "onboarding.step", target_type="onboarding", target_id=StepName.GO_LIVE.value,
            diff={"status": {"after": StepStatus.DONE.value}},
        )  # fmt: skip
