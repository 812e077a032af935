"""``pytake simulate [serve|script|load]``: the WhatsApp Cloud API simulator (Meta's side)."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pytake_cli.context import EXIT_CONFIG, console, fail
from pytake_cli.i18n import _

if TYPE_CHECKING:
    from pytake_simulator import Simulator, SimulatorConfig

app = typer.Typer(
    help="Simulate Meta's side of the WhatsApp Cloud API (Graph API + webhooks) for demos, "
    "tests and benchmarks. With no subcommand: serve.",
    invoke_without_command=True,
)

Host = Annotated[
    str | None,
    typer.Option("--host", help="Listen address (default 127.0.0.1).", show_default=False),
]
Port = Annotated[
    int | None, typer.Option("--port", help="Listen port (default 8430).", show_default=False)
]
WebhookUrl = Annotated[
    str | None,
    typer.Option(
        "--webhook-url",
        help="Where webhooks go (default http://127.0.0.1:8420/api/v1/whatsapp/webhook).",
        show_default=False,
    ),
]
ConfigFile = Annotated[
    Path | None, typer.Option("--config", help="Simulator TOML file.", show_default=False)
]
Chatter = Annotated[
    float,
    typer.Option("--chatter", min=0, help="Random customers write at this many messages/s."),
]
HiddenPhoneShare = Annotated[
    float | None,
    typer.Option(
        "--hidden-phone-share",
        min=0,
        max=1,
        help="Share of customers with a username whose phone Meta withholds (default 0).",
        show_default=False,
    ),
]
AnswerContactRequests = Annotated[
    bool,
    typer.Option(
        "--answer-contact-requests",
        help="Customers share their phone when the business asks (request_contact_info).",
    ),
]


def _config(
    path: Path | None,
    host: str | None,
    port: int | None,
    webhook_url: str | None,
    hidden_phone_share: float | None = None,
    answer_contact_requests: bool = False,
) -> SimulatorConfig:
    from pydantic import ValidationError

    from pytake_simulator.config import ConfigError, SimulatorConfig, first_error, load_config

    try:
        config = load_config(path) if path is not None else SimulatorConfig()
        overrides = {"host": host, "port": port, "webhook_url": webhook_url}
        data = {
            **config.model_dump(),
            **{k: v for k, v in overrides.items() if v is not None},
        }
        if hidden_phone_share is not None:
            data["customers"]["hidden_phone_share"] = hidden_phone_share
        if answer_contact_requests:
            data["customers"]["answer_contact_requests"] = True
        return SimulatorConfig.model_validate(data)
    except ConfigError as exc:
        fail(str(exc), code=EXIT_CONFIG)
    except ValidationError as exc:
        fail(
            _("invalid option: {first_error}").format(first_error=first_error(exc)),
            code=EXIT_CONFIG,
        )


async def _started(config: SimulatorConfig) -> Simulator:
    from pytake_simulator import Simulator

    sim = Simulator(config)
    try:
        await sim.start()
    except OSError as exc:
        fail(
            _(
                "cannot listen on {host}:{port}: {value} (another simulator running? try --port)"
            ).format(host=config.host, port=config.port, value=exc.strerror or exc)
        )
    return sim


def _say(text: str) -> None:
    """One line, never wrapped: URLs and tokens get copied from here."""
    console.print(text, soft_wrap=True, highlight=False)


def _banner(sim: Simulator) -> None:
    config = sim.config
    _say(f"[bold]WhatsApp Cloud API simulator[/] on {sim.base_url} (all values are fake)")
    _say(f"  Graph API      {sim.graph_url}")
    _say(f"  control API    {sim.base_url}/_sim/  (no auth: local use only)")
    _say(f"  webhook URL    {sim.webhook_url or '(none: notifications wait)'}")
    _say(f"  app secret     {config.app_secret}")
    _say(f"  verify token   {config.verify_token}")
    for number in config.numbers:
        _say(
            f"  number         {number.phone_number_id} ({number.display_phone_number}), "
            f"WABA {number.waba_id}, access token {number.access_token}"
        )


@contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGINT/SIGTERM set ``stop`` (installed before the banner, so a prompt signal is caught)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        yield
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def _serve(config: SimulatorConfig, chatter: float) -> None:
    async def main() -> None:
        stop = asyncio.Event()
        with _stop_on_signals(stop):
            sim = await _started(config)
            try:
                _banner(sim)
                if chatter > 0:
                    sim.spawn(sim.chatter(chatter))
                    _say(f"  chatter        {chatter:g} messages/s from random customers")
                await stop.wait()
                _say("stopping")
            finally:
                await sim.stop()

    asyncio.run(main())


@app.callback()
def main(
    ctx: typer.Context,
    host: Host = None,
    port: Port = None,
    webhook_url: WebhookUrl = None,
    config: ConfigFile = None,
    chatter: Chatter = 0.0,
    hidden_phone_share: HiddenPhoneShare = None,
    answer_contact_requests: AnswerContactRequests = False,
) -> None:
    """Run the simulator until Ctrl-C / SIGTERM (same as ``serve``)."""
    if ctx.invoked_subcommand is None:
        cfg = _config(config, host, port, webhook_url, hidden_phone_share, answer_contact_requests)
        _serve(cfg, chatter)


@app.command("serve")
def serve(
    host: Host = None,
    port: Port = None,
    webhook_url: WebhookUrl = None,
    config: ConfigFile = None,
    chatter: Chatter = 0.0,
    hidden_phone_share: HiddenPhoneShare = None,
    answer_contact_requests: AnswerContactRequests = False,
) -> None:
    """Serve the Graph API and the control API until Ctrl-C / SIGTERM."""
    cfg = _config(config, host, port, webhook_url, hidden_phone_share, answer_contact_requests)
    _serve(cfg, chatter)


@app.command("script")
def script(
    file: Annotated[Path, typer.Argument(help="Conversation script (TOML).")],
    simulator: Annotated[
        str | None,
        typer.Option(
            "--simulator", help="Run against this running simulator instead of starting one."
        ),
    ] = None,
    host: Host = None,
    port: Port = None,
    webhook_url: WebhookUrl = None,
    config: ConfigFile = None,
) -> None:
    """Play a scripted customer; exit 1 with the reason when an expectation fails."""
    from pytake_simulator.config import ConfigError
    from pytake_simulator.script import ScriptFailed, load_script, run_script

    try:
        conversation = load_script(file)
    except ConfigError as exc:
        fail(str(exc), code=EXIT_CONFIG)
    cfg = _config(config, host, port, webhook_url) if simulator is None else None

    async def main() -> int:
        if simulator is not None:
            result = await run_script(conversation, simulator)
            return result.steps
        assert cfg is not None
        sim = await _started(cfg)
        try:
            assert sim.base_url is not None
            result = await run_script(conversation, sim.base_url)
            return result.steps
        finally:
            await sim.stop()

    try:
        steps = asyncio.run(main())
    except ScriptFailed as exc:
        fail(_("script failed: {exc}").format(exc=exc))
    _say(f"script passed: {steps} steps")


@app.command("load")
def load(
    customers: Annotated[int, typer.Option("--customers", min=1, help="Distinct customers.")] = 10,
    rate: Annotated[float, typer.Option("--rate", min=0.001, help="Messages per second.")] = 10.0,
    duration: Annotated[float, typer.Option("--duration", min=0.001, help="Seconds.")] = 5.0,
    message_type: Annotated[
        str, typer.Option("--type", help="text, image, location or reaction.")
    ] = "text",
    drain_timeout: Annotated[
        float, typer.Option("--drain-timeout", help="Seconds to wait for acks afterwards.")
    ] = 30.0,
    expect_replies: Annotated[
        bool, typer.Option("--expect-replies", help="Also wait for one reply per message.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable report.")] = False,
    host: Host = None,
    port: Port = None,
    webhook_url: WebhookUrl = None,
    config: ConfigFile = None,
) -> None:
    """Send inbound messages at a fixed rate (open loop), then report what the receiver did."""
    from pydantic import ValidationError

    from pytake_simulator.config import first_error
    from pytake_simulator.load import LoadSpec, run_load

    cfg = _config(config, host, port, webhook_url)
    try:
        spec = LoadSpec(
            customers=customers,
            rate=rate,
            duration=duration,
            message_type=message_type,
            drain_timeout=drain_timeout,
            expect_replies=expect_replies,
        )
    except ValidationError as exc:
        fail(
            _("invalid option: {first_error}").format(first_error=first_error(exc)),
            code=EXIT_CONFIG,
        )

    async def main() -> list[str] | str:
        sim = await _started(cfg)
        try:
            report = await run_load(sim, spec)
        finally:
            await sim.stop()
        return json.dumps(report.model_dump(mode="json"), indent=2) if as_json else report.lines()

    output = asyncio.run(main())
    if isinstance(output, str):
        typer.echo(output)
    else:
        for line in output:
            _say(line)
