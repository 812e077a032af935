"""A private redis-server under the state directory, reachable only through a UNIX socket."""

from __future__ import annotations

import logging
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from pytake_daemon.embedded._process import (
    EmbeddedStackError,
    RunAs,
    check_socket_path,
    prepare_root,
    private_dir,
    process_alive,
    process_argv,
    process_cwd,
    program_name,
    read_pid,
    spawn,
    wait_gone,
    wait_ready,
)

log = logging.getLogger(__name__)


def find_redis_server(configured: Path | None) -> Path:
    if configured is not None:
        if configured.is_file():
            return configured
        raise EmbeddedStackError(f"embedded.redis_server {configured} does not exist")
    found = shutil.which("redis-server")
    if found is None:
        raise EmbeddedStackError(
            "redis-server not found: install the Debian package 'redis-server' "
            "or set embedded.redis_server"
        )
    return Path(found)


def ping(path: Path, timeout: float = 1.0) -> bool:
    """Whether a Redis answers PING on the socket ``path``."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class EmbeddedRedis:
    """A redis-server in ``<root>/redis`` without persistence, listening on ``redis.sock`` only.

    Like :class:`EmbeddedPostgres`, start it from the main thread.
    """

    def __init__(
        self, root: Path, *, run_as_user: str = "postgres", server: Path | None = None
    ) -> None:
        self.root = Path(root).resolve()
        self.run_as_user = run_as_user
        self._server_setting = server
        self._base = self.root / "redis"
        self.socket_path = self._base / "redis.sock"
        self.pid_file = self._base / "redis.pid"
        self.log_path = self._base / "redis.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._adopted = False

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def pid(self) -> int | None:
        if self._proc is not None:
            return self._proc.pid
        return read_pid(self.pid_file) if self._adopted else None

    @property
    def owned(self) -> bool:
        return self._proc is not None

    def is_running(self) -> bool:
        if self._proc is not None:
            return self._proc.poll() is None
        return self._adopted and ping(self.socket_path)

    def start(self, *, timeout: float = 60.0, adopt_running: bool = False) -> None:
        """Start redis-server, first clearing what a killed predecessor left behind.

        With ``adopt_running`` a live server on the socket is used and :meth:`stop` leaves it.
        """
        if self.is_running():
            return
        deadline = time.monotonic() + timeout
        check_socket_path(self.socket_path)
        run_as = RunAs.resolve(self.run_as_user)
        server = find_redis_server(self._server_setting)
        prepare_root(self.root, run_as)
        private_dir(self._base, run_as)
        live = self._live_server()
        if adopt_running and (live is not None or ping(self.socket_path)):
            self._adopted = True
            log.info("using running embedded Redis at %s", self.socket_path)
            return
        if live is not None:
            # PR_SET_PDEATHSIG sent SIGTERM when the previous owner died; Redis without
            # persistence exits at once, so a survivor is stuck and gets SIGKILL soon.
            log.warning("Redis (pid %d) of a previous run is still up; stopping it", live)
            steps = [(None, 5.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)]
            if not wait_gone(live, steps):
                raise EmbeddedStackError(f"Redis (pid {live}) does not stop: kill it and retry")
        elif ping(self.socket_path):
            raise EmbeddedStackError(
                f"an unknown Redis answers on {self.socket_path}: stop it and retry"
            )
        self.pid_file.unlink(missing_ok=True)
        self.socket_path.unlink(missing_ok=True)
        log.info("starting embedded Redis in %s", self._base)
        argv: list[str | Path] = [server, "--port", "0", "--daemonize", "no"]
        argv += ["--unixsocket", self.socket_path, "--unixsocketperm", "700"]
        argv += ["--save", "", "--appendonly", "no", "--dir", self._base]
        argv += ["--pidfile", self.pid_file, "--logfile", self.log_path]
        self._proc = spawn(
            argv,
            run_as=run_as,
            log_path=self.log_path,
            cwd=self._base,
            death_signal=signal.SIGTERM,
        )
        try:
            wait_ready(
                lambda: ping(self.socket_path),
                what="Redis",
                proc=self._proc,
                log_path=self.log_path,
                deadline=deadline,
            )
        except BaseException:
            self.stop()
            raise
        log.info("embedded Redis ready (pid %d) at %s", self._proc.pid, self.socket_path)

    def stop(self, *, timeout: float = 30.0) -> None:
        """SIGTERM a server we started; an adopted one is only forgotten."""
        self._adopted = False
        proc, self._proc = self._proc, None
        if proc is None:
            return
        log.info("stopping embedded Redis (pid %d)", proc.pid)
        if not wait_gone(proc.pid, [(signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)], proc):
            raise EmbeddedStackError(f"Redis (pid {proc.pid}) does not stop")

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _live_server(self) -> int | None:
        """The pid in redis.pid if it is this directory's redis-server (not a reused pid)."""
        pid = read_pid(self.pid_file)
        if pid is None or not process_alive(pid):
            return None
        argv = process_argv(pid)
        cwd = process_cwd(pid)
        ours = cwd == self._base if cwd is not None else str(self.socket_path) in " ".join(argv)
        return pid if ours and program_name(argv) == "redis-server" else None
