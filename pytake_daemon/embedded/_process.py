"""Process and filesystem plumbing shared by the embedded PostgreSQL and Redis (Linux only)."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import pwd
import signal
import stat
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pytake_daemon.errors import PyTakeError

log = logging.getLogger(__name__)

MAX_SOCKET_PATH = 100
_PR_SET_PDEATHSIG = 1
_LOG_ROTATE_BYTES = 10 * 1024 * 1024
_POLL_SECONDS = 0.05

# (signal to send or None to just wait, seconds to wait for the process to exit afterwards)
StopSteps = Sequence[tuple[signal.Signals | None, float]]


class EmbeddedStackError(PyTakeError):
    """The embedded stack can't start or stop; the first line of the message says what to do."""


@dataclass(frozen=True)
class RunAs:
    """Who the servers run as: an unprivileged user when PyTake is root, else PyTake's own user."""

    name: str
    uid: int
    gid: int
    groups: tuple[int, ...]
    switch: bool

    @classmethod
    def resolve(cls, user: str) -> RunAs:
        if os.geteuid() != 0:
            uid = os.geteuid()
            return cls(str(uid), uid, os.getegid(), tuple(os.getgroups()), switch=False)
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            raise EmbeddedStackError(
                f"user {user!r} for the embedded servers does not exist: install the Debian "
                "package 'postgresql' (it creates 'postgres') or set embedded.run_as_user"
            ) from None
        if entry.pw_uid == 0:
            raise EmbeddedStackError(
                "embedded.run_as_user must name an unprivileged user: PostgreSQL won't run as root"
            )
        groups = tuple(os.getgrouplist(user, entry.pw_gid))
        return cls(user, entry.pw_uid, entry.pw_gid, groups, switch=True)

    def chown(self, path: Path) -> None:
        if self.switch:
            os.chown(path, self.uid, self.gid)


def check_socket_path(path: Path) -> None:
    size = len(os.fsencode(path))
    if size >= MAX_SOCKET_PATH:
        raise EmbeddedStackError(
            f"socket path {path} is {size} bytes, too long for a UNIX socket "
            f"(limit {MAX_SOCKET_PATH}): choose a shorter state_dir"
        )


def prepare_root(root: Path, run_as: RunAs) -> None:
    """Create ``root`` privately and check that the server user can reach it."""
    created = {p for p in (root, *root.parents) if not p.exists()}
    root.mkdir(parents=True, exist_ok=True)
    if run_as.switch:
        for parent in reversed(root.parents):
            mode = parent.stat().st_mode
            # Widening permissions is only ours to do on directories we made just now; existing
            # ones belong to the administrator.
            if parent in created and not mode & stat.S_IXOTH:
                parent.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)
            elif not _can_traverse(parent, run_as):
                raise EmbeddedStackError(
                    f"user {run_as.name!r} cannot enter {parent} (mode {stat.S_IMODE(mode):04o}): "
                    f"run 'chmod o+x {parent}' or choose another state_dir"
                )
    private_dir(root, run_as)


def _can_traverse(path: Path, run_as: RunAs) -> bool:
    # The kernel checks only the first matching class (owner, then group, then other); ACLs are
    # rare enough on state directories to be ignored.
    st = path.stat()
    if st.st_uid == run_as.uid:
        return bool(st.st_mode & stat.S_IXUSR)
    if st.st_gid in run_as.groups:
        return bool(st.st_mode & stat.S_IXGRP)
    return bool(st.st_mode & stat.S_IXOTH)


def private_dir(path: Path, run_as: RunAs) -> None:
    """A 0700 directory owned by the server user, so nobody else can reach its sockets."""
    path.mkdir(mode=0o700, exist_ok=True)
    st = path.stat()
    if run_as.switch and (st.st_uid, st.st_gid) != (run_as.uid, run_as.gid):
        run_as.chown(path)
    if stat.S_IMODE(st.st_mode) != 0o700:
        path.chmod(0o700)


def open_log(path: Path, run_as: RunAs) -> IO[bytes]:
    """Open a server log for appending, keeping one previous generation past 10 MiB."""
    with contextlib.suppress(FileNotFoundError):
        if path.stat().st_size > _LOG_ROTATE_BYTES:
            path.replace(path.with_name(path.name + ".1"))
    handle = path.open("ab")
    run_as.chown(path)
    return handle


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, handle.seek(0, os.SEEK_END) - 16384))
            data = handle.read()
    except OSError:
        return "(no log)"
    tail = data.decode(errors="replace").splitlines()[-lines:]
    return "\n".join(f"  {line}" for line in tail) or "  (log is empty)"


def server_env() -> dict[str, str]:
    # A PGDATA, PGPORT or PGHOST in the caller's environment would override our explicit choices
    # in initdb, postgres and psql.
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


