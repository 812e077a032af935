"""The simulator's settings: business numbers, timing, delivery faults, rate limits.

Defaults describe one number so ``pytake simulate`` works with zero configuration; every value is
fake and printed at startup. A TOML file (``--config``) overrides any of it, validated by these
models; :func:`load_config` turns a bad file into one line naming the field.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pytake_simulator.templates import TemplateDefinition

DEFAULT_PHONE_NUMBER_ID = "100000000000001"
DEFAULT_DISPLAY_PHONE_NUMBER = "+1 555 0100"
DEFAULT_WABA_ID = "200000000000001"
DEFAULT_ACCESS_TOKEN = "sim-access-token"  # noqa: S105 - a fake, printed at startup
DEFAULT_APP_SECRET = "sim-app-secret"  # noqa: S105 - a fake, printed at startup
DEFAULT_VERIFY_TOKEN = "sim-verify-token"  # noqa: S105 - a fake, printed at startup
DEFAULT_WEBHOOK_URL = "http://127.0.0.1:8420/api/v1/whatsapp/webhook"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8430
DEFAULT_GRAPH_VERSION = "v23.0"


class ConfigError(Exception):
    """A configuration problem, as one line naming the field."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NumberConfig(_Section):
    """A business phone number and the WhatsApp Business Account (WABA) it belongs to."""

    phone_number_id: str = Field(DEFAULT_PHONE_NUMBER_ID, pattern=r"^[0-9]+$")
    display_phone_number: str = DEFAULT_DISPLAY_PHONE_NUMBER
    verified_name: str = "PyTake Demo"
    waba_id: str = Field(DEFAULT_WABA_ID, pattern=r"^[0-9]+$")
    access_token: str = Field(DEFAULT_ACCESS_TOKEN, min_length=1)
    quality_rating: Literal["GREEN", "YELLOW", "RED", "NA"] = "GREEN"
    # Meta: 80 msg/s by default, 1,000 for upgraded numbers, 20 for coexistence numbers.
    throughput_mps: float = Field(80.0, gt=0)
    seed_templates: bool = True

    @property
    def display_digits(self) -> str:
        """The display number as webhooks spell it in ``metadata``: digits only."""
        return "".join(ch for ch in self.display_phone_number if ch.isdigit())


class TimingConfig(_Section):
    """How long the simulated world takes: statuses, customer reads, template review."""

    sent_delay: float = Field(0.2, ge=0)
    delivered_delay: float = Field(0.5, ge=0)
    read_delay: float = Field(2.0, ge=0)
    # Probability that a customer reads a delivered message by themselves.
    read_probability: float = Field(0.7, ge=0, le=1)
    template_review_delay: float = Field(5.0, ge=0)
    # How long Meta takes to answer a send (its round trip from outside its network is a few
    # hundred ms); 0 answers at once. A sender that waits for each answer in turn reaches
    # about (sends in flight) / send_latency messages a second, whatever the number's tier.
    send_latency: float = Field(0.0, ge=0)


class PairRateLimitConfig(_Section):
    """Same number → same customer (131056): a token bucket of ``burst``, one per ``interval``.

    Meta documents "about 1 message every 6 seconds" with bursts allowed; the default burst is
    generous enough that an interactive demo never hits it, while a flood still does.
    """

    burst: int = Field(45, ge=1)
    interval: float = Field(6.0, gt=0)


class DeliveryConfig(_Section):
    """Webhook delivery: Meta's at-least-once semantics and the faults it shows in practice."""

    timeout: float = Field(10.0, gt=0)
    retry_base: float = Field(1.0, gt=0)
    retry_factor: float = Field(2.0, ge=1)
    retry_cap: float = Field(300.0, gt=0)
    # Meta keeps retrying for up to 7 days; the simulator gives up after this many attempts.
    max_attempts: int = Field(12, ge=1)
    concurrency: int = Field(32, ge=1)
    duplicate_rate: float = Field(0.0, ge=0, le=1)
    duplicate_delay: float = Field(0.05, ge=0)
    out_of_order_rate: float = Field(0.0, ge=0, le=1)
    # A held notification goes out once a later one has been delivered, or after this long.
    out_of_order_hold: float = Field(0.5, ge=0)
    batch_max: int = Field(1, ge=1)
    batch_window: float = Field(0.05, ge=0)


