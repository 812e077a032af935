"""Connectivity checks: each says passed, failed or skipped in one sentence.

``pytake doctor`` runs them in its own process (so they work with the daemon down) and
``GET /api/v1/system/checks`` inside the daemon; both build a :class:`Targets` and call
:func:`run_checks`. A check never raises: whatever goes wrong is its sentence. Each has a
deadline, so one server that doesn't answer can't hold up the rest.
"""

from __future__ import annotations

import asyncio
import shutil
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import aiosmtplib
import asyncpg
from redis.asyncio import Redis
from yarl import URL

from pytake_daemon.backups.storage import storage_from_settings
from pytake_daemon.config import Settings
from pytake_daemon.db import migrations
from pytake_daemon.db.pool import Pool
from pytake_daemon.flows.http_call import AddressRefused, HttpPolicy
from pytake_daemon.protocol.system import CheckStatus, SystemCheck, SystemChecks
from pytake_daemon.system.db import NumberTarget, SmtpTarget
from pytake_daemon.system.outcomes import CheckFailed, CheckSkipped
from pytake_daemon.system.whatsapp_checks import graph_checks, template_checks, webhook_check
from pytake_daemon.whatsapp.graph import GraphClient
from pytake_daemon.whatsapp.secretbox import SecretBox, SecretBoxError

CHECK_TIMEOUT = 15.0
# More than this between our clock and PostgreSQL's and "now" means two things at once:
# timers, deadlines and token lifetimes are compared across the two.
MAX_CLOCK_SKEW_SECONDS = 2.0
MIN_FREE_BYTES = 1024**3
MIN_FREE_SHARE = 0.05
_PROBE_ADDRESSES = (("metadata.internal", "169.254.169.254"), ("localhost", "127.0.0.1"))


@dataclass
class Targets:
    """What the checks talk to. ``numbers``/``smtp`` are None when they couldn't be read."""

    settings: Settings
    pool: Pool | None
    redis: Redis
    graph: GraphClient
    http: aiohttp.ClientSession
    box: SecretBox
    numbers: list[NumberTarget] | None
    smtp: list[SmtpTarget] | None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    pool_error: str | None = None
    """Why ``pool`` is None (the connection's own error), for the database check's sentence."""
    min_free_bytes: int = MIN_FREE_BYTES


Check = Callable[[Targets], Awaitable[str]]


async def run_checks(targets: Targets) -> SystemChecks:
    """Every check, in order (each bounded by ``CHECK_TIMEOUT``)."""
    results: list[SystemCheck] = []
    for name, check in _checks(targets):
        results.append(await _run(name, check, targets))
    return SystemChecks(ok=not any(r.status is CheckStatus.FAILED for r in results), checks=results)


def _checks(targets: Targets) -> list[tuple[str, Check]]:
    checks: list[tuple[str, Check]] = [
        ("database", _database),
        ("redis", _redis),
        ("clock", _clock),
        ("secrets key", _secrets),
    ]
    checks += graph_checks(targets.numbers)
    checks += template_checks(targets.numbers)
    checks += [
        ("webhook", webhook_check),
        ("backup storage", _backup_storage),
        ("smtp", _smtp),
        ("outbound http", _outbound_http),
        ("disk", _disk),
    ]
    return checks


async def _run(name: str, check: Check, targets: Targets) -> SystemCheck:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            detail = await check(targets)
        status = CheckStatus.PASSED
    except CheckSkipped as exc:
        detail, status = str(exc), CheckStatus.SKIPPED
    except CheckFailed as exc:
        detail, status = str(exc), CheckStatus.FAILED
    except TimeoutError:
        detail, status = f"no answer within {CHECK_TIMEOUT:.0f} s", CheckStatus.FAILED
    except Exception as exc:  # whatever a library raises is still one sentence, not a traceback
        detail, status = f"{type(exc).__name__}: {exc}", CheckStatus.FAILED
    return SystemCheck(
        name=name, status=status, detail=detail, seconds=round(time.perf_counter() - started, 3)
    )


def _pool(targets: Targets) -> Pool:
    if targets.pool is None:
        why = f": {targets.pool_error}" if targets.pool_error else ""
        raise CheckFailed(f"PostgreSQL can't be reached with database.url{why}")
    return targets.pool


async def _database(targets: Targets) -> str:
    try:
        async with _pool(targets).acquire() as conn:
            version = await migrations.current_version(conn)
            missing = await migrations.pending(conn)
    except (OSError, asyncpg.PostgresError) as exc:
        raise CheckFailed(f"PostgreSQL can't be used: {exc}") from None
    expected = migrations.latest_version()
    if missing:
        names = ", ".join(m.name for m in missing[:3])
        raise CheckFailed(
            f"schema at version {version}, {len(missing)} migration(s) not applied ({names}): "
            "run 'pytake migrate up'"
        )
    return f"PostgreSQL answers; the schema is at version {version} of {expected}, current"


async def _redis(targets: Targets) -> str:
    started = time.perf_counter()
    try:
        await targets.redis.ping()
    except (OSError, ConnectionError) as exc:
        raise CheckFailed(f"Redis can't be reached: {exc}") from None
    except Exception as exc:
        raise CheckFailed(f"Redis refused PING: {exc}") from None
    return f"Redis answers PING in {(time.perf_counter() - started) * 1000:.1f} ms"


