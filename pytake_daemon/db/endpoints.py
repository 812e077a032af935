"""Where PostgreSQL and Redis are: configured URLs, or the embedded stack's sockets."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from pydantic import SecretStr

from pytake_daemon.config import Settings


@dataclass(frozen=True)
class Endpoints:
    """Connection strings for one run. Secrets stay in ``SecretStr`` so a repr never leaks them."""

    app_dsn: SecretStr
    """The daemon's non-owner role (RLS applies)."""
    admin_dsn: SecretStr | None
    """The owner role, for migrations and cross-tenant admin commands; ``None`` if unknown."""
    redis_url: SecretStr
    app_role: str


def embedded_dsn(socket_dir: str, database: str, user: str) -> str:
    """A libpq/asyncpg DSN that connects over the UNIX socket in ``socket_dir``."""
    return f"postgresql://{quote(user)}@/{quote(database)}?host={quote(socket_dir)}"


def configured_endpoints(
    settings: Settings,
    *,
    postgres_socket_dir: str | None = None,
    redis_socket_url: str | None = None,
) -> Endpoints:
    """Combine configured URLs with the embedded stack's sockets for whatever isn't configured."""
    db = settings.database
    if db.url is not None:
        app_dsn = db.url
        admin_dsn = db.admin_url
    else:
        if postgres_socket_dir is None:
            raise ValueError("no database.url configured and no embedded PostgreSQL running")
        database = settings.embedded.database
        app_dsn = SecretStr(embedded_dsn(postgres_socket_dir, database, db.app_role))
        admin_dsn = SecretStr(embedded_dsn(postgres_socket_dir, database, "postgres"))
    if settings.redis.url is not None:
        redis_url = settings.redis.url
    else:
        if redis_socket_url is None:
            raise ValueError("no redis.url configured and no embedded Redis running")
        redis_url = SecretStr(redis_socket_url)
    return Endpoints(
        app_dsn=app_dsn, admin_dsn=admin_dsn, redis_url=redis_url, app_role=db.app_role
    )
