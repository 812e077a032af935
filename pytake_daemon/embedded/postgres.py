"""A private PostgreSQL cluster under the state directory, reachable only through a UNIX socket."""

from __future__ import annotations

import logging
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

from pytake_daemon.embedded._process import (
    EmbeddedStackError,
    RunAs,
    check_socket_path,
    log_tail,
    prepare_root,
    private_dir,
    process_alive,
    process_argv,
    process_cwd,
    processes_in,
    program_name,
    read_pid,
    run_tool,
    spawn,
    wait_gone,
    wait_ready,
)

log = logging.getLogger(__name__)

PORT = 5432
"""Names the socket file (``.s.PGSQL.5432``); nothing listens on TCP."""
DEBIAN_ROOT = Path("/usr/lib/postgresql")
_NAMES = frozenset({"postgres", "postmaster"})


def find_bindir(configured: Path | None, data_dir: Path | None = None) -> Path:
    """The directory with ``initdb`` and ``postgres``.

    Debian's versioned directories come before PATH, whose ``pg_ctl``/``initdb`` may be
    wrappers; an existing cluster gets the major version that created it.
    """
    if configured is not None:
        if _has_server(configured):
            return configured
        raise EmbeddedStackError(
            f"embedded.postgres_bindir {configured} holds no 'initdb' and 'postgres' binaries"
        )
    versions: list[tuple[tuple[int, ...], Path]] = []
    for bindir in DEBIAN_ROOT.glob("*/bin"):
        parts = bindir.parent.name.split(".")
        if all(p.isdigit() for p in parts) and _has_server(bindir):
            versions.append((tuple(int(p) for p in parts), bindir))
    wanted = _cluster_version(data_dir)
    for _, bindir in versions:
        if bindir.parent.name == wanted:
            return bindir
    if versions:
        return max(versions)[1]
    on_path = shutil.which("postgres")
    if on_path is not None and _has_server(Path(on_path).resolve().parent):
        return Path(on_path).resolve().parent
    raise EmbeddedStackError(
        "PostgreSQL binaries not found: install the Debian package 'postgresql' "
        "or set embedded.postgres_bindir"
    )


def _has_server(bindir: Path) -> bool:
    return (bindir / "postgres").is_file() and (bindir / "initdb").is_file()


def _cluster_version(data_dir: Path | None) -> str | None:
    try:
        return (data_dir / "PG_VERSION").read_text().strip() if data_dir else None
    except OSError:
        return None


def _locale_args() -> list[str]:
    # Byte-order collation keeps indexes valid when glibc changes its collation rules;
    # a UTF-8 ctype still gives upper(), lower() and regexes their Unicode meaning.
    if any((Path("/usr/lib/locale") / name).exists() for name in ("C.utf8", "C.UTF-8")):
        return ["--locale=C.UTF-8", "--lc-collate=C"]
    return ["--locale=C"]


# Variables keep the name out of the SQL text; \gexec runs the generated statement, if any.
_CREATE_DATABASE = """\
SELECT format('CREATE DATABASE %I', :'dbname')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'dbname') \\gexec
"""


