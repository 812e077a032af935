"""The embedded PostgreSQL and Redis: first start, crash recovery, adoption, dropped privileges.

These start real servers from the system binaries in short directories under /tmp (UNIX socket
paths are limited to about 100 bytes); every test leaves its servers stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import redis

from pytake_daemon.config import Settings
from pytake_daemon.embedded import (
    EmbeddedPostgres,
    EmbeddedRedis,
    EmbeddedStack,
    EmbeddedStackError,
)
from pytake_daemon.embedded._process import RunAs, prepare_root, process_alive, process_cwd

REPO = Path(__file__).resolve().parents[1]
AS_ROOT = os.geteuid() == 0
root_only = pytest.mark.skipif(not AS_ROOT, reason="privilege drop happens only as root")


def _short_tmp() -> Path:
    path = Path(tempfile.mkdtemp(prefix="pt", dir="/tmp"))
    path.chmod(0o711)  # as root, the servers run as 'postgres', which must get through it
    return path


def _kill_leftovers(root: Path) -> None:
    """SIGKILL whatever still runs in ``root``: a failing test must not leak servers."""
    pids = []
    for entry in os.scandir("/proc"):
        cwd = process_cwd(int(entry.name)) if entry.name.isdigit() else None
        if cwd is not None and cwd.is_relative_to(root):
            pids.append(int(entry.name))
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry.name), signal.SIGKILL)
    _wait_until(lambda: not any(process_alive(pid) for pid in pids), "leftovers to die")


def _wait_until(condition: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.fixture
def tmp_root() -> Iterator[Path]:
    path = _short_tmp()
    try:
        yield path
    finally:
        _kill_leftovers(path)
        shutil.rmtree(path)


@pytest.fixture(scope="module")
def cluster_root() -> Iterator[Path]:
    """A root whose cluster is initialised once, for the tests that don't need a fresh one."""
    path = _short_tmp()
    try:
        with EmbeddedPostgres(path):
            pass
        yield path
    finally:
        _kill_leftovers(path)
        shutil.rmtree(path)


def _fetchval(dsn: str, sql: str) -> Any:
    async def run() -> Any:
        conn = await asyncpg.connect(dsn)
        try:
            return await conn.fetchval(sql)
        finally:
            await conn.close()

    return asyncio.run(run())


def _redis_port(url: str) -> str:
    with redis.Redis.from_url(url) as client:
        assert client.ping()
        port: dict[str, str] = client.config_get("port")
        return port["port"]


def _tcp_listeners(pid: int) -> set[int]:
    """Inodes of the TCP sockets ``pid`` listens on."""
    fds = Path(f"/proc/{pid}/fd")
    inodes = {
        int(target[8:-1])
        for target in (os.readlink(fd) for fd in fds.iterdir())
        if target.startswith("socket:[")
    }
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A":  # TCP_LISTEN
                    listening.add(int(fields[9]))
    return inodes & listening