class CustomersConfig(_Section):
    """Who the simulated customers are: on WhatsApp or not (131026), and since 2026 whether
    they have a username, a parent BSUID, and a phone number the business may see."""

    not_on_whatsapp: list[str] = Field(default_factory=list)
    not_on_whatsapp_prefixes: list[str] = Field(default_factory=list)
    # The share of customers who adopted a username and whose phone Meta withholds (no 30-day
    # interaction, not in the contact book). 0 keeps every phone visible, as tests expect; the
    # demo passes a share so username customers show up.
    hidden_phone_share: float = Field(0.0, ge=0, le=1)
    # The share of customers with a username (those with a hidden phone always have one).
    username_share: float = Field(0.0, ge=0, le=1)
    # Meta enables parent BSUIDs (``CC.ENT.…``) for eligible managed businesses only.
    parent_user_ids: bool = False
    # Customers tap "share phone number" when the business asks (request_contact_info).
    answer_contact_requests: bool = False

    def on_whatsapp(self, wa_id: str) -> bool:
        if wa_id in self.not_on_whatsapp:
            return False
        return not any(wa_id.startswith(prefix) for prefix in self.not_on_whatsapp_prefixes)


class MetaVariantsConfig(_Section):
    """Where Meta's behaviour has two observed variants (sources disagree), which one to play."""

    # A BSUID in ``to``: Meta answers 200 with a wamid and silently drops the message (Chatwoot
    # PR 15150) — "drop"; "reject" answers code 100 instead.
    bsuid_in_to: Literal["drop", "reject"] = "drop"
    # Failed statuses: no ``contacts`` at all (Dualhook's docs), ``contacts: [{wa_id}]`` only
    # (a real 131026 in pywa issue 227), or each in turn.
    failed_status_contacts: Literal["alternate", "none", "wa_id"] = "alternate"
    # The parent-BSUID field of a status: Dualhook and whatsapp-api-js 6.3 spell it
    # ``recipient_parent_user_id``, Meta's March 2026 sample ``parent_recipient_user_id``.
    status_parent_field: Literal["recipient_parent_user_id", "parent_recipient_user_id"] = (
        "recipient_parent_user_id"
    )
    # Where a contact-request reply carries ``origin``: the message (Meta's sample) or the
    # shared contact (Kapso's docs).
    contact_request_origin: Literal["message", "contact"] = "message"
    # Where a ``phone_number_quality_update`` puts the limit:
    # ``max_daily_conversations_per_business`` (the portfolio's, Meta's reference since October
    # 2025) or ``current_limit`` (earlier payloads; Meta said it goes in February 2026).
    quality_limit_field: Literal["max_daily_conversations_per_business", "current_limit"] = (
        "max_daily_conversations_per_business"
    )


class SimulatorConfig(_Section):
    host: str = DEFAULT_HOST
    port: int = Field(DEFAULT_PORT, ge=0, le=65535)
    # None: notifications queue up until a URL is set (``Simulator.webhook_url = ...``).
    webhook_url: str | None = DEFAULT_WEBHOOK_URL
    app_secret: str = Field(DEFAULT_APP_SECRET, min_length=1)
    verify_token: str = DEFAULT_VERIFY_TOKEN
    graph_version: str = Field(DEFAULT_GRAPH_VERSION, pattern=r"^v[0-9]+\.[0-9]+$")
    # Seeds the simulator's randomness (faults, reads, chatter) for reproducible runs.
    seed: int | None = None
    numbers: list[NumberConfig] = Field(default_factory=lambda: [NumberConfig()], min_length=1)
    templates: list[TemplateDefinition] = Field(default_factory=list)
    timing: TimingConfig = Field(default_factory=TimingConfig)
    pair_rate_limit: PairRateLimitConfig = Field(default_factory=PairRateLimitConfig)
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig)
    customers: CustomersConfig = Field(default_factory=CustomersConfig)
    meta: MetaVariantsConfig = Field(default_factory=MetaVariantsConfig)

    @model_validator(mode="after")
    def _unique_numbers(self) -> SimulatorConfig:
        ids = [n.phone_number_id for n in self.numbers]
        if len(ids) != len(set(ids)):
            raise ValueError("numbers: phone_number_id values must be unique")
        return self

    @classmethod
    def fast(cls, **overrides: Any) -> SimulatorConfig:
        """Tiny delays and retry backoffs, for tests: statuses within milliseconds."""
        base: dict[str, Any] = {
            "timing": TimingConfig(
                sent_delay=0.0,
                delivered_delay=0.01,
                read_delay=0.01,
                read_probability=0.0,
                template_review_delay=0.02,
            ),
            "delivery": DeliveryConfig(
                timeout=2.0, retry_base=0.02, retry_cap=0.2, max_attempts=6, batch_window=0.02
            ),
        }
        base.update(overrides)
        return cls.model_validate(base)


def load_config(path: Path) -> SimulatorConfig:
    """Read a TOML file into a :class:`SimulatorConfig`, or raise :class:`ConfigError`."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    try:
        return SimulatorConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {first_error(exc)}") from None


def first_error(exc: ValidationError) -> str:
    """The first validation problem as ``dotted.field: message`` (plus how many more)."""
    errors = exc.errors()
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}"
