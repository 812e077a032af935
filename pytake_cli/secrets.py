"""``pytake secrets fingerprint|rekey``: the key that encrypts numbers' tokens and secrets.

Replicas must share it (docs/operations.md); fingerprints let two machines compare keys without
showing them. ``rekey`` is the last step of a rotation: with ``whatsapp.secrets_key`` set to
``<new>,<old>`` it re-encrypts every number's secrets under the new key, after which the old
one can be dropped from every replica's configuration.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import typer

from pytake_cli.context import (
    Backend,
    console,
    handle_errors,
    perform,
    respond,
    settings,
)
from pytake_cli.i18n import _
from pytake_cli.options import JsonOpt
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import PyTakeError
from pytake_daemon.tenancy.db import tenant_id
from pytake_daemon.whatsapp import db
from pytake_daemon.whatsapp.secretbox import SecretBox, load_secret_box

app = typer.Typer(help="The secrets key: fingerprints, re-encryption.", no_args_is_help=True)

RekeyTenant = Annotated[
    str | None,
    typer.Option("--tenant", "-t", help="Only this tenant's numbers (slug or id)."),
]


@app.command("fingerprint")
@handle_errors
def fingerprint(as_json: JsonOpt = False) -> None:
    """Print the configured keys' fingerprints (the first one encrypts); never the keys."""
    box = load_secret_box(settings())
    respond(
        {"source": box.source, "fingerprints": box.fingerprints},
        as_json=as_json,
        show=lambda _answer: _show_keys(box),
    )


def _show_keys(box: SecretBox) -> None:
    for i, value in enumerate(box.fingerprints):
        role = "encrypts and decrypts" if i == 0 else "decrypts"
        console.print(f"{value}  {role}  ({box.source})", highlight=False)


@app.command("rekey")
@handle_errors
def rekey(tenant: RekeyTenant = None, as_json: JsonOpt = False) -> None:
    """Re-encrypt every number's secrets under the first configured key, in one transaction."""
    cfg = settings()
    box = load_secret_box(cfg)

    async def apply(backend: Backend) -> int:
        async with backend.admin() as conn:
            only = None
            if tenant is not None:
                only = await tenant_id(conn, tenant)
                if only is None:
                    raise PyTakeError(
                        _("no tenant {tenant!r} (see 'pytake tenant list')").format(tenant=tenant)
                    )
            async with conn.transaction():
                return await _rekey(conn, box, only)

    count = perform(apply, cfg=cfg)
    respond({"numbers": count, "key": box.fingerprints[0]}, as_json=as_json, show=_show_rekeyed)


def _show_rekeyed(answer: dict[str, Any]) -> None:
    count, key = answer["numbers"], answer["key"]
    console.print(
        _(
            "re-encrypted the secrets of {count} number(s) under key {key}; SMTP "
            "passwords are re-encrypted when set again (PUT "
            "/api/v1/notifications/smtp)"
        ).format(count=count, key=key),
        highlight=False,
    )


async def _rekey(conn: Connection, box: SecretBox, only: uuid.UUID | None) -> int:
    count = 0
    for row in await db.number_secrets(conn, only):
        # rotate() names no number when a secret decrypts with none of the keys: say which.
        try:
            wrapped = [box.rotate(row[c]) for c in db.SECRET_COLUMNS]
        except PyTakeError:
            raise PyTakeError(
                _(
                    "number {phone_number_id}'s secrets decrypt with none of the "
                    "configured keys: list the key that encrypted them too; nothing was "
                    "changed"
                ).format(phone_number_id=row["phone_number_id"])
            ) from None
        await db.rewrap_number_secrets(conn, row["id"], *wrapped)
        count += 1
    return count