def _uid(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError(f"no Uid line for {pid}")


def test_stack_starts_from_an_empty_directory_on_sockets_only(tmp_root: Path) -> None:
    settings = Settings(state_dir=tmp_root / "state", database={"url": None}, redis={"url": None})
    stack = EmbeddedStack.from_settings(settings)
    assert stack.postgres is not None
    assert stack.redis is not None

    with stack:
        pg, rd = stack.postgres, stack.redis
        assert pg.pid is not None
        assert rd.pid is not None
        assert pg.data_dir == (tmp_root / "state/embedded/postgres/data").resolve()
        assert _fetchval(pg.dsn(), "SELECT 1") == 1
        assert _fetchval(pg.dsn(), "SELECT current_database()") == "pytake"
        assert _fetchval(pg.dsn(), "SHOW listen_addresses") == ""
        assert _redis_port(rd.url) == "0"
        assert _tcp_listeners(pg.pid) == set()
        assert _tcp_listeners(rd.pid) == set()
        assert stat.S_IMODE(pg.socket_dir.stat().st_mode) == 0o700
        assert stack.is_running()
        pids = [pg.pid, rd.pid]

    assert not any(process_alive(pid) for pid in pids)
    assert not stack.is_running()
    assert not rd.socket_path.exists()
    assert not list(pg.socket_dir.glob(".s.PGSQL.*"))


@root_only
def test_servers_run_as_the_unprivileged_user(cluster_root: Path) -> None:
    user = pwd.getpwnam("postgres")
    with EmbeddedPostgres(cluster_root) as pg, EmbeddedRedis(cluster_root) as rd:
        assert pg.pid is not None
        assert rd.pid is not None
        assert _uid(pg.pid) == user.pw_uid
        assert _uid(rd.pid) == user.pw_uid
        for path in (cluster_root / "postgres", pg.socket_dir, pg.data_dir, cluster_root / "redis"):
            assert path.stat().st_uid == user.pw_uid


@pytest.mark.parametrize("holder", ["dead", "unrelated"])
def test_start_ignores_pid_files_of_other_processes(cluster_root: Path, holder: str) -> None:
    pid = _dead_pid() if holder == "dead" else os.getpid()
    pg = EmbeddedPostgres(cluster_root)
    rd = EmbeddedRedis(cluster_root)
    (pg.data_dir / "postmaster.pid").write_text(
        f"{pid}\n{pg.data_dir}\n1700000000\n5432\n{pg.socket_dir}\n\n  5432001    32768\nready   \n"
    )
    (pg.socket_dir / ".s.PGSQL.5432.lock").write_text(f"{pid}\n")
    rd.pid_file.parent.mkdir(exist_ok=True)
    rd.pid_file.write_text(f"{pid}\n")
    with socket.socket(socket.AF_UNIX) as stale:  # a socket file nobody listens on
        stale.bind(str(rd.socket_path))

    with pg, rd:
        assert pg.pid != pid
        assert _fetchval(pg.dsn(), "SELECT 1") == 1
        assert _redis_port(rd.url) == "0"


def _dead_pid() -> int:
    with subprocess.Popen(["true"]) as proc:
        proc.wait()
    assert not process_alive(proc.pid)
    return proc.pid


_OWNER = """
import sys
from pathlib import Path
from pytake_daemon.embedded import EmbeddedPostgres, EmbeddedRedis

root = Path(sys.argv[1])
pg = EmbeddedPostgres(root)
pg.start()
rd = EmbeddedRedis(root)
rd.start()
print(pg.pid, rd.pid, flush=True)
sys.stdin.read()
"""


def _start_owner_and_kill_it(root: Path) -> tuple[int, int]:
    """Start both servers in a child process, then kill -9 it; the servers' pids."""
    with subprocess.Popen(
        [sys.executable, "-c", _OWNER, str(root)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as owner:
        assert owner.stdout is not None
        line = owner.stdout.readline()
        owner.kill()
    assert line, "the owner process failed to start the servers"
    pg_pid, redis_pid = (int(word) for word in line.split())
    return pg_pid, redis_pid


def test_servers_die_with_their_owner(cluster_root: Path) -> None:
    pids = _start_owner_and_kill_it(cluster_root)

    _wait_until(lambda: not any(process_alive(pid) for pid in pids), "the orphaned servers")


def test_start_after_the_owner_was_killed(cluster_root: Path) -> None:
    old_pids = _start_owner_and_kill_it(cluster_root)

    # Right away, while the old postmaster is probably still in its fast shutdown.
    with EmbeddedPostgres(cluster_root) as pg, EmbeddedRedis(cluster_root) as rd:
        assert not any(process_alive(pid) for pid in old_pids)
        assert pg.pid not in old_pids
        assert _fetchval(pg.dsn(), "SELECT 1") == 1
        assert _redis_port(rd.url) == "0"


def test_adopt_running_uses_the_server_without_owning_it(cluster_root: Path) -> None:
    with EmbeddedPostgres(cluster_root) as owner_pg, EmbeddedRedis(cluster_root) as owner_rd:
        guest_pg = EmbeddedPostgres(cluster_root)
        guest_rd = EmbeddedRedis(cluster_root)
        guest_pg.start(adopt_running=True)
        guest_rd.start(adopt_running=True)
        assert (guest_pg.pid, guest_rd.pid) == (owner_pg.pid, owner_rd.pid)
        assert not guest_pg.owned
        assert not guest_rd.owned
        assert _fetchval(guest_pg.dsn(), "SELECT 1") == 1
        assert _redis_port(guest_rd.url) == "0"

        guest_pg.stop()
        guest_rd.stop()

        assert owner_pg.is_running()
        assert owner_rd.is_running()
        assert _fetchval(owner_pg.dsn(), "SELECT 1") == 1
        assert _redis_port(owner_rd.url) == "0"
        pids = [owner_pg.pid, owner_rd.pid]

    assert not any(process_alive(pid) for pid in pids if pid is not None)


def test_adopt_running_starts_a_server_when_none_runs(cluster_root: Path) -> None:
    pg = EmbeddedPostgres(cluster_root)
    pg.start(adopt_running=True)
    try:
        assert pg.owned
        assert _fetchval(pg.dsn(), "SELECT 1") == 1
    finally:
        pg.stop()


def test_a_server_that_fails_to_start_is_reported_with_its_log(cluster_root: Path) -> None:
    pg = EmbeddedPostgres(cluster_root)
    auto_conf = pg.data_dir / "postgresql.auto.conf"
    original = auto_conf.read_text()
    auto_conf.write_text(original + "no_such_setting = 1\n")
    try:
        with pytest.raises(EmbeddedStackError, match=r"(?s)exited with code.*no_such_setting"):
            pg.start()
    finally:
        auto_conf.write_text(original)
    assert not pg.is_running()


def test_stack_without_embedded_services_when_urls_are_set(tmp_root: Path) -> None:
    settings = Settings(
        state_dir=tmp_root,
        database={"url": "postgresql://pytake@db.example/pytake"},
        redis={"url": "redis://cache.example:6379/0"},
    )
    stack = EmbeddedStack.from_settings(settings)

    assert stack.postgres is None
    assert stack.redis is None
    with stack:
        assert stack.is_running()


def test_socket_path_too_long(tmp_root: Path) -> None:
    root = tmp_root / ("x" * 90)

    with pytest.raises(EmbeddedStackError, match="too long for a UNIX socket"):
        EmbeddedPostgres(root).start()
    with pytest.raises(EmbeddedStackError, match="too long for a UNIX socket"):
        EmbeddedRedis(root).start()
    assert not root.exists()


def test_missing_binaries(tmp_root: Path) -> None:
    with pytest.raises(EmbeddedStackError, match=r"embedded\.postgres_bindir"):
        EmbeddedPostgres(tmp_root, bindir=Path("/nonexistent")).start()
    with pytest.raises(EmbeddedStackError, match=r"embedded\.redis_server"):
        EmbeddedRedis(tmp_root, server=Path("/nonexistent/redis-server")).start()


@root_only
def test_unreachable_state_dir_is_named(tmp_root: Path) -> None:
    closed = tmp_root / "closed"
    closed.mkdir(mode=0o700)

    with pytest.raises(EmbeddedStackError, match=f"cannot enter {closed}"):
        prepare_root(closed / "state" / "embedded", RunAs.resolve("postgres"))


@root_only
def test_directories_we_create_are_made_traversable(tmp_root: Path) -> None:
    old_umask = os.umask(0o077)
    try:
        prepare_root(tmp_root / "a" / "b" / "embedded", RunAs.resolve("postgres"))
    finally:
        os.umask(old_umask)

    for created in (tmp_root / "a", tmp_root / "a" / "b"):
        assert created.stat().st_mode & stat.S_IXOTH
    assert (tmp_root / "a/b/embedded").stat().st_uid == pwd.getpwnam("postgres").pw_uid
