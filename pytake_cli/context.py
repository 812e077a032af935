"""What every command shares: loading settings, one-line errors, JSON output, admin sessions.

A command is a thin sync function; the skeleton around its work is here, once::

    @app.command("list")
    @handle_errors                     # our exceptions: one translated line, never a traceback
    def list_(tenant: TenantOpt, as_json: JsonOpt = False) -> None:
        async def fetch(backend: Backend) -> list[QueueOut]:
            async with backend.tenant(tenant) as conn:
                return ...

        respond(perform(fetch), as_json=as_json, show=_table)

``perform`` loads the settings, starts (or adopts) the backing services and runs the work;
``respond`` prints the answer as JSON or lets the command show it.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, ParamSpec, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console

from pytake_cli.i18n import _
from pytake_daemon.config import ConfigError, Settings, load_settings
from pytake_daemon.errors import PyTakeError
from pytake_daemon.i18n import say_error

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from pytake_daemon.db.endpoints import Endpoints
    from pytake_daemon.db.pool import Connection

P = ParamSpec("P")
T = TypeVar("T")

console = Console()
err_console = Console(stderr=True)

EXIT_ERROR = 1
EXIT_CONFIG = 2


@dataclass
class CliState:
    config: Path | None = None


state = CliState()


def settings(**overrides: Any) -> Settings:
    """The effective settings, or exit 2 with one line naming the field and the problem.
    ``overrides``: a command's options, over the file and the environment (``server={...}``)."""
    try:
        return load_settings(state.config, **overrides)
    except ConfigError as exc:
        fail(str(exc), code=EXIT_CONFIG)


def fail(message: str, *, code: int = EXIT_ERROR) -> NoReturn:
    err_console.print(
        _("[bold red]error:[/] {message}").format(message=message), highlight=False, soft_wrap=True
    )
    raise typer.Exit(code)


def handle_errors(func: Callable[P, T]) -> Callable[P, T]:
    """Turn our exceptions into one line on stderr and a non-zero exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return func(*args, **kwargs)
        except PyTakeError as exc:
            # The daemon's sentences are English until said in the reader's language.
            fail(say_error(exc))
        except ConfigError as exc:
            fail(str(exc), code=EXIT_CONFIG)
        except OSError as exc:
            fail(f"{type(exc).__name__}: {exc}")
        except KeyboardInterrupt:
            fail(_("interrupted"), code=130)

    return wrapper


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


# What a command answers with: a wire model, a list of them, or plain JSON-able data.
Answer = BaseModel | dict[str, Any] | list[Any]
A = TypeVar("A", bound=Answer)


def print_json(data: Answer) -> None:
    if isinstance(data, BaseModel):
        payload: Any = data.model_dump(mode="json")
    elif isinstance(data, list):
        payload = [d.model_dump(mode="json") if isinstance(d, BaseModel) else d for d in data]
    else:
        payload = data
    sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")


@contextmanager
def services(cfg: Settings) -> Iterator[Endpoints]:
    """Backing services for a command: the running daemon's, or started for this command."""
    from pytake_daemon.runtime import backing_services

    with backing_services(cfg, owner=False) as endpoints:
        yield endpoints


@asynccontextmanager
async def admin_connection(cfg: Settings, endpoints: Endpoints) -> AsyncIterator[Connection]:
    """An owner-role connection with the schema brought up to date (if allowed)."""
    from pytake_daemon.runtime import prepare_schema

    if endpoints.admin_dsn is None:
        raise PyTakeError(
            _("admin commands need database.admin_url (the owner role) when database.url is set")
        )
    await prepare_schema(cfg, endpoints)
    conn = await connect_db(cfg, endpoints.admin_dsn.get_secret_value())
    try:
        yield conn
    finally:
        await conn.close()


@asynccontextmanager
async def tenant_connection(
    cfg: Settings, endpoints: Endpoints, tenant: str
) -> AsyncIterator[Connection]:
    """A transaction as the daemon's own role, scoped to one tenant (slug or id).

    Only resolving the tenant uses the owner role; the work itself runs where row-level security
    applies, so a tenant-scoped command can't touch another tenant's rows whatever its SQL says.
    """
    from pytake_daemon.db.pool import set_tenant
    from pytake_daemon.tenancy.db import tenant_id

    async with admin_connection(cfg, endpoints) as admin:
        found = await tenant_id(admin, tenant)
    if found is None:
        raise PyTakeError(
            _("no tenant {tenant!r} (see 'pytake tenant list')").format(tenant=tenant)
        )
    conn = await connect_db(cfg, endpoints.app_dsn.get_secret_value())
    try:
        async with conn.transaction():
            await set_tenant(conn, found)
            yield conn
    finally:
        await conn.close()


async def connect_db(cfg: Settings, dsn: str) -> Connection:
    """One connection as the daemon's pool makes them, ``database.statement_cache_size`` included:
    behind PgBouncer in transaction mode it is 0, or asyncpg's named statements fail."""
    from pytake_daemon.db.pool import connect

    return await connect(dsn, statement_cache_size=cfg.database.statement_cache_size)


@dataclass(frozen=True)
class Backend:
    """What a command's work gets: the settings and where the backing services are."""

    cfg: Settings
    endpoints: Endpoints

    def admin(self) -> AbstractAsyncContextManager[Connection]:
        """The owner-role connection (``admin_connection``)."""
        return admin_connection(self.cfg, self.endpoints)

    def tenant(self, tenant: str) -> AbstractAsyncContextManager[Connection]:
        """A transaction scoped to one tenant (``tenant_connection``)."""
        return tenant_connection(self.cfg, self.endpoints, tenant)

    async def connect(self, dsn: str) -> Connection:
        """A plain connection honouring ``database.statement_cache_size`` (``connect_db``)."""
        return await connect_db(self.cfg, dsn)


def perform(work: Callable[[Backend], Coroutine[Any, Any, T]], *, cfg: Settings | None = None) -> T:
    """The skeleton: the settings (``cfg`` when the command read them already), the backing
    services for the command's lifetime, and the work run to its end on a fresh event loop."""
    cfg = settings() if cfg is None else cfg
    with services(cfg) as endpoints:
        return run(work(Backend(cfg, endpoints)))


def respond(answer: A, *, as_json: bool, show: Callable[[A], None]) -> None:
    """``--json`` prints the answer for machines; otherwise ``show`` prints it for people."""
    if as_json:
        print_json(answer)
    else:
        show(answer)
