"""Tenants."""

from __future__ import annotations

import uuid
from datetime import datetime

from pytake_daemon.protocol.common import WireModel


class TenantOut(WireModel):
    """One tenant: an isolated business with its own numbers, users and data."""

    id: uuid.UUID
    slug: str
    name: str
    created_at: datetime
