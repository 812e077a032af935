"""Rows of ``contacts/db.py`` as wire models."""

from __future__ import annotations

import asyncpg

from pytake_daemon.db import rows
from pytake_daemon.protocol.contacts import (
    HIDDEN_PHONE,
    ContactSummary,
)
from pytake_daemon.protocol.conversations import ContactOut


def contact_out(row: asyncpg.Record) -> ContactOut:
    """Meta's side of a row selected with ``db.CONTACT_COLUMNS``."""
    return rows.of(ContactOut, row)


def name_of(row: asyncpg.Record, contact: ContactOut) -> str:
    """The team's name for the customer, else how the console names them from Meta's data."""
    override: str | None = row["name_override"]
    return override or contact.display_name


def phone_of(contact: ContactOut) -> str:
    # A username customer may hide their number: Meta then sends only the BSUID (whatsapp.md).
    return f"+{contact.wa_id}" if contact.wa_id else HIDDEN_PHONE


def summary_out(row: asyncpg.Record) -> ContactSummary:
    contact = contact_out(row)
    return rows.of(
        ContactSummary, row, contact=contact, name=name_of(row, contact), phone=phone_of(contact)
    )
