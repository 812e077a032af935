"""Test plumbing shared by the suite: where the servers are, tenants with a user per role."""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from pytake_daemon.auth.tokens import new_token
from pytake_daemon.config import (
    AiSettings,
    AuthSettings,
    DatabaseSettings,
    LoggingSettings,
    MetricsSettings,
    RedisSettings,
    ServerSettings,
    Settings,
)
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.protocol import Role

# Environment overrides: a superuser DSN of a PostgreSQL cluster (any database; a fresh database is
# created per session) and a Redis URL. Without them the suite starts the embedded stack.
ENV_POSTGRES = "PYTAKE_TEST_POSTGRES_URL"
ENV_REDIS = "PYTAKE_TEST_REDIS_URL"

PASSWORD = "correct-horse-battery-staple"


def short_tmpdir(prefix: str) -> Path:
    """A world-traversable temp dir with a short path (UNIX socket paths are limited to 107
    bytes, and the embedded servers run as an unprivileged user when the tests run as root)."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o755)
    return path


def with_user(dsn: str, user: str) -> str:
    """The same DSN for another role (trust or peer auth in test clusters)."""
    parts = urlsplit(dsn)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))


def with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{database}"))


def unique_ip() -> str:
    """An address of the IPv6 documentation prefix that no other test uses."""
    return str(ipaddress.IPv6Address((0x20010DB8 << 96) | secrets.randbits(96)))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def make_settings(endpoints: Endpoints, *, prefix: str, state_dir: Path) -> Settings:
    return Settings(
        state_dir=state_dir,
        server=ServerSettings(host="127.0.0.1", port=0, shutdown_timeout=2.0),
        database=DatabaseSettings(
            url=endpoints.app_dsn,
            admin_url=endpoints.admin_dsn,
            app_role=endpoints.app_role,
            pool_min_size=1,
            pool_max_size=5,
        ),
        redis=RedisSettings(url=endpoints.redis_url, key_prefix=prefix),
        auth=AuthSettings(login_max_failures_per_user=3, login_max_failures_per_ip=6),
        logging=LoggingSettings(level="warning", format="console"),
        # In-process apps (hundreds in the suite) analyse in their threads rather than each
        # spawning a model process; daemons started as processes use the process
        # (tests/ai/test_model_process.py).
        ai=AiSettings(process=False),
        # The host's real figures would notify every tenant's admins mid-test on a loaded
        # machine: tests/operations/test_system_alerts.py drives the alerts itself.
        metrics=MetricsSettings(alert_seconds=0),
    )


def daemon_env(settings: Settings, *, port: int) -> dict[str, str]:
    """Environment for a ``pytake daemon`` child process using the test's servers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTAKE_")}
    assert settings.database.url
    assert settings.database.admin_url
    assert settings.redis.url
    env.update(
        PYTAKE_DATABASE__URL=settings.database.url.get_secret_value(),
        PYTAKE_DATABASE__ADMIN_URL=settings.database.admin_url.get_secret_value(),
        PYTAKE_REDIS__URL=settings.redis.url.get_secret_value(),
        PYTAKE_REDIS__KEY_PREFIX=settings.redis.key_prefix,
        PYTAKE_SERVER__PORT=str(port),
        PYTAKE_STATE_DIR=str(settings.state_dir),
        PYTAKE_LOGGING__LEVEL="info",
        PYTAKE_METRICS__ALERT_SECONDS="0",  # as make_settings
        # As make_settings: the daemon's threads analyse. A model process costs each daemon's
        # start ~3 s of CPU (360 MB) for a child these tests never use, and a SIGTERM waits for
        # that child's warm-up: 15 s and more on a loaded machine. The process itself:
        # tests/ai/test_model_process.py; daemons on the default config: test_daemon_process.py,
        # test_demo.py, tests/replicas/.
        PYTAKE_AI__PROCESS="false",
    )
    return env


@dataclass
class Member:
    id: uuid.UUID
    email: str
    role: Role
    token: str
    token_id: uuid.UUID

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class TenantData:
    id: uuid.UUID
    slug: str
    members: dict[Role, Member] = field(default_factory=dict)

    def __getitem__(self, role: Role) -> Member:
        return self.members[role]


async def create_tenant(conn: Connection, password_hash: str) -> TenantData:
    """A tenant with one user per role, each holding a live session token (admin connection)."""
    slug = f"t-{uuid.uuid4().hex[:12]}"
    async with conn.transaction():
        tenant_id = await conn.fetchval(
            "INSERT INTO tenants (slug, name) VALUES ($1, $1) RETURNING id", slug
        )
        await conn.execute("INSERT INTO tenant_event_seq (tenant_id) VALUES ($1)", tenant_id)
        await set_tenant(conn, tenant_id)
        data = TenantData(id=tenant_id, slug=slug)
        for role in Role:
            email = f"{role.value}@{slug}.test"
            user_id = await conn.fetchval(
                "INSERT INTO users (tenant_id, email, name, role, password_hash) "
                "VALUES ($1, $2, $3, $4, $5) RETURNING id",
                tenant_id,
                email,
                f"{role.value.title()} of {slug}",
                role.value,
                password_hash,
            )
            token, hashed = new_token()
            token_id = await conn.fetchval(
                "INSERT INTO auth_tokens (tenant_id, user_id, kind, name, token_hash, expires_at)"
                " VALUES ($1, $2, 'session', 'test', $3, $4) RETURNING id",
                tenant_id,
                user_id,
                hashed,
                datetime.now(UTC) + timedelta(hours=1),
            )
            data.members[role] = Member(user_id, email, role, token, token_id)
    return data


def secret(value: str) -> SecretStr:
    return SecretStr(value)


CliEnv = dict[str, str | None]


def cli_environment(settings: Settings) -> CliEnv:
    """What points ``pytake`` at a session's servers, and no other PYTAKE_* setting from the
    outer environment (``None`` unsets a variable in typer's CliRunner)."""
    assert settings.database.url is not None
    assert settings.database.admin_url is not None
    assert settings.redis.url is not None
    values: CliEnv = {k: None for k in os.environ if k.startswith("PYTAKE_")}
    values.update(
        PYTAKE_DATABASE__URL=settings.database.url.get_secret_value(),
        PYTAKE_DATABASE__ADMIN_URL=settings.database.admin_url.get_secret_value(),
        PYTAKE_DATABASE__APP_ROLE=settings.database.app_role,
        PYTAKE_REDIS__URL=settings.redis.url.get_secret_value(),
        PYTAKE_REDIS__KEY_PREFIX=settings.redis.key_prefix,
        PYTAKE_STATE_DIR=str(settings.state_dir),
        PYTAKE_LOGGING__LEVEL="warning",
    )
    return values
