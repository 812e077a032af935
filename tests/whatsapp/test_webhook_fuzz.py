"""Mutated real-shaped payloads thrown at the real webhook: never a 500, never a partial write."""

from __future__ import annotations

import copy
import secrets
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytake_daemon.db.pool import Connection
from tests.conftest import MakeTenant
from tests.test_whatsapp_webhook import INBOUND_SAMPLES
from tests.whatsapp.wa_support import (
    ApiClient,
    Number,
    add_number,
    digits,
    envelope,
    post_signed,
    status,
    with_new_id,
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found.extend(_paths(child, (*prefix, i)))
    return found


def _mutate(doc: Any, path: tuple[Any, ...], new: Any, delete: bool) -> Any:
    if not path:
        return new
    doc = copy.deepcopy(doc)
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return doc


def _base(number: Number, kind: str) -> tuple[dict[str, Any], str]:
    customer = digits(12)
    if kind == "status":
        wamid = f"wamid.{secrets.token_urlsafe(16)}"
        return envelope(
            number, statuses=[status(wamid, "delivered", ts=1_700_000_000, recipient=customer)]
        ), wamid
    msg = with_new_id(INBOUND_SAMPLES[kind], customer)
    return envelope(number, messages=[msg]), msg["id"]


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from([*sorted(INBOUND_SAMPLES), "status"]),
    pick=st.integers(min_value=0, max_value=10_000),
    new=json_values,
    delete=st.booleans(),
)
async def test_mutated_payloads_never_500_and_never_write_partially(
    api: ApiClient,
    make_tenant: MakeTenant,
    admin_conn: Connection,
    kind: str,
    pick: int,
    new: Any,
    delete: bool,
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    base, wamid = _base(number, kind)
    paths = _paths(base)
    path = paths[pick % len(paths)]
    payload = _mutate(base, path, new, delete)
    code, body = await post_signed(api, payload, number.app_secret)
    assert code in (200, 400), body
    stored = await admin_conn.fetchval(
        "SELECT count(*) FROM messages WHERE tenant_id = $1 AND wa_message_id = $2",
        tenant.id,
        wamid,
    )
    if code == 400:
        # Refused as a whole: nothing of it was written.
        assert stored == 0
        events = await admin_conn.fetchval(
            "SELECT count(*) FROM webhook_events WHERE tenant_id = $1", tenant.id
        )
        assert events == 0
    else:
        assert stored <= 1
    # Whatever it was, a second delivery changes nothing.
    again, _ = await post_signed(api, payload, number.app_secret)
    assert again == code
    assert (
        await admin_conn.fetchval(
            "SELECT count(*) FROM messages WHERE tenant_id = $1 AND wa_message_id = $2",
            tenant.id,
            wamid,
        )
        == stored
    )