class EmbeddedPostgres:
    """A PostgreSQL cluster in ``<root>/postgres``: ``data`` (PGDATA), ``run`` (the socket).

    Synchronous on purpose: the server must outlive event loops, and its parent-death signal
    is tied to the thread that starts it, so call :meth:`start` from the main thread.
    """

    def __init__(
        self,
        root: Path,
        *,
        run_as_user: str = "postgres",
        bindir: Path | None = None,
        database: str = "pytake",
        settings: Sequence[str] = (),
    ) -> None:
        """``settings`` are extra ``name=value`` server settings (benchmarks use them to load
        ``pg_stat_statements`` for a diagnosis)."""
        self.root = Path(root).resolve()
        self._settings = tuple(settings)
        self.run_as_user = run_as_user
        self.database = database
        self._bindir_setting = bindir
        self._base = self.root / "postgres"
        self.data_dir = self._base / "data"
        self.log_path = self._base / "postgres.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._adopted_pid: int | None = None

    @property
    def socket_dir(self) -> Path:
        return self._base / "run"

    @property
    def pid(self) -> int | None:
        """The postmaster's pid while it runs (ours or adopted)."""
        if self._proc is not None:
            return self._proc.pid
        return self._adopted_pid

    @property
    def owned(self) -> bool:
        """Whether :meth:`stop` stops the server (false for an adopted one)."""
        return self._proc is not None

    def dsn(self, database: str | None = None, user: str = "postgres") -> str:
        """A libpq/asyncpg DSN over the socket."""
        host = quote(str(self.socket_dir), safe="/")
        name = quote(database or self.database, safe="")
        return f"postgresql://{quote(user, safe='')}@/{name}?host={host}&port={PORT}"

    def is_running(self) -> bool:
        if self._proc is not None:
            return self._proc.poll() is None
        return self._adopted_pid is not None and process_alive(self._adopted_pid)

    def start(self, *, timeout: float = 60.0, adopt_running: bool = False) -> None:
        """Initialise the cluster if needed, start it and create :attr:`database` if missing.

        A server left running on this data directory (its owner was killed) is waited for and
        shut down first; with ``adopt_running`` it is used instead, and :meth:`stop` leaves it
        alone. Raises :class:`EmbeddedStackError`.
        """
        if self.is_running():
            return
        deadline = time.monotonic() + timeout
        check_socket_path(self.socket_dir / f".s.PGSQL.{PORT}")
        run_as = RunAs.resolve(self.run_as_user)
        bindir = find_bindir(self._bindir_setting, self.data_dir)
        prepare_root(self.root, run_as)
        private_dir(self._base, run_as)
        private_dir(self.socket_dir, run_as)
        live = self._live_postmaster()
        if live is not None and adopt_running:
            self._adopt(live, deadline)
            return
        self._stop_leftovers(live)
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb(bindir, run_as, deadline)
        log.info("starting embedded PostgreSQL in %s", self.data_dir)
        argv: list[str | Path] = [bindir / "postgres", "-D", self.data_dir, "-p", str(PORT)]
        argv += ["-k", self.socket_dir, "-c", "unix_socket_permissions=0700"]
        argv += ["-c", "listen_addresses="]  # sockets only: trust auth depends on it
        # Autovacuum looks every 5 s instead of every minute. The queue tables (jobs, outbox)
        # churn dead rows at line rate, and a fresh install's tables grow from empty: every plan
        # a backend caches (its prepared statements, and the foreign-key checks') was made for
        # the table's size at the time and is only replanned when an ANALYZE invalidates it. At
        # one minute, a burst's first minute ran foreign-key checks as sequential scans of
        # `conversations` (0.84 ms a message in bench/ingest.py).
        argv += ["-c", "autovacuum_naptime=5s"]
        for setting in self._settings:
            argv += ["-c", setting]
        self._proc = spawn(
            argv,
            run_as=run_as,
            log_path=self.log_path,
            cwd=self._base,
            death_signal=signal.SIGINT,
        )
        try:
            wait_ready(
                self._ready,
                what="PostgreSQL",
                proc=self._proc,
                log_path=self.log_path,
                deadline=deadline,
            )
            self._create_database(bindir, run_as, deadline)
        except BaseException:
            self.stop()
            raise
        log.info("embedded PostgreSQL ready (pid %d) at %s", self._proc.pid, self.socket_dir)

    def stop(self, *, timeout: float = 30.0) -> None:
        """Fast shutdown (SIGINT) of a server we started; an adopted one is only forgotten."""
        self._adopted_pid = None
        proc, self._proc = self._proc, None
        if proc is None:
            return
        log.info("stopping embedded PostgreSQL (pid %d)", proc.pid)
        # Fast shutdown aborts open transactions; immediate shutdown (SIGQUIT) is the fallback
        # for a server that hangs, and needs crash recovery on the next start.
        steps = [(signal.SIGINT, timeout), (signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)]
        if not wait_gone(proc.pid, steps, proc):
            raise EmbeddedStackError(f"PostgreSQL (pid {proc.pid}) does not stop")

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _status(self) -> tuple[int | None, str]:
        """The pid and the state line (``starting``/``ready``/``stopping``) of postmaster.pid."""
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
        except (OSError, UnicodeDecodeError):
            return None, ""
        pid = int(lines[0]) if lines and lines[0].strip().isdigit() else None
        return pid, lines[7].strip() if len(lines) > 7 else ""

    def _ready(self) -> bool:
        assert self._proc is not None
        return self._status() == (self._proc.pid, "ready")

    def _live_postmaster(self) -> int | None:
        """The pid in postmaster.pid if it is this cluster's postmaster (not a reused pid)."""
        pid = read_pid(self.data_dir / "postmaster.pid")
        if pid is None or not process_alive(pid):
            return None
        argv = process_argv(pid)
        cwd = process_cwd(pid)
        ours = cwd == self.data_dir if cwd is not None else str(self.data_dir) in argv
        return pid if ours and program_name(argv) in _NAMES else None

    def _adopt(self, pid: int, deadline: float) -> None:
        def ready() -> bool:
            status = self._status()
            if not process_alive(pid) or status[1] == "stopping":
                raise EmbeddedStackError(
                    f"PostgreSQL (pid {pid}) on {self.data_dir} is shutting down; retry later"
                )
            return status == (pid, "ready")

        wait_ready(ready, what="PostgreSQL", proc=None, log_path=self.log_path, deadline=deadline)
        self._adopted_pid = pid
        log.info("using running embedded PostgreSQL (pid %d) at %s", pid, self.socket_dir)

    def _stop_leftovers(self, postmaster: int | None) -> None:
        """Make way for a new postmaster after a crash of the previous owner."""
        if postmaster is not None:
            # After the owner died, PR_SET_PDEATHSIG started a fast shutdown that is probably
            # still running; interrupting it would only cost crash recovery.
            log.warning("PostgreSQL (pid %d) of a previous run is still up; waiting", postmaster)
            steps = [(None, 20.0), (signal.SIGINT, 15.0), (signal.SIGQUIT, 5.0)]
            if not wait_gone(postmaster, steps):
                raise EmbeddedStackError(
                    f"PostgreSQL (pid {postmaster}) on {self.data_dir} does not stop: "
                    "stop it and retry"
                )
        # Backends of a postmaster killed with SIGKILL may still use the old shared memory;
        # postgres would detect them only through the postmaster.pid we are about to remove.
        for pid in processes_in(self.data_dir, _NAMES):
            log.warning("orphaned PostgreSQL process %d still uses %s", pid, self.data_dir)
            if not wait_gone(pid, [(None, 5.0), (signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)]):
                raise EmbeddedStackError(f"PostgreSQL process {pid} does not exit: kill it")
        # Postgres trusts a lock file whose pid is alive, even when the pid has been reused by
        # an unrelated process (common in containers, whose pids start from 1 again).
        (self.data_dir / "postmaster.pid").unlink(missing_ok=True)
        for stale in self.socket_dir.glob(".s.PGSQL.*"):
            stale.unlink(missing_ok=True)

    def _initdb(self, bindir: Path, run_as: RunAs, deadline: float) -> None:
        if self.data_dir.exists() and any(self.data_dir.iterdir()):
            raise EmbeddedStackError(
                f"{self.data_dir} is not empty but holds no PostgreSQL cluster: move it away"
            )
        # initdb into a scratch directory renamed when complete, so an interrupted initdb
        # never leaves a half-made cluster behind that would look initialised.
        scratch = self._base / "data.new"
        shutil.rmtree(scratch, ignore_errors=True)
        log.info("initialising embedded PostgreSQL cluster in %s", self.data_dir)
        argv: list[str | Path] = [bindir / "initdb", "-D", scratch, "-U", "postgres", "-E", "UTF8"]
        # trust is safe: the socket directory and the socket are 0700 (only the server user and
        # root can connect at all) and the server listens on no TCP address.
        argv += ["--auth-local=trust", "--auth-host=reject", "--no-instructions", *_locale_args()]
        status = run_tool(
            argv,
            run_as=run_as,
            log_path=self.log_path,
            cwd=self._base,
            timeout=deadline - time.monotonic(),
        )
        if status != 0:
            raise EmbeddedStackError(
                f"initdb failed with code {status}; last lines of {self.log_path}:\n"
                f"{log_tail(self.log_path)}"
            )
        if self.data_dir.exists():
            self.data_dir.rmdir()
        scratch.rename(self.data_dir)

    def _create_database(self, bindir: Path, run_as: RunAs, deadline: float) -> None:
        psql = bindir / "psql"
        if not psql.is_file():
            psql = Path(shutil.which("psql") or "psql")
        argv: list[str | Path] = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1"]
        argv += ["-h", self.socket_dir, "-p", str(PORT), "-U", "postgres", "-d", "postgres"]
        argv += ["-v", f"dbname={self.database}"]
        status = run_tool(
            argv,
            run_as=run_as,
            log_path=self.log_path,
            cwd=self._base,
            timeout=deadline - time.monotonic(),
            stdin=_CREATE_DATABASE,
        )
        if status != 0:
            raise EmbeddedStackError(
                f"creating database {self.database!r} failed; last lines of {self.log_path}:\n"
                f"{log_tail(self.log_path)}"
            )
