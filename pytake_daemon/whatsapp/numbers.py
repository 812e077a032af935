"""Business numbers: several per tenant, secrets encrypted at rest and never shown again."""

from __future__ import annotations

import uuid

import asyncpg

from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import Conflict, NotFound
from pytake_daemon.protocol.whatsapp import NumberCreate, NumberOut
from pytake_daemon.whatsapp import db
from pytake_daemon.whatsapp.secretbox import SecretBox


def number_out(row: asyncpg.Record) -> NumberOut:
    """A number row read with its secrets (``find_number``, ``rotate_secrets``): they stay out."""
    return rows.of(NumberOut, row)


async def add_number(conn: Connection, box: SecretBox, body: NumberCreate) -> NumberOut:
    row = await db.insert_number(
        conn,
        phone_number_id=body.phone_number_id,
        waba_id=body.waba_id,
        display_phone_number=body.display_phone_number,
        label=body.label,
        access_token_enc=box.encrypt(body.access_token),
        app_secret_enc=box.encrypt(body.app_secret),
        verify_token_enc=box.encrypt(body.verify_token),
        throughput_mps=body.throughput_mps,
    )
    if row is None:
        raise Conflict(f"phone_number_id {body.phone_number_id} is already configured")
    return row


async def list_numbers(conn: Connection) -> list[NumberOut]:
    return await db.list_numbers(conn)


async def remove_number(conn: Connection, key: str) -> NumberOut:
    """Stop routing a number (by id or phone_number_id); its conversations stay readable."""
    row = await db.find_number(conn, key)
    if row is None:
        raise NotFound("no such number")
    await db.remove_number(conn, row["id"])
    return number_out(row)


async def get_number_id(conn: Connection, key: str) -> uuid.UUID:
    row = await db.find_number(conn, key)
    if row is None:
        raise NotFound("no such number")
    number_id: uuid.UUID = row["id"]
    return number_id