def death_signal_preexec(sig: signal.Signals) -> Callable[[], None] | None:
    """A preexec_fn: the child gets ``sig`` when the thread that started it dies, whatever
    the way (``None`` where prctl doesn't exist)."""
    prctl = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None)
    if prctl is None:
        return None
    parent = os.getpid()

    def preexec() -> None:
        # Runs in the child after the uid switch (which would have cleared the setting).
        if prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        # The parent may have died between fork() and prctl(); then no signal would ever come.
        if os.getppid() != parent:
            os._exit(1)

    return preexec


def spawn(
    argv: Sequence[str | Path],
    *,
    run_as: RunAs,
    log_path: Path,
    cwd: Path,
    death_signal: signal.Signals,
) -> subprocess.Popen[bytes]:
    """Start a server as ``run_as``, in its own session, dying with the calling thread.

    PR_SET_PDEATHSIG fires when the *thread* that forked exits, so call this from the main
    thread (or one that lives as long as the server should), never from a thread pool.
    """
    with open_log(log_path, run_as) as log_file:
        return subprocess.Popen(  # noqa: S603 (argv is ours, no shell)
            [os.fspath(a) for a in argv],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=server_env(),
            # A Ctrl-C on the terminal must not reach the servers before the daemon has
            # closed its connections and stops them in order.
            start_new_session=True,
            # Unsafe only with other threads mid-lock; the stack starts before the event loop or
            # any worker thread exists (see the package docstring).
            preexec_fn=death_signal_preexec(death_signal),  # noqa: PLW1509 - only prctl, no locks, runs before exec
            user=run_as.uid if run_as.switch else None,
            group=run_as.gid if run_as.switch else None,
            extra_groups=list(run_as.groups) if run_as.switch else None,
        )


def run_tool(
    argv: Sequence[str | Path],
    *,
    run_as: RunAs,
    log_path: Path,
    cwd: Path,
    timeout: float,
    stdin: str | None = None,
) -> int:
    """Run a short-lived helper (initdb, psql) as ``run_as``, its output appended to the log."""
    with open_log(log_path, run_as) as log_file:
        try:
            return subprocess.run(  # noqa: S603 (argv is ours, no shell)
                [os.fspath(a) for a in argv],
                input=stdin.encode() if stdin is not None else None,
                stdin=None if stdin is not None else subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                env=server_env(),
                timeout=max(timeout, 1.0),
                check=False,
                preexec_fn=death_signal_preexec(signal.SIGTERM),
                user=run_as.uid if run_as.switch else None,
                group=run_as.gid if run_as.switch else None,
                extra_groups=list(run_as.groups) if run_as.switch else None,
            ).returncode
        except subprocess.TimeoutExpired:
            raise EmbeddedStackError(
                f"{Path(argv[0]).name} did not finish in time; see {log_path}"
            ) from None


def read_pid(path: Path) -> int | None:
    try:
        first = path.read_text().split("\n", 1)[0].strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(first) if first.isdigit() and int(first) > 0 else None


def process_alive(pid: int) -> bool:
    """Whether ``pid`` runs; a zombie nobody reaps (pid 1 in some containers) counts as gone."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat_line.rpartition(")")[2].split()[:1] not in (["Z"], ["X"])


def process_argv(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [os.fsdecode(a) for a in raw.split(b"\0") if a]


def process_cwd(pid: int) -> Path | None:
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        return None


def processes_in(directory: Path, names: frozenset[str]) -> list[int]:
    """Live processes called one of ``names`` whose working directory is ``directory``."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and process_cwd(int(entry.name)) == directory:
            pid = int(entry.name)
            if program_name(process_argv(pid)) in names and process_alive(pid):
                found.append(pid)
    return found


def program_name(argv: Sequence[str]) -> str:
    # Servers rewrite their title ("postgres: checkpointer", "redis-server unixsocket:/x"), which
    # joins the arguments into argv[0].
    return Path(argv[0].split(":", 1)[0].split(" ", 1)[0]).name if argv else ""


def wait_gone(pid: int, steps: StopSteps, proc: subprocess.Popen[bytes] | None = None) -> bool:
    """Signal and wait step by step until ``pid`` is gone; whether it is."""
    for sig, seconds in steps:
        if proc is not None:
            # Popen won't signal a pid it has already reaped, which may belong to someone else now.
            if sig is not None:
                proc.send_signal(sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(seconds)
                return True
            continue
        if sig is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + seconds
        while process_alive(pid):
            if time.monotonic() >= deadline:
                break
            time.sleep(_POLL_SECONDS)
        else:
            return True
    return False


def wait_ready(
    ready: Callable[[], bool],
    *,
    what: str,
    proc: subprocess.Popen[bytes] | None,
    log_path: Path,
    deadline: float,
) -> None:
    """Poll ``ready`` until it holds, failing fast with the log's tail if the server exits."""
    while not ready():
        if proc is not None and proc.poll() is not None:
            raise EmbeddedStackError(
                f"{what} exited with code {proc.returncode} while starting; "
                f"last lines of {log_path}:\n{log_tail(log_path)}"
            )
        if time.monotonic() >= deadline:
            raise EmbeddedStackError(
                f"{what} was not ready in time; last lines of {log_path}:\n{log_tail(log_path)}"
            )
        time.sleep(_POLL_SECONDS)
