"""``pytake demo``: the whole product on one machine, in one command.

Starts the daemon (on the embedded PostgreSQL + Redis stack unless URLs are configured) and the
WhatsApp Cloud API simulator as child processes, seeds the demo tenant (``demo_seed``), lets
simulated customers write in Portuguese and English, and opens the console logged in as the
demo supervisor. Quitting the console, Ctrl-C or SIGTERM stops the simulator, then the daemon
(which stops its embedded servers). The children live in their own sessions, so a Ctrl-C on
the terminal reaches only this process, which stops them in that order; they also get SIGTERM
should this process die without cleaning up (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import aiohttp
import typer

from pytake_cli import demo_onboarding, demo_seed
from pytake_cli.context import console, fail, handle_errors, perform, run, settings, state
from pytake_cli.demo_content import FLOW_NAME, DemoWords
from pytake_cli.i18n import _, apply_lang_option, asked_language, ngettext, role_word
from pytake_daemon.config import Settings
from pytake_daemon.embedded._process import death_signal_preexec
from pytake_daemon.errors import PyTakeError
from pytake_daemon.protocol.whatsapp import TemplateSyncResult
from pytake_i18n import format_number

if TYPE_CHECKING:
    from pytake_tui.credentials import SavedSession

_PYTAKE = [sys.executable, "-c", "from pytake_cli.main import run; run()"]
_READY_TIMEOUT = 180.0  # a first run initialises the embedded cluster and migrates
_SIMULATOR_TIMEOUT = 30.0
_STOP_TIMEOUT = 30.0


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Children:
    """The demo's processes; stopped in reverse order of start, each SIGTERM then SIGKILL."""

    def __init__(self) -> None:
        self.started: list[Child] = []

    def start(self, name: str, args: list[str], log: Path, env: dict[str, str]) -> Child:
        config = ["--config", str(state.config)] if state.config is not None else []
        with log.open("ab") as out:
            proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [*_PYTAKE, *config, *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                # Started between event loops, from the main thread: the death signal follows
                # the thread that forked.
                preexec_fn=death_signal_preexec(signal.SIGTERM),  # noqa: PLW1509 - only prctl, no locks, runs before exec
            )
        child = Child(name, proc, log)
        self.started.append(child)
        return child

    def stop(self) -> None:
        for child in reversed(self.started):
            if child.proc.poll() is None:
                child.proc.send_signal(signal.SIGTERM)
                try:
                    child.proc.wait(timeout=_STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    console.print(
                        _("the {name} did not stop in time: killing it").format(name=child.name)
                    )
                    child.proc.kill()
                    child.proc.wait()
        self.started.clear()


@contextlib.contextmanager
def _children() -> Iterator[Children]:
    children = Children()
    try:
        yield children
    finally:
        # Ctrl-C while stopping must not leave a half-stopped demo behind.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            children.stop()
        finally:
            signal.signal(signal.SIGINT, previous)


async def _answers(url: str) -> bool:
    timeout = aiohttp.ClientTimeout(total=2)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as resp:
            return resp.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


async def _wait_answering(url: str, child: Child, limit: float) -> None:
    """Poll ``url`` until it answers 200; fail at once (with the log's tail) if the child
    exits. (Readiness has no push notification to wait on.)"""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not await _answers(url):
        code = child.proc.poll()
        if code is not None:
            raise PyTakeError(
                _("the {name} exited with {code} while starting; {log}:\n{tail}").format(
                    name=child.name, code=code, log=child.log, tail=child.tail()
                )
            )
        if loop.time() > deadline:
            raise PyTakeError(
                _("the {name} isn't ready after {limit:g}s; see {log}").format(
                    name=child.name, limit=limit, log=child.log
                )
            )
        await asyncio.sleep(0.25)


async def _wait_for_stop(children: list[Child]) -> Child | None:
    """Until SIGINT/SIGTERM (``None``) or a child exits (that child)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    died: list[Child] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    fds: list[int] = []
    try:
        for child in children:
            fd = os.pidfd_open(child.proc.pid)
            fds.append(fd)

            def exited(child: Child = child) -> None:
                died.append(child)
                stop.set()

            loop.add_reader(fd, exited)
        await stop.wait()
    finally:
        for fd in fds:
            loop.remove_reader(fd)
            os.close(fd)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return died[0] if died else None


def _local_url(cfg: Settings) -> str:
    host = cfg.server.host
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - reading the setting, not binding
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{cfg.server.port}"


def _say(text: str = "") -> None:
    console.print(text, soft_wrap=True, highlight=False)


def _banner(
    server: str,
    simulator: str,
    credentials: demo_seed.Credentials,
    synced: TemplateSyncResult | None,
    chatter: float,
    words: DemoWords,
) -> None:
    _say()
    running = _("[bold]PyTake demo is running[/] at {server}  (simulator: {simulator})")
    _say("  " + running.format(server=server, simulator=simulator))
    tenant = _("tenant '{tenant}', number {number}")
    _say("  " + tenant.format(tenant=demo_seed.TENANT, number=demo_seed.NUMBER_DISPLAY))
    queues = f"{words.sales}, {words.support}"
    _say("  " + _("queues {queues}; flow '{flow}'").format(queues=queues, flow=FLOW_NAME))
    if synced is not None:
        templates = ngettext(
            "{count} approved template synced from the simulator",
            "{count} approved templates synced from the simulator",
            synced.templates,
        )
        _say("  " + templates.format(count=synced.templates))
    customers = _("simulated customers write in Portuguese and English ({rate} messages/s)")
    _say("  " + customers.format(rate=format_number(chatter)))
    _say()
    saved = _("(saved)")
    for account in demo_seed.ACCOUNTS:
        shown = credentials.passwords[account.email] if account.email in credentials.new else ""
        _say(f"  {role_word(account.role):<13} {account.email:<22} {shown or saved}")
    if credentials.new:
        shown_once = _("passwords shown once; kept in {path} (mode 0600)")
        _say("  " + shown_once.format(path=credentials.path))
    else:
        _say("  " + _("passwords: {path}").format(path=credentials.path))
    join = _("join as an agent in another terminal: pytake tui --server {server}  ({agent})")
    _say("  " + join.format(server=server, agent=demo_seed.AGENTS[0].email))
    _say()
    sys.stdout.flush()


async def supervisor_session(server: str, credentials: demo_seed.Credentials) -> SavedSession:
    """A fresh session of the demo supervisor, in the form the console saves and resumes."""
    from pytake_tui.client import normalize_server
    from pytake_tui.credentials import SavedSession

    async with aiohttp.ClientSession() as session:
        api = demo_seed.Api(session, server)
        email = demo_seed.SUPERVISOR.email
        answer = await api.login(email, credentials.passwords[email])
    return SavedSession(
        server=normalize_server(server),
        token=answer.token,
        expires_at=answer.expires_at,
        email=email,
    )


def _open_console(server: str, cfg: Settings, credentials: demo_seed.Credentials) -> None:
    """The TUI, logged in as the supervisor: the session is saved in the demo's own
    credentials file, which the console resumes like any saved session (the user's own file,
    and so a plain ``pytake tui`` in another terminal, is left alone)."""
    from pytake_tui.app import build_app
    from pytake_tui.credentials import CredentialStore
    from pytake_tui.terminal_size import forget_inherited_size

    try:
        # The console covers the screen: the logins (and new passwords) are read first.
        input(
            "  "
            + _("press Enter to open the console as the supervisor (Ctrl-C stops the demo)")
            + " "
        )
    except (KeyboardInterrupt, EOFError):
        _say()
        return
    path = cfg.state_dir / "demo-tui" / "credentials.json"
    CredentialStore(path).save(run(supervisor_session(server, credentials)))
    forget_inherited_size()
    build_app(server=server, credentials_path=path, language=asked_language()).run()


def _seed(cfg: Settings, server: str, path: Path) -> tuple[demo_seed.Credentials, DemoWords]:
    """The accounts, then the workspace over the API, then the setup recorded as done (the
    wizard must not greet the demo's owner: ``demo_onboarding``)."""
    credentials = perform(
        lambda backend: demo_seed.seed_accounts(backend.cfg, backend.endpoints, path), cfg=cfg
    )

    async def workspace() -> DemoWords:
        async with aiohttp.ClientSession() as session:
            api = demo_seed.Api(session, server)
            made = await demo_seed.seed_workspace(api, credentials)
            await demo_onboarding.seed_setup(api, made)
        return made.words

    words = run(workspace())
    perform(
        lambda backend: demo_onboarding.mark_live(backend.cfg, backend.endpoints, words), cfg=cfg
    )
    return credentials, words


@handle_errors
def demo(
    tui: Annotated[
        bool,
        typer.Option(
            "--tui/--no-tui",
            help="Open the console as the supervisor (--no-tui: run headless until Ctrl-C).",
        ),
    ] = True,
    simulator_port: Annotated[
        int,
        typer.Option(
            "--simulator-port", envvar="PYTAKE_DEMO_SIMULATOR_PORT", help="The simulator's port."
        ),
    ] = 8430,
    chatter: Annotated[
        float,
        typer.Option(
            "--chatter",
            min=0,
            envvar="PYTAKE_DEMO_CHATTER",
            help="Simulated customer messages per second (0: none).",
        ),
    ] = 0.2,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="Language of the demo (en or pt_BR; default: the system locale).",
            callback=apply_lang_option,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the demo: daemon, simulator, a seeded tenant and the console (Ctrl-C stops it)."""
    cfg = settings()
    server = _local_url(cfg)
    simulator = f"http://127.0.0.1:{simulator_port}"
    state_dir = cfg.state_dir
    state_dir.mkdir(parents=True, exist_ok=True)
    if run(_answers(f"{server}/healthz")):
        fail(
            _("something already answers on {server}: stop it or set PYTAKE_SERVER__PORT").format(
                server=server
            )
        )
    if run(_answers(f"{simulator}/_sim/")):
        fail(
            _("something already answers on {simulator}: stop it or use --simulator-port").format(
                simulator=simulator
            )
        )
    env = dict(os.environ)
    # The daemon talks to the simulator instead of graph.facebook.com unless told otherwise.
    env.setdefault("PYTAKE_WHATSAPP__GRAPH_BASE_URL", simulator)
    headless = not tui or not (sys.stdin.isatty() and sys.stdout.isatty())

    with _children() as children:
        _say(_("starting the daemon (log: {log})").format(log=state_dir / "daemon.log"))
        daemon = children.start("daemon", ["daemon"], state_dir / "daemon.log", env)
        run(_wait_answering(f"{server}/readyz", daemon, _READY_TIMEOUT))

        _say(_("seeding the demo tenant"))
        credentials, words = _seed(cfg, server, state_dir / demo_seed.CREDENTIALS_FILE)

        _say(
            _("starting the WhatsApp simulator (log: {log})").format(
                log=state_dir / "simulator.log"
            )
        )
        args = ["simulate", "serve", "--port", str(simulator_port)]
        args += ["--webhook-url", f"{server}/api/v1/whatsapp/webhook", "--chatter", f"{chatter:g}"]
        # As WhatsApp is in 2026: some customers write with a username and Meta withholds their
        # phone (they are answered by BSUID); they share it when an agent asks (alt+p).
        args += ["--hidden-phone-share", "0.3", "--answer-contact-requests"]
        sim = children.start("simulator", args, state_dir / "simulator.log", env)
        run(_wait_answering(f"{simulator}/_sim/", sim, _SIMULATOR_TIMEOUT))

        async def templates() -> TemplateSyncResult:
            async with aiohttp.ClientSession() as session:
                api = demo_seed.Api(session, server)
                await api.login(demo_seed.OWNER.email, credentials.passwords[demo_seed.OWNER.email])
                return await demo_seed.sync_templates(api)

        synced: TemplateSyncResult | None = None
        try:
            synced = run(templates())
        except PyTakeError as exc:  # the demo runs without them; say why
            _say(_("template sync failed: {error}").format(error=exc))

        _banner(server, simulator, credentials, synced, chatter, words)
        if headless:
            if tui:
                _say(_("no terminal: running headless; Ctrl-C stops everything"))
            died = run(_wait_for_stop([daemon, sim]))
            if died is not None:
                fail(
                    _("the {name} stopped (exit {returncode}); {log}:\n{tail}").format(
                        name=died.name,
                        returncode=died.proc.returncode,
                        log=died.log,
                        tail=died.tail(),
                    )
                )
        else:
            _open_console(server, cfg, credentials)
        _say(_("stopping the simulator and the daemon"))
    _say(_("stopped"))
