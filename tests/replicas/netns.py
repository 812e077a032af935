"""A network namespace of the test's own for one daemon process, joined to the host by two veth
links: one for HTTP (webhooks in, Graph API calls out) and one for Redis. Cutting the Redis link
(its host end down) is a real partition: packets are dropped silently, so connections hang and
connects time out, as when a switch or a firewall between a replica and Redis fails, not the
immediate refusal of a stopped server (test_faults.py's case).

Why both links: a namespace has its own loopback, so the host's 127.0.0.1 services (the
simulator, Redis' forwarder) are reached through the host end of a link. PostgreSQL is reached
through its UNIX socket, which a network namespace doesn't isolate (a path in the filesystem),
so the partition touches Redis only. The embedded Redis listens on a UNIX socket only; a small
forwarder on the host end of the Redis link carries the namespace's TCP to it.

Needs root (``ip netns``); :func:`namespaces_usable` says whether this machine allows them.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.test_cross_process import DAEMON_ARGV, REPO, Daemon


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


def namespaces_usable() -> str | None:
    """``None`` when this process can make a network namespace; else why not."""
    name = f"pyt-probe-{uuid.uuid4().hex[:6]}"
    try:
        _ip("netns", "add", name)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"cannot make a network namespace here ({exc})"
    _ip("netns", "del", name)
    return None


@dataclass(frozen=True)
class Link:
    host_if: str
    host_ip: str
    ns_ip: str


@dataclass
class Namespace:
    name: str
    http: Link
    redis: Link

    def cut_redis(self) -> None:
        """The partition: the Redis link's host end down (the namespace's end stays up)."""
        _ip("link", "set", self.redis.host_if, "down")

    def heal_redis(self) -> None:
        _ip("link", "set", self.redis.host_if, "up")

    def spawn_daemon(self, env: dict[str, str], log_path: Path) -> NamespacedDaemon:
        """``pytake daemon`` inside the namespace, listening on its HTTP link's address."""
        port = int(env["PYTAKE_SERVER__PORT"])
        env = {**env, "PYTAKE_SERVER__HOST": self.http.ns_ip}
        with log_path.open("ab") as log:
            # ip netns exec execs the command: the child's pid is the daemon's own.
            proc = subprocess.Popen(
                ["ip", "netns", "exec", self.name, *DAEMON_ARGV],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=REPO,
            )
        return NamespacedDaemon(proc, port, log_path, host=self.http.ns_ip)


@contextlib.contextmanager
def made_namespace() -> Iterator[Namespace]:
    """A namespace with its two links, removed afterwards whatever happened."""
    tag = secrets.token_hex(3)
    # Private /30s, the third octet random: tests on other workers make their own.
    octet = secrets.randbelow(250) + 1
    ns = Namespace(
        name=f"pyt-{tag}",
        http=Link(f"pth{tag}", f"10.213.{octet}.1", f"10.213.{octet}.2"),
        redis=Link(f"ptr{tag}", f"10.214.{octet}.1", f"10.214.{octet}.2"),
    )
    _ip("netns", "add", ns.name)
    try:
        _ip("netns", "exec", ns.name, "ip", "link", "set", "lo", "up")
        for link, inner in ((ns.http, f"pnh{tag}"), (ns.redis, f"pnr{tag}")):
            _ip("link", "add", link.host_if, "type", "veth", "peer", "name", inner)
            _ip("link", "set", inner, "netns", ns.name)
            _ip("addr", "add", f"{link.host_ip}/30", "dev", link.host_if)
            _ip("link", "set", link.host_if, "up")
            _ip("netns", "exec", ns.name, "ip", "addr", "add", f"{link.ns_ip}/30", "dev", inner)
            _ip("netns", "exec", ns.name, "ip", "link", "set", inner, "up")
        yield ns
    finally:
        for link in (ns.http, ns.redis):
            with contextlib.suppress(subprocess.SubprocessError):
                _ip("link", "del", link.host_if)  # takes its peer with it
        _ip("netns", "del", ns.name)


@dataclass
class NamespacedDaemon(Daemon):
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}/api/v1/ws"


class Forwarder:
    """A TCP listener on ``host:port`` whose every connection is piped to ``target`` (a UNIX
    socket path, or ``(host, port)``)."""

    def __init__(self, target: str | tuple[str, int]) -> None:
        self.target = target
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        # Python 3.11's Server.close() leaves accepted connections open: each is closed here,
        # or a socket left for the garbage collector fails a later test (filterwarnings=error).
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self, host: str, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._accept, host, port)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._pipes):
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)
        for writer in self._writers:
            writer.close()
        await asyncio.gather(*(w.wait_closed() for w in self._writers), return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            if isinstance(self.target, str):
                up_reader, up_writer = await asyncio.open_unix_connection(self.target)
            else:
                up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers.add(up_writer)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(_pipe(source, sink))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        sink.close()
