"""The embedded default stack: private PostgreSQL and Redis servers under ``state_dir``.

When no database or Redis URL is configured, the daemon runs both from the system binaries,
listening on UNIX sockets in 0700 directories only (no TCP), as ``embedded.run_as_user`` when
PyTake is root. The test suite gets its servers the same way.

Everything here is synchronous and must be called from the main thread before the event loop
starts: the servers get a parent-death signal tied to the thread that forks them, so they never
outlive the daemon, and they run in their own session so a terminal's Ctrl-C reaches only the
daemon, which then stops them in order.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from types import TracebackType

from pytake_daemon.config import Settings
from pytake_daemon.embedded._process import EmbeddedStackError
from pytake_daemon.embedded.postgres import EmbeddedPostgres, find_bindir
from pytake_daemon.embedded.redis import EmbeddedRedis, find_redis_server

__all__ = [
    "EmbeddedPostgres",
    "EmbeddedRedis",
    "EmbeddedStack",
    "EmbeddedStackError",
    "find_bindir",
    "find_redis_server",
]

log = logging.getLogger(__name__)


class EmbeddedStack:
    """The embedded servers a configuration needs: started in order, stopped in reverse."""

    def __init__(
        self, root: Path, *, postgres: EmbeddedPostgres | None, redis: EmbeddedRedis | None
    ) -> None:
        self.root = root
        self.postgres = postgres
        self.redis = redis

    @classmethod
    def from_settings(cls, settings: Settings) -> EmbeddedStack:
        """Servers under ``state_dir/embedded``; none for a service that has a URL configured."""
        root = settings.state_dir / "embedded"
        emb = settings.embedded
        postgres = None
        if settings.database.url is None:
            postgres = EmbeddedPostgres(
                root,
                run_as_user=emb.run_as_user,
                bindir=emb.postgres_bindir,
                database=emb.database,
            )
        redis = None
        if settings.redis.url is None:
            redis = EmbeddedRedis(root, run_as_user=emb.run_as_user, server=emb.redis_server)
        return cls(root, postgres=postgres, redis=redis)

    @property
    def servers(self) -> list[EmbeddedPostgres | EmbeddedRedis]:
        return [s for s in (self.postgres, self.redis) if s is not None]

    def start(self, *, timeout: float = 60.0, adopt_running: bool = False) -> None:
        """Start (or, with ``adopt_running``, reuse) every server; all or none stay running."""
        deadline = time.monotonic() + timeout
        started: list[EmbeddedPostgres | EmbeddedRedis] = []
        try:
            for server in self.servers:
                server.start(timeout=deadline - time.monotonic(), adopt_running=adopt_running)
                started.append(server)
        except BaseException:
            for server in reversed(started):
                try:
                    server.stop()
                except EmbeddedStackError:
                    log.exception("stopping embedded server after a failed start")
            raise

    def stop(self, *, timeout: float = 30.0) -> None:
        """Stop what we started, Redis first; raises the first failure after trying all."""
        errors: list[EmbeddedStackError] = []
        for server in reversed(self.servers):
            try:
                server.stop(timeout=timeout)
            except EmbeddedStackError as exc:
                errors.append(exc)
        if errors:
            raise errors[0]

    def is_running(self) -> bool:
        return all(s.is_running() for s in self.servers)

    def __enter__(self) -> EmbeddedStack:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
