"""PostgreSQL's client programs (pg_dump, pg_restore, psql) of the server's major version.

``pg_dump`` refuses a server newer than itself and an older one writes archives a newer
``pg_restore`` may not read back identically, so the tools are picked by the server's
``server_version_num``: ``embedded.postgres_bindir``, then Debian's
``/usr/lib/postgresql/<major>/bin``, then PATH if that binary reports the same major.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from pytake_daemon.config import Settings
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import PyTakeError

DEBIAN_ROOT = Path("/usr/lib/postgresql")


class ToolsNotFoundError(PyTakeError):
    """No client programs of the server's major version on this machine."""


@dataclass(frozen=True)
class ServerInfo:
    version_num: int
    version: str

    @property
    def major(self) -> int:
        return self.version_num // 10000


@dataclass(frozen=True)
class PgTools:
    bindir: Path
    major: int

    def path(self, program: str) -> str:
        return str(self.bindir / program)


async def server_info(conn: Connection) -> ServerInfo:
    num = int(await conn.fetchval("SHOW server_version_num"))
    version = str(await conn.fetchval("SHOW server_version")).split()[0]
    return ServerInfo(num, version)


def find_tools(settings: Settings, major: int) -> PgTools:
    """The bindir holding pg_dump/pg_restore/psql of ``major``, or a one-line explanation."""
    candidates: list[Path] = []
    if settings.embedded.postgres_bindir is not None:
        candidates.append(settings.embedded.postgres_bindir)
    candidates.append(DEBIAN_ROOT / str(major) / "bin")
    on_path = shutil.which("pg_dump")
    if on_path is not None:
        candidates.append(Path(on_path).resolve().parent)
    for bindir in candidates:
        complete = all((bindir / p).is_file() for p in ("pg_dump", "pg_restore", "psql"))
        if complete and _major_of(bindir / "pg_dump") == major:
            return PgTools(bindir, major)
    raise ToolsNotFoundError(
        f"pg_dump/pg_restore/psql of PostgreSQL {major} not found: install the client package "
        f"('postgresql-client-{major}') or set embedded.postgres_bindir"
    )


def _major_of(program: Path) -> int | None:
    try:
        out = subprocess.run(  # noqa: S603 - a path we found, fixed arguments
            [str(program), "--version"], capture_output=True, text=True, timeout=10, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else None


def libpq_target(dsn: str, database: str | None = None) -> tuple[str, dict[str, str]]:
    """A DSN for libpq's programs (optionally retargeted) and the environment carrying its
    password: a password on a command line would show in ``ps`` to every local user."""
    parts = urlsplit(dsn)
    if database is not None:
        parts = parts._replace(path=f"/{database}")
    env: dict[str, str] = {}
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
        user = parts.username or ""
        host = parts.netloc.rsplit("@", 1)[-1]
        parts = parts._replace(netloc=f"{user}@{host}" if user else host)
    query = dict(parse_qsl(parts.query))
    if "password" in query:
        env["PGPASSWORD"] = query.pop("password")
    return urlunsplit(parts._replace(query=urlencode(query, safe="/"))), env


def database_of(dsn: str) -> str:
    name = urlsplit(dsn).path.lstrip("/")
    if not name:
        raise PyTakeError("the DSN names no database")
    return name


def with_database(dsn: str, database: str) -> str:
    """The same DSN (password included, for asyncpg) naming another database."""
    return urlunsplit(urlsplit(dsn)._replace(path=f"/{database}"))
