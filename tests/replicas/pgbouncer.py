"""Debian's PgBouncer in transaction mode in front of the package's embedded PostgreSQL, run as
the embedded servers' user (PgBouncer refuses root), listening on a loopback port of its own."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from pytake_daemon.embedded import EmbeddedPostgres
from pytake_daemon.embedded._process import RunAs, log_tail, spawn
from tests.support import free_port

START_TIMEOUT = 15.0


def pgbouncer_binary() -> str | None:
    """Debian's package puts it in /usr/sbin, which is not on every PATH."""
    return shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
    )


class PgBouncer:
    def __init__(
        self,
        directory: Path,
        postgres: EmbeddedPostgres,
        users: list[str],
        *,
        server_dir: Path | None = None,
    ) -> None:
        """``server_dir``: the socket directory of the server behind it (``postgres``' own
        unless given: a directory with none is a PostgreSQL that is away)."""
        self.directory = directory
        self.port = free_port()
        self._postgres = postgres
        self._users = users
        self._server_dir = server_dir if server_dir is not None else postgres.socket_dir
        self._proc: subprocess.Popen[bytes] | None = None

    def dsn(self, user: str, database: str) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def start(self, binary: str) -> None:
        run_as = RunAs.resolve(self._postgres.run_as_user)
        self.directory.mkdir(parents=True, exist_ok=True)
        users = self.directory / "users.txt"
        users.write_text("".join(f'"{u}" ""\n' for u in self._users))
        config = self.directory / "pgbouncer.ini"
        # Trust, as the embedded cluster's own socket does; the server side is its socket.
        # server_login_retry: after a failed login to a restarting PostgreSQL PgBouncer waits
        # this long before trying again, 15 s by default: the replicas would not be ready
        # within 5 s of the database's return (docs/operations.md says to lower it).
        # query_wait_timeout: only a new client is refused at once while logins fail; a query
        # on a connection already open waits for a server up to this long, 120 s by default.
        # A replica whose pool stayed connected then answered no webhook at all while
        # PostgreSQL was down (each waited past the balancer's 10 s, asyncpg's 30 s command
        # timeout ended it), instead of the 503 with Retry-After test_faults.py expects.
        config.write_text(
            f"""[databases]
* = host={self._server_dir}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {users}
pool_mode = transaction
max_client_conn = 200
default_pool_size = 20
ignore_startup_parameters = extra_float_digits
server_login_retry = 1
query_wait_timeout = 5
"""
        )
        for path in (self.directory, users, config):
            run_as.chown(path)
        self._proc = spawn(
            [binary, config],
            run_as=run_as,
            log_path=self.directory / "pgbouncer.log",
            cwd=self.directory,
            death_signal=signal.SIGTERM,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert self._proc.poll() is None, log_tail(self.directory / "pgbouncer.log")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert time.monotonic() < deadline, "pgbouncer did not listen in time"
                time.sleep(0.05)  # a polling interval, bounded by the deadline above

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(10)