async def _clock(targets: Targets) -> str:
    async with _pool(targets).acquire() as conn:
        before = targets.clock()
        database: datetime = await conn.fetchval("SELECT clock_timestamp()")
        after = targets.clock()
    # Compared with the middle of the round trip, so the query's own time isn't skew.
    skew = (database - (before + (after - before) / 2)).total_seconds()
    if abs(skew) > MAX_CLOCK_SKEW_SECONDS:
        ahead = "ahead of" if skew > 0 else "behind"
        raise CheckFailed(
            f"PostgreSQL's clock is {abs(skew):.1f} s {ahead} this machine's (at most "
            f"{MAX_CLOCK_SKEW_SECONDS:.0f} s): synchronise both with NTP"
        )
    return f"this machine's clock and PostgreSQL's agree within {abs(skew) * 1000:.0f} ms"


async def _secrets(targets: Targets) -> str:
    if targets.numbers is None:
        raise CheckSkipped("the numbers could not be read from the database")
    bad: list[str] = []
    for number in targets.numbers:
        try:
            for token in (number.access_token_enc, number.app_secret_enc, number.verify_token_enc):
                targets.box.decrypt(token)
        except SecretBoxError:
            bad.append(number.phone_number_id)
    keys = ", ".join(targets.box.fingerprints)
    if bad:
        raise CheckFailed(
            f"the secrets of number(s) {', '.join(bad[:3])} can't be decrypted with this key "
            f"(fingerprint {keys}, from {targets.box.source}): configure the key that "
            "encrypted them (docs/operations.md)"
        )
    return f"every number's secrets decrypt with key {keys} ({targets.box.source})"


async def _backup_storage(targets: Targets) -> str:
    storage = storage_from_settings(targets.settings)
    name = f"doctor-probe-{uuid.uuid4().hex}"
    payload = uuid.uuid4().bytes
    where = storage.describe()

    def probe() -> None:
        storage.put_bytes(name, payload)
        try:
            if storage.get_bytes(name) != payload:
                raise CheckFailed(
                    f"{where}: the probe object read back differs from the one written"
                )
        finally:
            storage.delete(name)

    try:
        await asyncio.to_thread(probe)
    except CheckFailed:
        raise
    except Exception as exc:
        raise CheckFailed(f"{where}: {exc}") from None
    return f"{where}: a probe object was written, read back and deleted"


async def _smtp(targets: Targets) -> str:
    if targets.smtp is None:
        raise CheckSkipped("the SMTP settings could not be read from the database")
    if not targets.smtp:
        raise CheckSkipped("no tenant has SMTP settings (PUT /api/v1/notifications/smtp)")
    done: list[str] = []
    for smtp in targets.smtp:
        where = f"{smtp.host}:{smtp.port} (tenant {smtp.tenant})"
        client = aiosmtplib.SMTP(
            hostname=smtp.host,
            port=smtp.port,
            use_tls=smtp.security == "tls",
            start_tls=smtp.security == "starttls",
            timeout=10,
        )
        try:
            await client.connect()
            if smtp.username:
                password = targets.box.decrypt(smtp.password_enc) if smtp.password_enc else ""
                await client.login(smtp.username, password)
            await client.quit()
        except (aiosmtplib.SMTPException, OSError, SecretBoxError) as exc:
            raise CheckFailed(f"SMTP server {where}: {exc}") from None
        done.append(where)
    return (
        "connected"
        + (" and logged in" if any(s.username for s in targets.smtp) else "")
        + (f" to {', '.join(done)} without sending")
    )


async def _outbound_http(targets: Targets) -> str:
    policy = HttpPolicy(targets.settings.flows.http_allowed)
    let_through: list[str] = []
    for host, address in _PROBE_ADDRESSES:
        try:
            policy.check(host, address)
        except AddressRefused:
            continue
        let_through.append(address)
    if "169.254.169.254" in let_through:
        raise CheckFailed(
            "flows.http_allowed lets flows call 169.254.169.254 (cloud metadata, credentials): "
            "narrow it"
        )
    host = URL(targets.settings.whatsapp.graph_base_url).host or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, 443)
    except OSError as exc:
        raise CheckFailed(f"DNS can't resolve {host}: {exc}") from None
    guard = "refuses private and local addresses" + (
        f" except {', '.join(let_through)} (flows.http_allowed)" if let_through else ""
    )
    return f"the flows' SSRF guard {guard}; {host} resolves to {infos[0][4][0]}"


async def _disk(targets: Targets) -> str:
    state_dir = Path(targets.settings.state_dir)
    try:
        usage = shutil.disk_usage(state_dir)
    except OSError as exc:
        raise CheckFailed(f"state dir {state_dir}: {exc}") from None
    free_gib = usage.free / 1024**3
    share = usage.free / usage.total if usage.total else 0.0
    if usage.free < targets.min_free_bytes or share < MIN_FREE_SHARE:
        raise CheckFailed(
            f"only {free_gib:.1f} GiB ({share:.0%}) free for the state dir {state_dir}: "
            "PostgreSQL stops writing when its disk is full"
        )
    return f"{free_gib:.1f} GiB ({share:.0%}) free for the state dir {state_dir}"
