"""Fixed ids and times shared by the fake daemon, the fake inbox and the tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

ALICE_EMAIL = "alice@example.com"
ALICE_PASSWORD = "pw-correct-horse"
USER_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
TENANT_ID = uuid.UUID("00000000-0000-4000-8000-0000000000a1")
TOKEN_ID = uuid.UUID("00000000-0000-4000-8000-0000000000f1")
FIXED_AT = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)
FAR_FUTURE = datetime(2099, 1, 1, tzinfo=UTC)
