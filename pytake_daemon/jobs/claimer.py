"""Who claims a job or a send: this daemon (its machine and port) and this run of it.

A claim is a lease (jobs/runner.py, whatsapp/sender.py). When a daemon dies outright, the
rows it had claimed would wait for their leases; so each claim records ``claimed_by``
(``<host>:<port>#<run>``), and a daemon that starts listening on the port of one that died
takes its claims back at once (migration 0052). Only one process can listen on a machine's
port, so the name can't be another live daemon's; the run tells this start from the last.
The pool's connections carry ``pytake#<run>`` as their application_name, so a run that is
still connected (stopping gracefully, its port already closed) keeps its claims.
"""

from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Claimer:
    instance: str
    """``<host>:<port>``: the daemon, the same across its restarts."""
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    """This start of it."""

    @property
    def tag(self) -> str:
        """What a claim records in ``claimed_by``."""
        return f"{self.instance}#{self.run}"

    @property
    def application_name(self) -> str:
        """The pool's connections' name in ``pg_stat_activity`` (63 bytes at most)."""
        return f"pytake#{self.run}"


def this_daemon(port: int) -> Claimer:
    return Claimer(f"{socket.gethostname()}:{port}")
